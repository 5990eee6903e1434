import EdgewiseCore
import EdgewiseSignal
import Foundation

/// Reader for the Speech Commands v0.02 subset in `<data>/kws` (FLAC clips, `splits.csv`, `_background_noise_`),
/// with the 12 labels of Arm ML-Zoo's DS-CNN models.
///
/// The data directory is, in order: the `directory` argument, env `EDGEWISE_DATA`, or `../shared/datasets`
/// relative to the current directory. Either the datasets root (holding `kws/`) or the `kws` folder itself works.
public struct SpeechCommands: Sendable {
    /// Output labels in model order.
    public static let labels = ["_silence_", "_unknown_", "yes", "no", "up", "down", "left", "right", "on", "off", "stop", "go"]
    /// Index of `_silence_`.
    public static let silenceLabel = 0
    /// Index of `_unknown_`.
    public static let unknownLabel = 1
    /// Environment variable that overrides the default data directory.
    public static let environmentKey = "EDGEWISE_DATA"

    /// A speaker-disjoint partition from `splits.csv`.
    public enum Split: String, CaseIterable, Sendable {
        case train, validation = "val", test
    }

    /// One row of `splits.csv`.
    public struct Clip: Sendable, Equatable {
        /// Path relative to the `kws` folder, e.g. `yes/022cd682_nohash_0.flac`.
        public let file: String
        /// The spoken word (the folder name).
        public let word: String
        /// Label index into `SpeechCommands.labels` (`_unknown_` for the auxiliary words).
        public let label: Int
        /// Anonymous 8-hex-digit speaker id.
        public let speaker: String
        /// Partition.
        public let split: Split
    }

    /// How `load`/`loadAudio` build a split.
    public struct Options: Sendable {
        /// `_silence_` examples to cut from background noise; nil = ⌈10 % of the split's keyword clips⌉
        /// (TensorFlow's `silence_percentage` = 10).
        public var silenceCount: Int?
        /// Gain range for silence windows (uniform, like TF's silence background volume).
        public var silenceVolume: ClosedRange<Float>
        /// Seeds the silence windows and any augmentation.
        public var seed: UInt64
        /// Augmentation for `load` (none by default; `loadAudio` never augments).
        public var augmentation: Augmentation?
        /// Worker threads for decoding and MFCC (results do not depend on it).
        public var threads: Int

        /// Memberwise init with the defaults above.
        public init(silenceCount: Int? = nil, silenceVolume: ClosedRange<Float> = 0...1, seed: UInt64 = 0,
                    augmentation: Augmentation? = nil, threads: Int = defaultThreadCount) {
            self.silenceCount = silenceCount; self.silenceVolume = silenceVolume; self.seed = seed
            self.augmentation = augmentation; self.threads = threads
        }
    }

    /// The `kws` folder in use.
    public let directory: String
    /// Every clip listed in `splits.csv`, in file order.
    public let clips: [Clip]

    /// Finds the `kws` folder (see the type's doc) and reads `splits.csv`.
    public init(directory: String? = nil) throws(DatasetError) {
        self.directory = try Self.resolveDirectory(directory)
        clips = try Self.readSplits(self.directory + "/splits.csv")
    }

    /// The `kws` folder for `explicit`, else `$EDGEWISE_DATA`, else `../shared/datasets` (relative to the
    /// current directory), accepting either the datasets root or the `kws` folder itself.
    public static func resolveDirectory(_ explicit: String? = nil,
                                        environment: [String: String] = ProcessInfo.processInfo.environment) throws(DatasetError) -> String {
        let fm = FileManager.default
        let root: String, origin: String
        if let explicit { root = explicit; origin = "the directory argument" }
        else if let env = environment[environmentKey], !env.isEmpty { root = env; origin = "$\(environmentKey)" }
        else { root = fm.currentDirectoryPath + "/../shared/datasets"; origin = "the default ../shared/datasets" }
        let root0 = (root as NSString).standardizingPath
        for candidate in [root0 + "/kws", root0] where fm.fileExists(atPath: candidate + "/splits.csv") {
            return candidate
        }
        throw .missingDirectory(root0 + "/kws", hint: "no splits.csv under \(origin); pass a directory or set \(environmentKey) to the datasets folder")
    }

    /// The clips of `split`.
    public func clips(in split: Split) -> [Clip] { clips.filter { $0.split == split } }

    /// Silence examples for `split` under `options` (see `Options.silenceCount`).
    public func silenceCount(for split: Split, options: Options = Options()) -> Int {
        if let n = options.silenceCount { return n }
        let keywords = clips.lazy.filter { $0.split == split && $0.label >= 2 }.count
        return (keywords + 9) / 10
    }

    /// The background recordings in `_background_noise_`.
    public func backgroundNoise() throws(DatasetError) -> BackgroundNoise {
        try BackgroundNoise(directory: directory + "/_background_noise_")
    }

