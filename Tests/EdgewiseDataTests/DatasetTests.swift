import EdgewiseTesting
import EdgewiseCore
import Testing
@testable import EdgewiseData

@Suite struct DatasetTests {
    @Test func appendPadsAndCrops() {
        var a = LabeledAudio(clipLength: 10, labelNames: ["a", "b"])
        a.append([1, 2, 3], label: 1, source: "short")
        a.append(Array(1...15).map { Int16($0) }, label: 0, source: "long")
        #expect(a.count == 2 && a.samples.count == 20)
        #expect(Array(a[0].samples) == [1, 2, 3, 0, 0, 0, 0, 0, 0, 0] && a[0].label == 1)
        #expect(Array(a[1].samples) == Array(1...10).map { Int16($0) })
        #expect(a.labelCounts == [1, 1] && a.sources == ["short", "long"])
    }

    static func noise() -> BackgroundNoise { sharedNoise }
    static let sharedNoise: BackgroundNoise = {
        var rng = SeededGenerator(seed: 8)
        return BackgroundNoise(recordings: [
            .init(name: "a", samples: (0..<200_000).map { _ in Int16.random(in: -8000...8000, using: &rng) }),
            .init(name: "short", samples: [Int16](repeating: 1, count: 100_000)),   // too short for val/test windows
        ])
    }()

    @Test func noiseWindowsStayInTheirSplitRegion() {
        let noise = Self.noise()
        var rng = SeededGenerator(seed: 1)
        for split in SpeechCommands.Split.allCases {
            for _ in 0..<200 {
                let (r, start) = noise.window(length: 16000, split: split, using: &rng)
                let region = BackgroundNoise.region(count: noise.recordings[r].samples.count, split: split)
                #expect(start >= region.lowerBound && start + 16000 <= region.upperBound)
                if split != .train { #expect(r == 0) }
            }
        }
        #expect(BackgroundNoise.region(count: 100, split: .train) == 0..<80)
        #expect(BackgroundNoise.region(count: 100, split: .validation) == 80..<90)
        #expect(BackgroundNoise.region(count: 100, split: .test) == 90..<100)
    }

    @Test func augmentationShiftsWithinBoundsAndClamps() {
        let aug = Augmentation(maxTimeShift: 1600, backgroundProbability: 0)
        var shifts = Set<Int>()
        let noise = Self.noise()
        for seed in 0..<50 {
            var clip = [Float](repeating: 0, count: 16000)
            clip[8000] = 0.5; clip[100] = 3
            var rng = SeededGenerator(seed: UInt64(seed))
            aug.apply(to: &clip, noise: noise, using: &rng)
            let nonzero = clip.indices.filter { clip[$0] != 0 }
            let pulse = nonzero.first { clip[$0] == 0.5 }
            #expect(pulse != nil && abs(pulse! - 8000) <= 1600)
            shifts.insert(pulse! - 8000)
            #expect(clip.allSatisfy { $0 <= 1 && $0 >= -1 })        // 3 clamps to 1 (or is shifted out)
            #expect(nonzero.count <= 2)
        }
        #expect(shifts.count > 10 && shifts.contains { $0 < 0 } && shifts.contains { $0 > 0 })
    }

    @Test func augmentedFeaturesAreSeededAndSkipSilence() {
        let audio = SyntheticKeywords().make(examplesPerClass: 2, seed: 5)
        let noise = Self.noise()
        let plain = audio.features()
        let a1 = audio.features(augmentation: .tensorflow, noise: noise, seed: 7, threads: 2)
        let a2 = audio.features(augmentation: .tensorflow, noise: noise, seed: 7, threads: 1)
        let b = audio.features(augmentation: .tensorflow, noise: noise, seed: 8)
        #expect(a1.features == a2.features)
        #expect(a1.features != b.features && a1.features != plain.features)
        let d = plain.featureCount
        for i in 0..<audio.count where audio.labels[i] == SpeechCommands.silenceLabel {
            #expect(a1.features[i * d..<(i + 1) * d] == plain.features[i * d..<(i + 1) * d])
        }
        #expect(a1[1].features.count == 490 && a1[1].label == 1)
    }
}

/// `EDGEWISE_REQUIRE_SHARED=1` turns a missing shared file into an error that names it; otherwise it is a skip.
@Test func missingSharedDataSkipsOrFailsWhenRequired() throws {
    #expect(try SharedData.check(["no/such/file.npy"], required: false) == false)
    #expect { try SharedData.check(["no/such/file.npy"], required: true) } throws: { error in
        "\(error)".contains("no/such/file.npy") && "\(error)".contains("EDGEWISE_REQUIRE_SHARED")
    }
    #expect(try SharedData.check([], required: true))
}
