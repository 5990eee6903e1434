import EdgewiseTesting
import EdgewiseCore
import Foundation
import Testing
@testable import EdgewiseData

/// Reader behaviour on small generated trees (no dataset needed).
@Suite struct SpeechCommandsReaderTests {
    /// A tiny kws tree: two clips per listed row, 16 kHz mono WAV, plus one noise recording.
    static func makeTree(rows: [String], header: String = "file,label,speaker,split", skipFiles: Set<String> = [],
                         rate: [String: Int] = [:]) throws -> String {
        let root = try Fixtures.tempDirectory()
        let kws = root + "/kws"
        try FileManager.default.createDirectory(atPath: kws + "/_background_noise_", withIntermediateDirectories: true)
        var text = header + "\n"
        for (i, row) in rows.enumerated() {
            text += row + "\n"
            let file = String(row.split(separator: ",")[0])
            guard !skipFiles.contains(file) else { continue }
            try FileManager.default.createDirectory(atPath: kws + "/" + file.split(separator: "/")[0], withIntermediateDirectories: true)
            let n = 12000 + 3000 * i   // some shorter, some longer than 1 s
            try Fixtures.write(Fixtures.wavBytes((0..<n).map { Int16(truncatingIfNeeded: $0 &* 7 &+ i) }, sampleRate: rate[file] ?? 16000), to: kws + "/" + file)
        }
        try text.write(toFile: kws + "/splits.csv", atomically: true, encoding: .utf8)
        var rng = SeededGenerator(seed: 5)
        try Fixtures.write(Fixtures.wavBytes((0..<200_000).map { _ in Int16.random(in: -3000...3000, using: &rng) }), to: kws + "/_background_noise_/hum.wav")
        return root
    }

    static let rows = ["yes/aaaa0001_nohash_0.wav,yes,aaaa0001,train", "bed/bbbb0002_nohash_0.wav,unknown,bbbb0002,train",
                       "go/cccc0003_nohash_1.wav,go,cccc0003,test"]

    @Test func loadsATinyTreeWithPaddingCroppingAndSilence() throws {
        let root = try Self.makeTree(rows: Self.rows)
        let sc = try SpeechCommands(directory: root)
        #expect(sc.directory == root + "/kws")
        #expect(sc.clips.map(\.label) == [2, 1, 11])
        #expect(sc.clips[1].word == "bed" && sc.clips[1].speaker == "bbbb0002" && sc.clips[2].split == .test)
        let train = try sc.loadAudio(.train, options: .init(silenceCount: 3, seed: 9))
        #expect(train.count == 5 && train.labels == [2, 1, 0, 0, 0])
        #expect(train.samples.count == 5 * 16000)
        // Clip 0 had 12000 samples: zero padded at the end. Clip 1 had 15000 samples.
        #expect(train[0].samples.suffix(4000).allSatisfy { $0 == 0 })
        #expect(train[0].samples.prefix(12000).last == Int16(truncatingIfNeeded: 11999 &* 7))
        // Silence windows come from the train region (first 80 %) of the recording and are reproducible.
        #expect(train.sources[2].hasPrefix("hum.wav@"))
        let again = try sc.loadAudio(.train, options: .init(silenceCount: 3, seed: 9))
        #expect(again.samples == train.samples && again.sources == train.sources)
        let other = try sc.loadAudio(.train, options: .init(silenceCount: 3, seed: 10))
        #expect(other.samples != train.samples)
        let test = try sc.load(.test, options: .init(silenceCount: 0))
        #expect(test.count == 1 && test.featureCount == 490 && test.labels == [11])
    }

    @Test func missingListedFileIsNamed() throws {
        let root = try Self.makeTree(rows: Self.rows, skipFiles: ["bed/bbbb0002_nohash_0.wav"])
        let sc = try SpeechCommands(directory: root)
        let e = #expect(throws: DatasetError.self) { try sc.loadAudio(.train, options: .init(silenceCount: 0)) }
        #expect(e == .missingFile(root + "/kws/bed/bbbb0002_nohash_0.wav"))
    }

