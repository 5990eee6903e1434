import EdgewiseCore
import Testing
@testable import EdgewiseData

@Suite struct SyntheticKeywordsTests {
    @Test func sameSeedSameClipsAnyThreadCount() {
        let gen = SyntheticKeywords()
        let a = gen.make(examplesPerClass: 3, seed: 42, threads: 2)
        let b = gen.make(examplesPerClass: 3, seed: 42, threads: 1)
        let c = gen.make(examplesPerClass: 3, seed: 43, threads: 2)
        #expect(a.samples == b.samples && a.labels == b.labels)
        #expect(a.samples != c.samples)
        // A second generator with the same template seed says the same words.
        #expect(SyntheticKeywords().make(examplesPerClass: 1, seed: 42).samples == gen.make(examplesPerClass: 1, seed: 42).samples)
        #expect(SyntheticKeywords(templateSeed: 1).make(examplesPerClass: 1, seed: 42).samples != gen.make(examplesPerClass: 1, seed: 42).samples)
    }

    @Test func layoutFollowsSpeechCommands() {
        let gen = SyntheticKeywords()
        #expect(gen.labelNames == SpeechCommands.labels)
        #expect(SyntheticKeywords(classCount: 5).labelNames == ["_silence_", "_unknown_", "word2", "word3", "word4"])
        let a = gen.make(examplesPerClass: 4, seed: 1)
        #expect(a.count == 48 && a.labels.prefix(13) == [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 0])
        #expect(a.labelCounts == [Int](repeating: 4, count: 12))
        #expect(a.clipLength == 16000 && a.samples.count == 48 * 16000)
        // Silence is quieter than words; every word clip has a loud part and quiet edges.
        func rms(_ s: ArraySlice<Int16>) -> Double { (s.reduce(0.0) { $0 + Double($1) * Double($1) } / Double(s.count)).squareRoot() }
        for i in 0..<a.count {
            let clip = a[i].samples
            if a.labels[i] == 0 { #expect(rms(clip) < 1500, "silence clip \(i)") }
            else {
                #expect(clip.map { abs(Int($0)) }.max()! > 3000, "clip \(i) too quiet")
                #expect(rms(clip.prefix(400)) < rms(clip), "clip \(i) starts loud")
            }
        }
    }

    @Test func syntheticNoiseFeedsAugmentation() {
        let gen = SyntheticKeywords(classCount: 4)
        let noise = gen.backgroundNoise(count: 2, seconds: 3, seed: 9)
        #expect(noise.recordings.count == 2 && noise.recordings.allSatisfy { $0.samples.count == 48000 })
        #expect(noise.recordings[0].samples != noise.recordings[1].samples)
        #expect(gen.backgroundNoise(count: 2, seconds: 3, seed: 9).recordings[1].samples == noise.recordings[1].samples)
        let audio = gen.make(examplesPerClass: 1, seed: 3)
        let aug = Augmentation(maxTimeShift: 0, backgroundProbability: 1, backgroundVolume: 0.5)
        let withNoise = audio.features(augmentation: aug, noise: noise, seed: 1)
        let without = audio.features(augmentation: aug, noise: nil, seed: 1)
        #expect(withNoise.features[490..<980] != without.features[490..<980])   // label 1 got noise
        #expect(withNoise.features[0..<490] == without.features[0..<490])       // label 0 (silence) is skipped
    }

    /// Onset-invariant summary of a 49×10 MFCC clip: per coefficient, the mean over the 12 loudest frames (by c0)
    /// and the maximum over all frames.
    static func pooled(_ f: [Float]) -> [Double] {
        let frames = (0..<49).sorted { f[$0 * 10] > f[$1 * 10] }.prefix(12)
        var out = [Double](repeating: 0, count: 20)
        for k in 0..<10 {
            out[k] = frames.reduce(0.0) { $0 + Double(f[$1 * 10 + k]) } / 12
            out[10 + k] = Double((0..<49).map { f[$0 * 10 + k] }.max()!)
        }
        return out
    }

    /// The classes must be learnable from MFCCs: a nearest-centroid classifier on pooled MFCCs, fit on one seed,
    /// labels another seed's clips far above chance (1/12).
    @Test func classesAreSeparableByMFCC() {
        let gen = SyntheticKeywords()
        let train = gen.make(examplesPerClass: 16, seed: 100).features()
        let test = gen.make(examplesPerClass: 8, seed: 200).features()
        let k = gen.classCount
        let trainX = (0..<train.count).map { Self.pooled(train[$0].features) }
        let testX = (0..<test.count).map { Self.pooled(test[$0].features) }
        // Standardise each dimension with the training statistics.
        let dims = trainX[0].count
        var mean = [Double](repeating: 0, count: dims), sd = mean
        for x in trainX { for j in 0..<dims { mean[j] += x[j] / Double(trainX.count) } }
        for x in trainX { for j in 0..<dims { sd[j] += (x[j] - mean[j]) * (x[j] - mean[j]) / Double(trainX.count) } }
        sd = sd.map { max($0.squareRoot(), 1e-6) }
        func z(_ x: [Double]) -> [Double] { (0..<dims).map { (x[$0] - mean[$0]) / sd[$0] } }
        var centroids = [[Double]](repeating: [Double](repeating: 0, count: dims), count: k)
        for (x, l) in zip(trainX.map(z), train.labels) { for j in 0..<dims { centroids[l][j] += x[j] / 16 } }
        var correct = 0, perClass = [Int](repeating: 0, count: k)
        for (x, l) in zip(testX.map(z), test.labels) {
            let dist = centroids.map { c in zip(c, x).reduce(0.0) { $0 + ($1.0 - $1.1) * ($1.0 - $1.1) } }
            if dist.indices.min(by: { dist[$0] < dist[$1] }) == l { correct += 1; perClass[l] += 1 }
        }
        let accuracy = Double(correct) / Double(test.count)
        print("synthetic keywords, nearest-centroid accuracy on pooled MFCC: \(accuracy), correct per class (of 8): \(perClass)")
        #expect(accuracy > 0.75, "accuracy \(accuracy)")
    }
}
