import EdgewiseCore
import Foundation

/// The long background-noise recordings (Speech Commands `_background_noise_`), source of the `_silence_`
/// class and of augmentation noise. Each recording is divided by position so splits never share noise:
/// train uses the first 80 %, validation the next 10 %, test the last 10 %.
public struct BackgroundNoise: Sendable {
    /// One recording: its file name (without folder) and 16 kHz mono samples.
    public struct Recording: Sendable {
        /// File name, e.g. `white_noise.flac`.
        public let name: String
        /// Samples at 16 kHz.
        public let samples: [Int16]
    }

    /// The recordings, sorted by name.
    public let recordings: [Recording]

    /// Loads every `.flac`/`.wav` in `directory` (16 kHz mono required; errors name the file).
    public init(directory: String) throws(DatasetError) {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: directory) else {
            throw .missingDirectory(directory, hint: "expected the dataset's _background_noise_ folder")
        }
        var recs: [Recording] = []
        for name in names.sorted() where name.hasSuffix(".flac") || name.hasSuffix(".wav") {
            recs.append(Recording(name: name, samples: try AudioFile.readMono(directory + "/" + name)))
        }
        recordings = recs
    }

    /// Wraps recordings already in memory (e.g. synthetic noise).
    public init(recordings: [Recording]) { self.recordings = recordings }

    /// The part of a recording of `count` samples that `split` may use.
    public static func region(count: Int, split: SpeechCommands.Split) -> Range<Int> {
        switch split {
        case .train: 0..<count * 8 / 10
        case .validation: count * 8 / 10..<count * 9 / 10
        case .test: count * 9 / 10..<count
        }
    }

    /// A random window of `length` samples inside `split`'s region: (recording index, start sample).
    /// Recordings whose region is shorter than `length` are never chosen.
    public func window(length: Int, split: SpeechCommands.Split, using rng: inout SeededGenerator) -> (recording: Int, start: Int) {
        let usable = recordings.indices.filter { Self.region(count: recordings[$0].samples.count, split: split).count >= length }
        precondition(!usable.isEmpty, "no background recording has \(length) samples in its \(split) region")
        let r = usable[Int.random(in: 0..<usable.count, using: &rng)]
        let region = Self.region(count: recordings[r].samples.count, split: split)
        return (r, Int.random(in: region.lowerBound...(region.upperBound - length), using: &rng))
    }
}
