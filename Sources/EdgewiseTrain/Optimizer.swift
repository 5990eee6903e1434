import Foundation
import EdgewiseCore

/// Optimiser settings. Weight decay applies to weights (rank ≥ 2), never to biases or norm
/// parameters: coupled (added to the gradient, PyTorch's `SGD(weight_decay:)`) for SGD, decoupled
/// (`w -= lr·λ·w`, Loshchilov & Hutter) for AdamW.
public struct OptimizerConfig: Codable, Equatable, Sendable {
    public enum Kind: String, Codable, Sendable { case sgd, adamW }
    public var kind: Kind
    /// Peak learning rate (the schedule scales it).
    public var learningRate: Float
    /// SGD momentum (0 for plain SGD).
    public var momentum: Float
    /// Nesterov momentum (SGD).
    public var nesterov: Bool
    public var beta1: Float, beta2: Float, epsilon: Float
    public var weightDecay: Float
    /// Clip the global L2 norm of all gradients to this value (nil: no clipping).
    public var clipGradientNorm: Float?

    public init(_ kind: Kind = .adamW, learningRate: Float = 1e-3, momentum: Float = 0.9, nesterov: Bool = false,
                beta1: Float = 0.9, beta2: Float = 0.999, epsilon: Float = 1e-8, weightDecay: Float = 0, clipGradientNorm: Float? = nil) {
        self.kind = kind; self.learningRate = learningRate; self.momentum = momentum; self.nesterov = nesterov
        self.beta1 = beta1; self.beta2 = beta2; self.epsilon = epsilon; self.weightDecay = weightDecay
        self.clipGradientNorm = clipGradientNorm
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let d = OptimizerConfig()
        kind = try c.decodeIfPresent(Kind.self, forKey: .kind) ?? d.kind
        learningRate = try c.decodeIfPresent(Float.self, forKey: .learningRate) ?? d.learningRate
        momentum = try c.decodeIfPresent(Float.self, forKey: .momentum) ?? d.momentum
        nesterov = try c.decodeIfPresent(Bool.self, forKey: .nesterov) ?? d.nesterov
        beta1 = try c.decodeIfPresent(Float.self, forKey: .beta1) ?? d.beta1
        beta2 = try c.decodeIfPresent(Float.self, forKey: .beta2) ?? d.beta2
        epsilon = try c.decodeIfPresent(Float.self, forKey: .epsilon) ?? d.epsilon
        weightDecay = try c.decodeIfPresent(Float.self, forKey: .weightDecay) ?? d.weightDecay
        clipGradientNorm = try c.decodeIfPresent(Float.self, forKey: .clipGradientNorm)
    }
}

/// Learning rate over training: linear warm-up from 0 over `warmupSteps`, then `decay`.
public struct LearningRateSchedule: Codable, Equatable, Sendable {
    public enum Decay: String, Codable, Sendable {
        /// Stay at the peak.
        case constant
        /// Half-cosine from the peak down to `minimumFactor × peak` at the last step.
        case cosine
        /// Multiply by `stepFactor` every `stepEvery` steps (after warm-up).
        case step
    }
    public var warmupSteps: Int
    public var decay: Decay
    public var minimumFactor: Float
    public var stepEvery: Int
    public var stepFactor: Float

    public init(warmupSteps: Int = 0, decay: Decay = .constant, minimumFactor: Float = 0, stepEvery: Int = 1000, stepFactor: Float = 0.1) {
        self.warmupSteps = warmupSteps; self.decay = decay; self.minimumFactor = minimumFactor
        self.stepEvery = stepEvery; self.stepFactor = stepFactor
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let d = LearningRateSchedule()
        warmupSteps = try c.decodeIfPresent(Int.self, forKey: .warmupSteps) ?? d.warmupSteps
        decay = try c.decodeIfPresent(Decay.self, forKey: .decay) ?? d.decay
        minimumFactor = try c.decodeIfPresent(Float.self, forKey: .minimumFactor) ?? d.minimumFactor
        stepEvery = try c.decodeIfPresent(Int.self, forKey: .stepEvery) ?? d.stepEvery
        stepFactor = try c.decodeIfPresent(Float.self, forKey: .stepFactor) ?? d.stepFactor
    }

    /// The factor applied to the peak rate at `step` (0-based) of `totalSteps`.
    public func factor(step: Int, totalSteps: Int) -> Float {
        if step < warmupSteps { return Float(step + 1) / Float(warmupSteps) }
        let s = step - warmupSteps, span = max(1, totalSteps - warmupSteps - 1)
        switch decay {
        case .constant: return 1
        case .cosine:
            let progress = min(1, Double(s) / Double(span))
            return minimumFactor + (1 - minimumFactor) * Float(0.5 * (1 + cos(Double.pi * progress)))
        case .step:
            var f: Float = 1
            for _ in 0..<(s / max(1, stepEvery)) { f *= stepFactor }
            return f
        }
    }
}

/// Updates a session's trainable parameters from their gradients. Its state (moments, step count)
/// is part of a checkpoint.
public final class Optimizer {
    public let config: OptimizerConfig
    /// Updates applied so far.
    public internal(set) var step = 0
    /// First moment (AdamW) or velocity (SGD) per parameter.
    var m: [ValueID: [Float]] = [:]
    /// Second moment per parameter (AdamW).
    var v: [ValueID: [Float]] = [:]

    public init(_ config: OptimizerConfig) { self.config = config }

    /// Global L2 norm of the trainable gradients.
    public static func gradientNorm(_ session: TrainingSession) -> Float {
        var s: Double = 0
        for id in session.parameterIDs where session.trainable.contains(id) {
            let (_, g) = session.parameterAndGradient(id)
            for x in g { s += Double(x) * Double(x) }
        }
        return Float(s.squareRoot())
    }

    /// Clips (if configured) and applies one update at learning rate `lr`; returns the gradient norm
    /// before clipping.
    @discardableResult
    public func update(_ session: TrainingSession, learningRate lr: Float) -> Float {
        let norm = Optimizer.gradientNorm(session)
        var clip: Float = 1
        if let maxNorm = config.clipGradientNorm, norm > maxNorm, norm > 0 { clip = maxNorm / norm }
        step += 1
        let c = config
        let bc1 = 1 - pow(c.beta1, Float(step)), bc2 = 1 - pow(c.beta2, Float(step))
        for id in session.parameterIDs where session.trainable.contains(id) {
            let (p, g) = session.parameterAndGradient(id)
            let decays = session.graph.values[id].shape.rank >= 2 && c.weightDecay > 0
            var mm = m.removeValue(forKey: id) ?? [Float](repeating: 0, count: p.count)
            switch c.kind {
            case .sgd:
                for i in 0..<p.count {
                    var gi = g[i] * clip
                    if decays { gi += c.weightDecay * p[i] }
                    mm[i] = c.momentum * mm[i] + gi
                    p[i] -= lr * (c.nesterov ? gi + c.momentum * mm[i] : mm[i])
                }
            case .adamW:
                var vv = v.removeValue(forKey: id) ?? [Float](repeating: 0, count: p.count)
                for i in 0..<p.count {
                    let gi = g[i] * clip
                    if decays { p[i] -= lr * c.weightDecay * p[i] }
                    mm[i] = c.beta1 * mm[i] + (1 - c.beta1) * gi
                    vv[i] = c.beta2 * vv[i] + (1 - c.beta2) * gi * gi
                    p[i] -= lr * (mm[i] / bc1) / ((vv[i] / bc2).squareRoot() + c.epsilon)
                }
                v[id] = vv
            }
            m[id] = mm
        }
        return norm
    }
}
