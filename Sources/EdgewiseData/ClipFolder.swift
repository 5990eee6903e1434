import EdgewiseCore
import Foundation

/// A folder of one-second keyword clips laid out as `<word>/<clip>.{wav,flac}` (Speech Commands style),
/// with or without a `splits.csv`, turned into `LabeledAudio` for a model's labels.
public enum ClipFolder {
    /// Loads the clips of `directory`.
    ///
    /// - With `split` (needs `splits.csv`): that split's clips as `SpeechCommands.loadAudio` makes them,
    ///   `_silence_` windows from the split's region of `_background_noise_`.
    /// - Without: every `<word>/*.wav|flac` (folders starting with `_` other than `_silence_` are skipped);
    ///   a word that is a label keeps it, any other word is `_unknown_`; ⌈10 %⌉ of the keyword clips as
    ///   `_silence_` windows cut from the test region (last 10 %) of `_background_noise_` when it exists.
    ///
    /// `labels` must contain `_silence_` and `_unknown_`. Clips are padded or cropped to 1 s at 16 kHz.
    public static func load(directory: String, labels: [String], split: SpeechCommands.Split? = nil, seed: UInt64 = 0,
                            threads: Int = defaultThreadCount) throws(DatasetError) -> LabeledAudio {
        guard let silence = labels.firstIndex(of: "_silence_"), let unknown = labels.firstIndex(of: "_unknown_") else {
            throw .malformedIndex(file: directory, line: 0, reason: "the model's labels lack _silence_ or _unknown_")
        }
        if let split {
            let sc = try SpeechCommands(directory: directory)
            let audio = try sc.loadAudio(split, options: .init(seed: seed, threads: threads))
            // Map the reader's label order onto the model's.
            var out = LabeledAudio(clipLength: audio.clipLength, sampleRate: audio.sampleRate, labelNames: labels)
            out.samples = audio.samples
            out.labels = audio.labels.map { labels.firstIndex(of: SpeechCommands.labels[$0]) ?? unknown }
            out.sources = audio.sources
            return out
        }
        let fm = FileManager.default
        guard let words = try? fm.contentsOfDirectory(atPath: directory) else {
            throw .missingDirectory(directory, hint: "expected <word>/<clip>.wav|flac folders")
        }
        var files: [(path: String, label: Int)] = []
        for word in words.sorted() where !word.hasPrefix("_") || word == "_silence_" {
            let dir = directory + "/" + word
            var isDir: ObjCBool = false
            guard fm.fileExists(atPath: dir, isDirectory: &isDir), isDir.boolValue,
                  let names = try? fm.contentsOfDirectory(atPath: dir) else { continue }
            let label = word == "_silence_" ? silence : labels.firstIndex(of: word) ?? unknown
            for n in names.sorted() where n.hasSuffix(".wav") || n.hasSuffix(".flac") {
                files.append((word + "/" + n, label))
            }
        }
        let length = 16000
        let paths = files.map { directory + "/" + $0.path }
        var decoded = [Int16](repeating: 0, count: files.count * length)
        var errors = [DatasetError?](repeating: nil, count: files.count)
        decoded.withUnsafeMutableBufferPointer { dst in
            errors.withUnsafeMutableBufferPointer { err in
                let dst = UncheckedSendable(dst), err = UncheckedSendable(err)
                parallelChunks(count: paths.count, threads: threads) { range in
                    for i in range {
                        do throws(DatasetError) {
                            let s = try AudioFile.readMono(paths[i], sampleRate: 16000)
                            for j in 0..<min(s.count, length) { dst.value[i * length + j] = s[j] }
                        } catch { err.value[i] = error }
                    }
                }
            }
        }
        if let first = errors.lazy.compactMap({ $0 }).first { throw first }
        var audio = LabeledAudio(clipLength: length, sampleRate: 16000, labelNames: labels)
        audio.samples = decoded
        audio.labels = files.map(\.label)
        audio.sources = files.map(\.path)
        let noiseDir = directory + "/_background_noise_"
        let keywords = files.filter { $0.label != silence && $0.label != unknown }.count
        let count = (keywords + 9) / 10
        if count > 0 && fm.fileExists(atPath: noiseDir) {
            let noise = try BackgroundNoise(directory: noiseDir)
            var rng = SeededGenerator(seed: seed ^ 0x5113_9CE0 ^ 2 << 32)
            for _ in 0..<count {
                let (r, start) = noise.window(length: length, split: .test, using: &rng)
                let gain = Float.random(in: 0...1, using: &rng)
                let rec = noise.recordings[r]
                audio.append(rec.samples[start..<start + length].map { Int16((Float($0) * gain).rounded()) },
                             label: silence, source: "_background_noise_/\(rec.name)@\(start)×\(gain)")
            }
        }
        return audio
    }
}
