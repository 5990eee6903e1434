import EdgewiseCore
import EdgewiseData
import EdgewiseModel
import EdgewisePolicy
import Foundation

/// Speech Commands features for the policy commands, with an on-disk MFCC cache (features depend only
/// on the clips, the split and the seed, so a cache file keyed by those is safe to reuse).
enum PolicyData {
    /// One split as MFCC features. `dataDirectory` is the datasets folder or the kws folder itself
    /// (nil: $EDGEWISE_DATA, else ../shared/datasets). `cache` is a folder for feature files (nil: none).
    static func load(_ split: SpeechCommands.Split, dataDirectory: String?, seed: UInt64 = 1, cache: String? = "out/cache") throws -> LabeledFeatures {
        let sc = try SpeechCommands(directory: dataDirectory)
        let key = "kws-\(split.rawValue)-seed\(seed)-\(sc.clips.count)clips.f32"
        let path = cache.map { ($0 as NSString).appendingPathComponent(key) }
        if let path, let data = FileManager.default.contents(atPath: path), data.count >= 8 {
            let n = data.withUnsafeBytes { Int($0.loadUnaligned(fromByteOffset: 0, as: Int32.self)) }
            let f = data.withUnsafeBytes { Int($0.loadUnaligned(fromByteOffset: 4, as: Int32.self)) }
            if n > 0, f > 0, data.count == 8 + n * 4 + n * f * 4 {
                let labels = data.withUnsafeBytes { raw in (0..<n).map { Int(raw.loadUnaligned(fromByteOffset: 8 + 4 * $0, as: Int32.self)) } }
                let feats = data.withUnsafeBytes { raw in (0..<(n * f)).map { raw.loadUnaligned(fromByteOffset: 8 + 4 * n + 4 * $0, as: Float.self) } }
                return LabeledFeatures(featureCount: f, labelNames: SpeechCommands.labels, features: feats, labels: labels)
            }
        }
        let feats = try sc.load(split, options: SpeechCommands.Options(seed: seed))
        if let path {
            var d = Data()
            var n = Int32(feats.count), f = Int32(feats.featureCount)
            withUnsafeBytes(of: &n) { d.append(contentsOf: $0) }
            withUnsafeBytes(of: &f) { d.append(contentsOf: $0) }
            for l in feats.labels { var v = Int32(l); withUnsafeBytes(of: &v) { d.append(contentsOf: $0) } }
            feats.features.withUnsafeBytes { d.append(contentsOf: $0) }
            try? FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
            _ = FileManager.default.createFile(atPath: path, contents: d)
        }
        return feats
    }

    /// Raw outputs of every exit for each sample (for the policy replay), with optional feature noise from `noise.start`.
    static func outputs(_ executor: Executor, _ data: LabeledFeatures, noise: (start: Int, sigma: Float)? = nil, seed: UInt64 = 9) -> [[[Float]]] {
        var rng = SeededGenerator(seed: seed)
        let f = data.featureCount
        var all: [[[Float]]] = []
        for i in 0..<data.count {
            for k in 0..<f { executor.input[k] = data.features[i * f + k] }
            if let noise, i >= noise.start {
                for k in 0..<f {
                    let u1 = max(rng.uniform(0...1), 1e-7), u2 = rng.uniform(0...1)
                    executor.input[k] += noise.sigma * (-2 * Foundation.log(u1)).squareRoot() * Foundation.cos(2 * .pi * u2)
                }
            }
            var outs: [[Float]] = []
            let last = executor.run { outs.append(Array($0.values)); return .continue }
            outs.append(Array(last.values))
            all.append(outs)
        }
        return all
    }
}

extension LabeledFeatures {
    /// `self` repeated `times` times (a longer stream for simulations).
    func repeated(_ times: Int) -> LabeledFeatures {
        guard times > 1 else { return self }
        return LabeledFeatures(featureCount: featureCount, labelNames: labelNames,
                               features: Array((0..<times).map { _ in features }.joined()), labels: Array((0..<times).map { _ in labels }.joined()))
    }
}