    @Test func wrongRateClipIsNamed() throws {
        let root = try Self.makeTree(rows: Self.rows, rate: ["go/cccc0003_nohash_1.wav": 22050])
        let sc = try SpeechCommands(directory: root)
        let e = #expect(throws: DatasetError.self) { try sc.loadAudio(.test, options: .init(silenceCount: 0)) }
        #expect(e == .unsupportedFormat(file: root + "/kws/go/cccc0003_nohash_1.wav", sampleRate: 22050, channels: 1, expected: "16000 Hz mono"))
    }

    @Test(arguments: [
        (["file,label,speaker"], 1, "header"),
        (["file,label,speaker,split", "yes/aaaa0001_nohash_0.wav,yes,aaaa0001,train", "yes/aaaa0001_nohash_1.wav,maybe,aaaa0001,train"], 3, "unknown label 'maybe'"),
        (["file,label,speaker,split", "yes/aaaa0001_nohash_0.wav,yes,aaaa0001,holdout"], 2, "unknown split"),
        (["file,label,speaker,split", "yes/aaaa0001_nohash_0.wav,yes,aaaa0001"], 2, "4 fields"),
        (["file,label,speaker,split", "no/aaaa0001_nohash_0.wav,yes,aaaa0001,train"], 2, "does not match"),
        (["file,label,speaker,split", "yes/zzzz_nohash_0.wav,yes,aaaa0001,train"], 2, "is not <word>/aaaa0001_nohash_"),
    ])
    func malformedSplitsReportFileAndLine(lines: [String], line: Int, fragment: String) throws {
        let dir = try Fixtures.tempDirectory()
        try (lines.joined(separator: "\n") + "\n").write(toFile: dir + "/splits.csv", atomically: true, encoding: .utf8)
        let e = #expect(throws: DatasetError.self) { try SpeechCommands(directory: dir) }
        guard case .malformedIndex(let file, let l, let reason)? = e else { Issue.record("got \(String(describing: e))"); return }
        #expect(file == dir + "/splits.csv" && l == line)
        #expect(reason.contains(fragment), "\(reason)")
        #expect(e!.description.hasPrefix(dir + "/splits.csv:\(line): "))
    }

    @Test func directoryResolutionOrder() throws {
        let a = try Self.makeTree(rows: Self.rows), b = try Self.makeTree(rows: Self.rows)
        // Explicit argument beats the environment; the kws folder itself is accepted too.
        #expect(try SpeechCommands.resolveDirectory(a, environment: ["EDGEWISE_DATA": b]) == a + "/kws")
        #expect(try SpeechCommands.resolveDirectory(nil, environment: ["EDGEWISE_DATA": b]) == b + "/kws")
        #expect(try SpeechCommands.resolveDirectory(b + "/kws", environment: [:]) == b + "/kws")
        let e = #expect(throws: DatasetError.self) { try SpeechCommands.resolveDirectory(nil, environment: ["EDGEWISE_DATA": a + "/missing"]) }
        #expect(e?.description.contains(a + "/missing") == true && e?.description.contains("EDGEWISE_DATA") == true)
        // Default: ../shared/datasets relative to the current directory.
        let cwd = FileManager.default.currentDirectoryPath
        let expected = ((cwd + "/../shared/datasets") as NSString).standardizingPath
        if FileManager.default.fileExists(atPath: expected + "/kws/splits.csv") {
            #expect(try SpeechCommands.resolveDirectory(nil, environment: [:]) == expected + "/kws")
        } else {
            let e2 = #expect(throws: DatasetError.self) { try SpeechCommands.resolveDirectory(nil, environment: [:]) }
            #expect(e2?.description.contains(expected) == true)
        }
    }
}

/// Checks against the real subset's PROVENANCE.md (skipped when the dataset is absent).
@Suite(SharedData.needs("datasets/kws/splits.csv"))
struct SpeechCommandsDatasetTests {
    struct NoDataset: Error {}
    static func dataset() throws -> SpeechCommands {
        guard let dir = Fixtures.kws else { throw NoDataset() }
        return try SpeechCommands(directory: dir)
    }

