/// One labelled example: a flat feature vector in the model's input layout, a class label, and
/// optional soft targets (one per class; used by binary cross-entropy and MSE).
public struct Sample: Sendable {
    public var features: [Float]
    public var label: Int
    public var target: [Float]?
    public init(features: [Float], label: Int, target: [Float]? = nil) {
        self.features = features; self.label = label; self.target = target
    }
}

/// A random-access collection of labelled samples: the one dataset abstraction, shared by the
/// readers (Speech Commands, ECG, …), training and evaluation. Readers conform to it, or build an
/// ``ArrayDataset`` from `[(features, label)]`.
public protocol Dataset: Sendable {
    /// Number of samples.
    var count: Int { get }
    /// Number of classes (labels are `0..<classCount`).
    var classCount: Int { get }
    /// The sample at `index` (`0..<count`). Called from a background thread while the model trains.
    func sample(at index: Int) -> Sample
    /// Class names, indexed by label (default `class0`, `class1`, …).
    var labelNames: [String] { get }
}

extension Dataset {
    public var labelNames: [String] { (0..<classCount).map { "class\($0)" } }

    /// Every sample's label, in order.
    public var labels: [Int] { (0..<count).map { sample(at: $0).label } }

    /// Samples per class.
    public var classCounts: [Int] {
        var c = [Int](repeating: 0, count: classCount)
        for l in labels where l >= 0 && l < classCount { c[l] += 1 }
        return c
    }

    /// Inverse-frequency class weights normalised to mean 1 over the present classes
    /// (`N / (K · countᵢ)`), for cross-entropy on imbalanced data. Absent classes get 0.
    public var balancedClassWeights: [Float] {
        let counts = classCounts
        let present = counts.filter { $0 > 0 }.count
        return counts.map { $0 == 0 ? 0 : Float(count) / Float(present * $0) }
    }

}

/// A dataset held in memory.
public struct ArrayDataset: Dataset {
    public var samples: [Sample]
    public let classCount: Int
    public var count: Int { samples.count }
    public func sample(at index: Int) -> Sample { samples[index] }

    public init(samples: [Sample], classCount: Int) {
        self.samples = samples; self.classCount = classCount
    }

    /// From `(features, label)` pairs; the class count defaults to the largest label + 1.
    public init(_ pairs: [(features: [Float], label: Int)], classCount: Int? = nil) {
        samples = pairs.map { Sample(features: $0.features, label: $0.label) }
        self.classCount = classCount ?? ((pairs.map(\.label).max() ?? -1) + 1)
    }
}