    /// Decodes `split`: its clips in file order (padded/cropped to 16000 samples), then `silenceCount` silence
    /// clips cut from the split's region of the background noise (recording, offset and gain from `options.seed`).
    /// Pass `noise` (from `backgroundNoise()`) to avoid decoding the recordings again for every split.
    public func loadAudio(_ split: Split, options: Options = Options(), noise: BackgroundNoise? = nil) throws(DatasetError) -> LabeledAudio {
        let list = clips(in: split)
        let length = 16000
        var audio = LabeledAudio(clipLength: length, sampleRate: 16000, labelNames: Self.labels)
        var decoded = [Int16](repeating: 0, count: list.count * length)
        var errors = [DatasetError?](repeating: nil, count: list.count)
        let dir = directory
        decoded.withUnsafeMutableBufferPointer { dst in
            errors.withUnsafeMutableBufferPointer { err in
                let dst = UncheckedSendable(dst), err = UncheckedSendable(err)
                parallelChunks(count: list.count, threads: options.threads) { range in
                    for i in range {
                        do throws(DatasetError) {
                            let s = try AudioFile.readMono(dir + "/" + list[i].file, sampleRate: 16000)
                            let n = min(s.count, length)
                            for j in 0..<n { dst.value[i * length + j] = s[j] }
                        } catch { err.value[i] = error }
                    }
                }
            }
        }
        if let first = errors.lazy.compactMap({ $0 }).first { throw first }
        audio.samples = decoded
        audio.labels = list.map(\.label)
        audio.sources = list.map(\.file)
        let silence = silenceCount(for: split, options: options)
        if silence > 0 {
            var loaded = noise
            if loaded == nil { loaded = try backgroundNoise() }
            let noise = loaded!
            var rng = SeededGenerator(seed: options.seed ^ 0x5113_9CE0 ^ UInt64(Split.allCases.firstIndex(of: split)!) << 32)
            for _ in 0..<silence {
                let (r, start) = noise.window(length: length, split: split, using: &rng)
                let gain = Float.random(in: options.silenceVolume, using: &rng)
                let rec = noise.recordings[r]
                let clip = rec.samples[start..<start + length].map { Int16((Float($0) * gain).rounded()) }
                audio.append(clip, label: Self.silenceLabel, source: "\(rec.name)@\(start)×\(gain)")
            }
        }
        return audio
    }

    /// `loadAudio(split)` turned into MFCC features (490 per clip), augmented if `options.augmentation` is set
    /// (noise for augmentation comes from the training region of the background recordings). Pass `noise` to
    /// reuse recordings already decoded.
    public func load(_ split: Split, options: Options = Options(), noise: BackgroundNoise? = nil,
                     configuration: MFCC.Configuration = .kws) throws(DatasetError) -> LabeledFeatures {
        let needsNoise = options.augmentation != nil || silenceCount(for: split, options: options) > 0
        var noise = noise
        if noise == nil && needsNoise { noise = try backgroundNoise() }
        let audio = try loadAudio(split, options: options, noise: noise)
        return audio.features(configuration: configuration, augmentation: options.augmentation, noise: noise,
                              seed: options.seed, threads: options.threads)
    }

    static func readSplits(_ path: String) throws(DatasetError) -> [Clip] {
        guard FileManager.default.fileExists(atPath: path) else { throw .missingFile(path) }
        guard let data = FileManager.default.contents(atPath: path), let text = String(data: data, encoding: .utf8) else {
            throw .malformedIndex(file: path, line: 1, reason: "not readable as UTF-8")
        }
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false).map { $0.hasSuffix("\r") ? $0.dropLast() : $0 }
        guard lines.first == "file,label,speaker,split" else {
            throw .malformedIndex(file: path, line: 1, reason: "header is '\(lines.first ?? "")', expected 'file,label,speaker,split'")
        }
        var out: [Clip] = []
        out.reserveCapacity(lines.count)
        for (n, line) in lines.enumerated().dropFirst() where !line.isEmpty {
            let f = line.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
            guard f.count == 4 else { throw .malformedIndex(file: path, line: n + 1, reason: "expected 4 fields, found \(f.count)") }
            guard let split = Split(rawValue: f[3]) else {
                throw .malformedIndex(file: path, line: n + 1, reason: "unknown split '\(f[3])' (train, val or test)")
            }
            let label: Int
            if f[1] == "unknown" { label = unknownLabel }
            else if let k = labels.firstIndex(of: f[1]), k >= 2 { label = k }
            else { throw .malformedIndex(file: path, line: n + 1, reason: "unknown label '\(f[1])'") }
            let parts = f[0].split(separator: "/")
            guard parts.count == 2, parts[1].hasPrefix(f[2] + "_nohash_") else {
                throw .malformedIndex(file: path, line: n + 1, reason: "file '\(f[0])' is not <word>/\(f[2])_nohash_<n>.<ext>")
            }
            let word = String(parts[0])
            guard label == unknownLabel ? !labels.contains(word) : word == f[1] else {
                throw .malformedIndex(file: path, line: n + 1, reason: "folder '\(word)' does not match label '\(f[1])'")
            }
            out.append(Clip(file: f[0], word: word, label: label, speaker: f[2], split: split))
        }
        return out
    }
}