    /// PROVENANCE.md §3: train / val / test clips per label.
    static let expected: [String: (Int, Int, Int)] = [
        "yes": (237, 30, 25), "no": (230, 33, 26), "up": (236, 36, 18), "down": (244, 32, 16), "left": (237, 35, 18),
        "right": (236, 25, 30), "on": (238, 27, 26), "off": (239, 31, 19), "stop": (240, 27, 24), "go": (237, 29, 22),
        "_unknown_": (265, 35, 22),
    ]

    @Test func countsPerSplitAndLabelMatchProvenance() throws {
        let sc = try Self.dataset()
        #expect(sc.clips.count == 3225)
        for (i, split) in SpeechCommands.Split.allCases.enumerated() {
            let clips = sc.clips(in: split)
            #expect(clips.count == [2639, 340, 246][i], "\(split)")
            for (name, counts) in Self.expected {
                let label = SpeechCommands.labels.firstIndex(of: name)!
                let n = clips.filter { $0.label == label }.count
                #expect(n == [counts.0, counts.1, counts.2][i], "\(split) \(name): \(n)")
            }
            #expect(sc.silenceCount(for: split) == [238, 31, 23][i])
        }
        #expect(Set(sc.clips.filter { $0.label == SpeechCommands.unknownLabel }.map(\.word)).count == 25)
        #expect(sc.clips.allSatisfy { FileManager.default.fileExists(atPath: sc.directory + "/" + $0.file) })
    }

    @Test func splitsAreSpeakerDisjoint() throws {
        let sc = try Self.dataset()
        let speakers = SpeechCommands.Split.allCases.map { s in Set(sc.clips(in: s).map(\.speaker)) }
        #expect(speakers.map(\.count) == [199, 21, 19])
        #expect(speakers[0].isDisjoint(with: speakers[1]))
        #expect(speakers[0].isDisjoint(with: speakers[2]))
        #expect(speakers[1].isDisjoint(with: speakers[2]))
        #expect(speakers.reduce(Set<String>()) { $0.union($1) }.count == 239)
    }

    @Test func everyClipDecodesToOneSecond() throws {
        let sc = try Self.dataset()
        for split in SpeechCommands.Split.allCases {
            let audio = try sc.loadAudio(split, options: .init(silenceCount: 0))
            #expect(audio.count == sc.clips(in: split).count)
            // Every file is exactly 16000 samples (PROVENANCE §4), and the loader kept them unchanged, in order.
            let clips = sc.clips(in: split)
            for i in 0..<audio.count {
                let raw = try AudioFile.readMono(sc.directory + "/" + clips[i].file)
                #expect(raw.count == 16000, "\(clips[i].file)")
                #expect(Array(audio[i].samples) == raw, "\(clips[i].file)")
                #expect(audio.sources[i] == clips[i].file && audio.labels[i] == clips[i].label)
            }
        }
        let noise = try sc.backgroundNoise()
        #expect(noise.recordings.map(\.name) == ["doing_the_dishes.flac", "dude_miaowing.flac", "exercise_bike.flac",
                                                 "pink_noise.flac", "running_tap.flac", "white_noise.flac"])
        #expect(noise.recordings.map(\.samples.count) == [1_522_930, 988_891, 980_062, 960_000, 978_488, 960_000])
    }

    @Test func testSplitFeaturesAreDeterministic() throws {
        let sc = try Self.dataset()
        let a = try sc.load(.test, options: .init(seed: 1, threads: 2))
        let audio = try sc.loadAudio(.test, options: .init(seed: 1))
        let b = audio.features(threads: 1)
        #expect(a.count == 246 + 23 && a.featureCount == 490)
        #expect(a.labelCounts == [23, 22, 25, 26, 18, 16, 18, 30, 26, 19, 24, 22])
        #expect(a.features == b.features && a.labels == b.labels)
        #expect(a.features.allSatisfy { $0.isFinite })
        // Another seed: the same clips, different silence windows.
        let c = try sc.loadAudio(.test, options: .init(seed: 2))
        #expect(c.samples[0..<246 * 16000] == audio.samples[0..<246 * 16000])
        #expect(c.samples[246 * 16000..<c.samples.count] != audio.samples[246 * 16000..<c.samples.count])
    }
}
