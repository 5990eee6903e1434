import EdgewiseCore

/// Decides, after each early exit, whether its answer is good enough to stop. This is the seam the adaptive
/// exit policy (EdgewisePolicy) replaces; until then the modes below use fixed rules.
///
/// Class-bound so the streaming loop calls it through an existential without copying or allocating.
public protocol ExitSelector: AnyObject {
    /// `probabilities` are the exit's class probabilities (softmaxed if the head outputs logits).
    func decide(exit: ExitOutput, probabilities: UnsafeBufferPointer<Float>) -> ExitDecision
}

/// Always runs to the final exit (the whole model).
public final class FinalExitSelector: ExitSelector {
    public init() {}
    public func decide(exit: ExitOutput, probabilities: UnsafeBufferPointer<Float>) -> ExitDecision { .continue }
}

/// Stops at the first exit whose top probability reaches `threshold`.
public final class ConfidenceExitSelector: ExitSelector {
    public let threshold: Float
    public init(threshold: Float) { self.threshold = threshold }
    public func decide(exit: ExitOutput, probabilities: UnsafeBufferPointer<Float>) -> ExitDecision {
        var best: Float = 0
        for p in probabilities where p > best { best = p }
        return best >= threshold ? .stop : .continue
    }
}

/// The `--mode` choices. Until the adaptive policy lands they are fixed confidence rules: `performance`
/// never exits early, `balanced` exits at ≥ 0.9, `saver` at ≥ 0.7, and `auto` is `balanced`. On a model
/// with only a final exit (the imported ML-zoo DS-CNN) every mode runs the whole model.
public enum ExitMode: String, CaseIterable, Sendable {
    case auto, performance, balanced, saver

    /// The fixed early-exit confidence of this mode (nil: never exit early).
    public var fixedThreshold: Float? {
        switch self {
        case .performance: nil
        case .balanced, .auto: 0.9
        case .saver: 0.7
        }
    }

    /// A selector implementing this mode.
    public func makeSelector() -> ExitSelector {
        fixedThreshold.map { ConfidenceExitSelector(threshold: $0) } ?? FinalExitSelector()
    }
}

extension Graph {
    /// Whether each exit's output is produced by a softmax (probabilities) rather than logits.
    public var exitsEndInSoftmax: [Bool] {
        let producers = Dictionary(nodesInExecutionOrder.map { ($0.node.output, $0.node.op) }, uniquingKeysWith: { a, _ in a })
        return exits.map { producers[$0.head.output] == .softmax }
    }
}
