import Foundation

/// How sure an exit is of its answer, as a score in 0…1 (higher = more confident), computed without
/// allocating from the exit's output (probabilities, or logits, which are soft-maxed on the fly).
public enum ConfidenceMeasure: String, Codable, CaseIterable, Sendable {
    /// The top class's probability.
    case maxProbability = "max-prob"
    /// Top-1 minus top-2 probability.
    case margin
    /// 1 − entropy / ln(classes): 1 for a one-hot answer, 0 for a uniform one (BranchyNet's criterion).
    case entropy

    /// The score and the predicted class of `values` (probabilities if they are non-negative and sum to
    /// 1 within 1e-3, else logits).
    @inlinable
    public func evaluate(_ values: UnsafeBufferPointer<Float>) -> (score: Float, argmax: Int) {
        let n = values.count
        guard n > 1 else { return (1, 0) }
        var top = 0, sum: Float = 0, nonNegative = true
        for i in 0..<n {
            let v = values[i]
            if v > values[top] { top = i }
            sum += v
            if v < 0 { nonNegative = false }
        }
        let zmax = values[top]
        guard zmax.isFinite else { return (0, top) }
        let probabilities = nonNegative && abs(sum - 1) < 1e-3
        // p_i = w_i / total, with w_i = v_i (probabilities) or exp(v_i − max) (logits).
        var total: Float = 0, second: Float = 0, wlogw: Float = 0
        for i in 0..<n {
            let w = probabilities ? values[i] : expf(values[i] - zmax)
            total += w
            if i != top && w > second { second = w }
            if w > 0 { wlogw += w * logf(w) }
        }
        guard total > 0 else { return (0, top) }
        let wtop: Float = probabilities ? zmax : 1
        switch self {
        case .maxProbability: return (wtop / total, top)
        case .margin: return ((wtop - second) / total, top)
        case .entropy:
            // H = ln(total) − Σ w ln w / total
            let h = logf(total) - wlogw / total
            return (max(0, min(1, 1 - h / logf(Float(n)))), top)
        }
    }

    /// Convenience for arrays (allocates nothing beyond what the caller holds).
    public func evaluate(_ values: [Float]) -> (score: Float, argmax: Int) {
        values.withUnsafeBufferPointer { evaluate($0) }
    }
}
