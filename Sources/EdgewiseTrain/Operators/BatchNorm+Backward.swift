import EdgewiseCore
import Foundation

/// The backward pass of ``Operator/BatchNorm`` (its forward and reference kernel: `Sources/EdgewiseCore/Operators/BatchNorm.swift`).
extension BackwardKernels {
    /// Training-mode batch norm forward: statistics over every axis but the last. Writes `y`, the
    /// batch mean and `1/√(σ²_B+ε)` per channel (biased variance, as PyTorch normalises), and returns
    /// the unbiased batch variance for the running average.
    public static func batchNormTrainingForward(_ x: UnsafeBufferPointer<Float>, channels c: Int,
                                                gamma: UnsafeBufferPointer<Float>, beta: UnsafeBufferPointer<Float>, epsilon: Float,
                                                y: UnsafeMutableBufferPointer<Float>, mean: UnsafeMutableBufferPointer<Float>,
                                                invStd: UnsafeMutableBufferPointer<Float>) -> [Float] {
        let rows = x.count / c
        var unbiased = [Float](repeating: 0, count: c)
        // Per-channel sums in Double (rows can be large), channel loop innermost so it vectorises.
        let acc = UnsafeMutablePointer<Double>.allocate(capacity: 2 * c)
        defer { acc.deallocate() }
        acc.initialize(repeating: 0, count: 2 * c)
        let sum = acc, sq = acc + c
        let xp = x.baseAddress!, yp = y.baseAddress!, mp = mean.baseAddress!, ip = invStd.baseAddress!
        let gp = gamma.baseAddress!, bp = beta.baseAddress!
        for r in 0..<rows { let row = xp + r * c; for ch in 0..<c { sum[ch] += Double(row[ch]) } }
        for ch in 0..<c { mp[ch] = Float(sum[ch] / Double(rows)) }
        for r in 0..<rows { let row = xp + r * c; for ch in 0..<c { let d = Double(row[ch] - mp[ch]); sq[ch] += d * d } }
        for ch in 0..<c {
            ip[ch] = Float(1 / (sq[ch] / Double(rows) + Double(epsilon)).squareRoot())
            unbiased[ch] = Float(sq[ch] / Double(max(1, rows - 1)))
        }
        for r in 0..<rows {
            let row = xp + r * c, out = yp + r * c
            for ch in 0..<c { out[ch] = (row[ch] - mp[ch]) * ip[ch] * gp[ch] + bp[ch] }
        }
        return unbiased
    }

    /// Batch norm backward with the statistics `mean`, `invStd` used in the forward pass. With
    /// `batchStatistics` the statistics depend on x (training mode); otherwise they are constants
    /// (inference mode: the running averages).
    public static func batchNormBackward(x: UnsafeBufferPointer<Float>, channels c: Int, gamma: UnsafeBufferPointer<Float>,
                                         mean: UnsafeBufferPointer<Float>, invStd: UnsafeBufferPointer<Float>,
                                         batchStatistics: Bool, dy: UnsafeBufferPointer<Float>,
                                         dx: UnsafeMutableBufferPointer<Float>?, dgamma: UnsafeMutableBufferPointer<Float>?,
                                         dbeta: UnsafeMutableBufferPointer<Float>?) {
        let rows = x.count / c
        let acc = UnsafeMutablePointer<Float>.allocate(capacity: 4 * c)
        defer { acc.deallocate() }
        acc.initialize(repeating: 0, count: 4 * c)
        let sdy = acc, sdyx = acc + c, k1 = acc + 2 * c, k2 = acc + 3 * c
        let xp = x.baseAddress!, gy = dy.baseAddress!, mp = mean.baseAddress!, ip = invStd.baseAddress!, gp = gamma.baseAddress!
        for r in 0..<rows {
            let row = xp + r * c, g = gy + r * c
            for ch in 0..<c {
                sdy[ch] += g[ch]
                sdyx[ch] += g[ch] * (row[ch] - mp[ch]) * ip[ch]
            }
        }
        if let dgamma { for ch in 0..<c { dgamma[ch] += sdyx[ch] } }
        if let dbeta { for ch in 0..<c { dbeta[ch] += sdy[ch] } }
        guard let dx else { return }
        let inv = 1 / Float(rows)
        // dx = γ/σ · (dy − mean(dy) − x̂·mean(dy·x̂)), with x̂ = (x − μ)/σ, expanded per channel to
        // dx = k·dy + k1 + k2·x.
        let kk = UnsafeMutablePointer<Float>.allocate(capacity: c)
        defer { kk.deallocate() }
        for ch in 0..<c {
            let k = gp[ch] * ip[ch]
            kk[ch] = k
            if batchStatistics {
                let b = sdyx[ch] * inv * ip[ch]
                k1[ch] = k * (-sdy[ch] * inv + b * mp[ch])
                k2[ch] = -k * b
            } else {
                k1[ch] = 0; k2[ch] = 0
            }
        }
        let dp = dx.baseAddress!
        for r in 0..<rows {
            let row = xp + r * c, g = gy + r * c, out = dp + r * c
            for ch in 0..<c { out[ch] += kk[ch] * g[ch] + k1[ch] + k2[ch] * row[ch] }
        }
    }
}
