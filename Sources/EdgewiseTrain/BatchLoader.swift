import EdgewiseCore
import Dispatch
import Foundation

extension Dataset {
    /// Checks every sample's feature count and label.
    public func validate(featureCount: Int, classes: Int) throws {
        for i in 0..<count {
            let s = sample(at: i)
            guard s.features.count == featureCount else { throw TrainingError.featureSizeMismatch(expected: featureCount, got: s.features.count, sample: i) }
            guard s.label >= 0 && s.label < classes else { throw TrainingError.labelOutOfRange(label: s.label, classes: classes, sample: i) }
        }
    }
}

/// How a loader orders samples within an epoch.
public enum Sampling: String, Codable, Sendable {
    /// Every sample once, in a new random order each epoch.
    case shuffled
    /// Every sample once, in dataset order (evaluation).
    case sequential
    /// `count` draws per epoch, each picking a class uniformly then a sample of it uniformly (with
    /// replacement), so rare classes are seen as often as common ones.
    case classBalanced
}

/// Applied to each training sample's features after loading, with a generator seeded from
/// (run seed, epoch, position), so augmentation repeats exactly on resume and on any thread.
public typealias FeatureAugmentation = @Sendable (_ features: inout [Float], _ rng: inout SeededGenerator) -> Void

/// One batch: `batchSize × featureCount` features, labels, and soft targets when samples have them.
public struct Batch: Sendable {
    public var features: [Float]
    public var labels: [Int]
    public var targets: [Float]?
}

/// Cuts a dataset into batches in a deterministic order: the order of epoch `e` depends only on
/// the seed and `e`, so the data position is fully described by (epoch, batch index). Batches are
/// prepared on a background thread while the caller computes (``batches(epoch:from:)``).
public struct BatchLoader: Sendable {
    public let dataset: any Dataset
    public let batchSize: Int
    public let sampling: Sampling
    public let seed: UInt64
    public let augmentation: FeatureAugmentation?
    /// Class per sample, for balanced sampling.
    private let byClass: [[Int]]

    public init(dataset: any Dataset, batchSize: Int, sampling: Sampling = .shuffled, seed: UInt64, augmentation: FeatureAugmentation? = nil) throws {
        guard batchSize >= 1 else { throw TrainingError.invalidArgument("batch size must be ≥ 1") }
        guard dataset.count >= batchSize else {
            throw TrainingError.invalidArgument("the dataset has \(dataset.count) samples, fewer than one batch of \(batchSize)")
        }
        self.dataset = dataset; self.batchSize = batchSize; self.sampling = sampling; self.seed = seed
        self.augmentation = augmentation
        var by = [[Int]](repeating: [], count: dataset.classCount)
        if sampling == .classBalanced { for i in 0..<dataset.count { by[dataset.sample(at: i).label].append(i) } }
        byClass = by
    }

    /// Full batches per epoch (the remainder is dropped in training).
    public var batchesPerEpoch: Int { dataset.count / batchSize }

    /// The sample indices of epoch `epoch`, in order.
    public func order(epoch: Int) -> [Int] {
        var rng = SeededGenerator(seed: mixSeed(seed, UInt64(epoch) &+ 0x5EED))
        switch sampling {
        case .sequential: return Array(0..<dataset.count)
        case .shuffled: return Array(0..<dataset.count).shuffled(using: &rng)
        case .classBalanced:
            let classes = byClass.indices.filter { !byClass[$0].isEmpty }
            return (0..<dataset.count).map { _ in
                let c = classes[Int.random(in: 0..<classes.count, using: &rng)]
                return byClass[c][Int.random(in: 0..<byClass[c].count, using: &rng)]
            }
        }
    }

    /// Assembles batch `index` of an epoch whose order is `order`.
    public func batch(epoch: Int, index: Int, order: [Int]) -> Batch {
        var features: [Float] = []
        var labels: [Int] = []
        var targets: [Float]? = nil
        for k in 0..<batchSize {
            let position = index * batchSize + k
            var s = dataset.sample(at: order[position])
            if let augmentation {
                var rng = SeededGenerator(seed: mixSeed(mixSeed(seed, UInt64(epoch)), UInt64(position)))
                augmentation(&s.features, &rng)
            }
            if features.isEmpty { features.reserveCapacity(batchSize * s.features.count) }
            features += s.features
            labels.append(s.label)
            if let t = s.target { if targets == nil { targets = [] }; targets! += t }
        }
        return Batch(features: features, labels: labels, targets: targets)
    }

    /// The batches of `epoch` from batch `start` on. The next batch is prepared on a background
    /// thread while the caller works on the current one (two cores: one computes, one loads).
    public func batches(epoch: Int, from start: Int = 0) -> PrefetchingBatches {
        PrefetchingBatches(loader: self, epoch: epoch, order: order(epoch: epoch), next: start)
    }
}

/// Iterates an epoch's batches with one batch of look-ahead prepared concurrently.
public final class PrefetchingBatches: IteratorProtocol, Sequence, @unchecked Sendable {
    private let loader: BatchLoader
    private let epoch: Int
    private let order: [Int]
    private var nextIndex: Int
    private var pending: DispatchWorkItem?
    private var prepared: Batch?
    private let queue = DispatchQueue(label: "edgewise.train.prefetch")

    init(loader: BatchLoader, epoch: Int, order: [Int], next: Int) {
        self.loader = loader; self.epoch = epoch; self.order = order; self.nextIndex = next
        schedule()
    }

    private func schedule() {
        guard nextIndex < loader.batchesPerEpoch else { pending = nil; return }
        let index = nextIndex
        let item = DispatchWorkItem { [self] in prepared = loader.batch(epoch: epoch, index: index, order: order) }
        pending = item
        queue.async(execute: item)
    }

    /// The next batch and its index in the epoch, or nil at the end of the epoch.
    public func next() -> (index: Int, batch: Batch)? {
        guard let item = pending else { return nil }
        item.wait()
        let b = prepared!
        prepared = nil
        let index = nextIndex
        nextIndex += 1
        schedule()
        return (index, b)
    }
}
