import Foundation

/// A loss on one exit's logits `[B, C]`.
///
/// - `crossEntropy`: softmax cross-entropy with optional label smoothing `ε` (target
///   `(1−ε)·onehot + ε/C`) and per-class weights (the loss of a sample is weighted by its label's
///   weight and the batch loss is `Σ wᵢ·ℓᵢ / Σ wᵢ`, as PyTorch's weighted mean).
/// - `binaryCrossEntropy`: sigmoid cross-entropy per logit against targets in [0, 1] (the sample's
///   ``Sample/target``, else the one-hot label), averaged over all logits.
/// - `meanSquaredError`: `(z − t)²` averaged over all logits, same targets.
public struct Loss: Codable, Equatable, Sendable {
    /// The loss function.
    public enum Kind: String, Codable, Sendable {
        case crossEntropy, binaryCrossEntropy, meanSquaredError
    }
    public var kind: Kind
    /// Label smoothing `ε` in [0, 1) (cross-entropy only).
    public var labelSmoothing: Float
    /// One weight per class (cross-entropy only), or nil for equal weights.
    public var classWeights: [Float]?

    public init(_ kind: Kind = .crossEntropy, labelSmoothing: Float = 0, classWeights: [Float]? = nil) {
        self.kind = kind; self.labelSmoothing = labelSmoothing; self.classWeights = classWeights
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        kind = try c.decodeIfPresent(Kind.self, forKey: .kind) ?? .crossEntropy
        labelSmoothing = try c.decodeIfPresent(Float.self, forKey: .labelSmoothing) ?? 0
        classWeights = try c.decodeIfPresent([Float].self, forKey: .classWeights)
    }

    /// Mean loss over the batch. When `gradient` is given, adds `scale · ∂loss/∂logits` to it.
    /// `targets`, when given, holds `B × C` soft targets (binary cross-entropy and MSE).
    public func evaluate(logits: UnsafeBufferPointer<Float>, classes c: Int, labels: [Int], targets: [Float]? = nil,
                         scale: Float = 1, gradient: UnsafeMutableBufferPointer<Float>? = nil) -> Float {
        let b = logits.count / c
        precondition(labels.count == b, "loss: \(labels.count) labels for a batch of \(b)")
        func target(_ i: Int, _ j: Int) -> Float { targets?[i * c + j] ?? (labels[i] == j ? 1 : 0) }
        switch kind {
        case .crossEntropy:
            var total: Double = 0, weightSum: Double = 0
            var p = [Float](repeating: 0, count: c)
            for i in 0..<b { weightSum += Double(classWeights?[labels[i]] ?? 1) }
            guard weightSum > 0 else { return 0 }
            for i in 0..<b {
                let row = UnsafeBufferPointer(rebasing: logits[(i * c)..<((i + 1) * c)])
                let lse = logSumExp(row)
                let wi = classWeights?[labels[i]] ?? 1
                var li: Double = 0
                for j in 0..<c {
                    let q = (labels[i] == j ? 1 - labelSmoothing : 0) + labelSmoothing / Float(c)
                    li -= Double(q) * Double(row[j] - lse)
                    p[j] = Foundation.exp(row[j] - lse)
                }
                total += Double(wi) * li
                if let gradient {
                    let k = scale * wi / Float(weightSum)
                    for j in 0..<c {
                        let q = (labels[i] == j ? 1 - labelSmoothing : 0) + labelSmoothing / Float(c)
                        gradient[i * c + j] += k * (p[j] - q)
                    }
                }
            }
            return Float(total / weightSum)
        case .binaryCrossEntropy:
            var total: Double = 0
            let n = Float(b * c)
            for i in 0..<b {
                for j in 0..<c {
                    let z = logits[i * c + j], t = target(i, j)
                    total += Double(max(z, 0) - z * t + Foundation.log1p(Foundation.exp(-abs(z))))
                    gradient?[i * c + j] += scale * (1 / (1 + Foundation.exp(-z)) - t) / n
                }
            }
            return Float(total / Double(n))
        case .meanSquaredError:
            var total: Double = 0
            let n = Float(b * c)
            for i in 0..<b {
                for j in 0..<c {
                    let d = logits[i * c + j] - target(i, j)
                    total += Double(d * d)
                    gradient?[i * c + j] += scale * 2 * d / n
                }
            }
            return Float(total / Double(n))
        }
    }
}

/// Knowledge distillation (Hinton et al., 2015): `T² · KL(softmax(t/T) ‖ softmax(s/T))`, averaged
/// over the batch, where `t` are the teacher's logits and `s` the student's. The `T²` keeps the
/// gradient scale independent of the temperature. The teacher gets no gradient.
public struct DistillationLoss: Codable, Equatable, Sendable {
    /// Softmax temperature `T` (> 0).
    public var temperature: Float
    /// Weight `α` of the distillation term; the hard-label loss gets `1 − α`.
    public var alpha: Float

    public init(temperature: Float = 4, alpha: Float = 0.7) {
        self.temperature = temperature; self.alpha = alpha
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        temperature = try c.decodeIfPresent(Float.self, forKey: .temperature) ?? 4
        alpha = try c.decodeIfPresent(Float.self, forKey: .alpha) ?? 0.7
    }

    /// The distillation term alone (not mixed); adds `scale · ∂/∂student` to `gradient` when given.
    public func divergence(student: UnsafeBufferPointer<Float>, teacher: UnsafeBufferPointer<Float>, classes c: Int,
                           scale: Float = 1, gradient: UnsafeMutableBufferPointer<Float>? = nil) -> Float {
        let b = student.count / c, t = temperature
        var total: Double = 0
        var ps = [Float](repeating: 0, count: c), pt = [Float](repeating: 0, count: c)
        var zs = [Float](repeating: 0, count: c), zt = [Float](repeating: 0, count: c)
        for i in 0..<b {
            for j in 0..<c { zs[j] = student[i * c + j] / t; zt[j] = teacher[i * c + j] / t }
            let ls = zs.withUnsafeBufferPointer { logSumExp($0) }, lt = zt.withUnsafeBufferPointer { logSumExp($0) }
            var kl: Double = 0
            for j in 0..<c {
                let logPs = zs[j] - ls, logPt = zt[j] - lt
                ps[j] = Foundation.exp(logPs); pt[j] = Foundation.exp(logPt)
                kl += Double(pt[j]) * Double(logPt - logPs)
            }
            total += kl
            if let gradient { for j in 0..<c { gradient[i * c + j] += scale * t * (ps[j] - pt[j]) / Float(b) } }
        }
        return Float(total * Double(t * t) / Double(b))
    }

    /// `α · distillation + (1 − α) · hard`, with gradients added (times `scale`) to `gradient`.
    public func evaluate(student: UnsafeBufferPointer<Float>, teacher: UnsafeBufferPointer<Float>, classes c: Int,
                         labels: [Int], hard: Loss, scale: Float = 1, gradient: UnsafeMutableBufferPointer<Float>? = nil) -> Float {
        let kd = divergence(student: student, teacher: teacher, classes: c, scale: scale * alpha, gradient: gradient)
        let h = hard.evaluate(logits: student, classes: c, labels: labels, scale: scale * (1 - alpha), gradient: gradient)
        return alpha * kd + (1 - alpha) * h
    }
}

@inline(__always)
func logSumExp(_ x: UnsafeBufferPointer<Float>) -> Float {
    var m = -Float.infinity
    for v in x { m = max(m, v) }
    var s: Float = 0
    for v in x { s += Foundation.exp(v - m) }
    return m + Foundation.log(s)
}
