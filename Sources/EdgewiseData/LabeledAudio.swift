import EdgewiseCore
import EdgewiseSignal

/// Fixed-length 16-bit clips with labels, stored flat (`count × clipLength`). Real and synthetic audio both
/// arrive as this, so training code can featurise (and augment) them the same way.
public struct LabeledAudio: Sendable {
    /// Samples per clip.
    public let clipLength: Int
    /// Sample rate in Hz.
    public let sampleRate: Int
    /// Label names, indexed by label.
    public let labelNames: [String]
    /// All clips back to back.
    public internal(set) var samples: [Int16]
    /// Label of each clip.
    public internal(set) var labels: [Int]
    /// Where each clip came from (a file path relative to the dataset, or a description for generated clips).
    public internal(set) var sources: [String]

    /// An empty set for clips of `clipLength` samples.
    public init(clipLength: Int = 16000, sampleRate: Int = 16000, labelNames: [String]) {
        self.clipLength = clipLength; self.sampleRate = sampleRate; self.labelNames = labelNames
        samples = []; labels = []; sources = []
    }

    public var count: Int { labels.count }

    /// Clip `index`: its samples and label.
    public subscript(index: Int) -> (samples: ArraySlice<Int16>, label: Int) {
        (samples[index * clipLength..<(index + 1) * clipLength], labels[index])
    }

    /// Number of clips per label, indexed by label.
    public var labelCounts: [Int] {
        var c = [Int](repeating: 0, count: labelNames.count)
        for l in labels { c[l] += 1 }
        return c
    }

    /// Appends one clip, zero-padded or cropped (at the end) to `clipLength`.
    public mutating func append(_ clip: some Collection<Int16>, label: Int, source: String) {
        precondition(labelNames.indices.contains(label), "label \(label) out of range")
        let kept = clip.prefix(clipLength)
        samples.append(contentsOf: kept)
        if kept.count < clipLength { samples.append(contentsOf: repeatElement(0, count: clipLength - kept.count)) }
        labels.append(label)
        sources.append(source)
    }

    /// MFCC features of every clip (in order), computed on up to `threads` threads; the result does not depend
    /// on `threads`. With `augmentation`, each clip is first time-shifted and mixed with `noise` as
    /// `Augmentation.apply` describes, from a generator seeded by `seed` and the clip's index (labels in
    /// `augmentation.skipLabels` are left alone).
    public func features(configuration: MFCC.Configuration = .kws, augmentation: Augmentation? = nil,
                         noise: BackgroundNoise? = nil, seed: UInt64 = 0,
                         threads: Int = defaultThreadCount) -> LabeledFeatures {
        let proto = MFCC(configuration)
        let width = proto.featureCount(sampleCount: clipLength)
        var out = [Float](repeating: 0, count: count * width)
        let n = count, length = clipLength
        out.withUnsafeMutableBufferPointer { dst in
            let dst = UncheckedSendable(dst)
            samples.withUnsafeBufferPointer { src in
                let src = UncheckedSendable(src)
                parallelChunks(count: n, threads: threads) { range in
                    var mfcc = proto
                    var scratch = [Float](repeating: 0, count: length)
                    for i in range {
                        let clip = UnsafeBufferPointer(rebasing: src.value[i * length..<(i + 1) * length])
                        let target = UnsafeMutableBufferPointer(rebasing: dst.value[i * width..<(i + 1) * width])
                        if let augmentation, !augmentation.skipLabels.contains(labels[i]) {
                            for j in 0..<length { scratch[j] = Float(clip[j]) * (1.0 / 32768) }
                            var rng = exampleGenerator(seed: seed, index: i)
                            augmentation.apply(to: &scratch, noise: noise, using: &rng)
                            scratch.withUnsafeBufferPointer { mfcc.compute(samples: $0, into: target) }
                        } else {
                            mfcc.compute(pcm16: clip, into: target)
                        }
                    }
                }
            }
        }
        return LabeledFeatures(featureCount: width, labelNames: labelNames, features: out, labels: labels)
    }
}

/// Feature vectors with labels, stored flat (`count × featureCount`), e.g. 490 MFCCs per 1 s clip.
public struct LabeledFeatures: Dataset {
    /// Number of classes: one per label name.
    public var classCount: Int { labelNames.count }
    /// The sample at `index`, as training reads it.
    public func sample(at index: Int) -> Sample { let s = self[index]; return Sample(features: s.features, label: s.label) }

    /// Floats per example.
    public let featureCount: Int
    /// Label names, indexed by label.
    public let labelNames: [String]
    /// All feature vectors back to back.
    public let features: [Float]
    /// Label of each example.
    public let labels: [Int]

    /// Wraps flat features; `features.count == labels.count × featureCount`.
    public init(featureCount: Int, labelNames: [String], features: [Float], labels: [Int]) {
        precondition(features.count == labels.count * featureCount, "LabeledFeatures: \(features.count) floats for \(labels.count) × \(featureCount)")
        self.featureCount = featureCount; self.labelNames = labelNames; self.features = features; self.labels = labels
    }

    public var count: Int { labels.count }

    /// Example `index`: its features and label.
    public subscript(index: Int) -> (features: [Float], label: Int) {
        (Array(features[index * featureCount..<(index + 1) * featureCount]), labels[index])
    }

    /// Number of examples per label, indexed by label.
    public var labelCounts: [Int] {
        var c = [Int](repeating: 0, count: labelNames.count)
        for l in labels { c[l] += 1 }
        return c
    }
}
