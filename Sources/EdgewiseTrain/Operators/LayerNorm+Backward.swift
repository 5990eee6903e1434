import EdgewiseCore
import Foundation

/// The backward pass of ``Operator/LayerNorm`` (its forward and reference kernel: `Sources/EdgewiseCore/Operators/LayerNorm.swift`).
extension BackwardKernels {
    /// Layer norm backward over the last axis of length `d` (statistics recomputed from x).
    public static func layerNormBackward(x: UnsafeBufferPointer<Float>, lastAxis d: Int, gamma: UnsafeBufferPointer<Float>,
                                         epsilon: Float, dy: UnsafeBufferPointer<Float>,
                                         dx: UnsafeMutableBufferPointer<Float>?, dgamma: UnsafeMutableBufferPointer<Float>?,
                                         dbeta: UnsafeMutableBufferPointer<Float>?) {
        var xhat = [Float](repeating: 0, count: d)
        for r in 0..<(x.count / d) {
            let (mean, inv) = ReferenceKernels.rowStatistics(x.baseAddress! + r * d, count: d, epsilon: epsilon)
            var s1: Float = 0, s2: Float = 0
            for j in 0..<d {
                xhat[j] = (x[r * d + j] - mean) * inv
                let g = dy[r * d + j] * gamma[j]
                s1 += g; s2 += g * xhat[j]
                dgamma?[j] += dy[r * d + j] * xhat[j]
                dbeta?[j] += dy[r * d + j]
            }
            guard let dx else { continue }
            for j in 0..<d {
                let g = dy[r * d + j] * gamma[j]
                dx[r * d + j] += inv * (g - s1 / Float(d) - xhat[j] * s2 / Float(d))
            }
        }
    }
}

extension Operator.LayerNorm: DifferentiableOperator {
    public func trainingForward(_ inputs: [UnsafeBufferPointer<Float>], _ shapes: [Shape],
                                into y: UnsafeMutableBufferPointer<Float>, _ ys: Shape) {
        ReferenceKernels.layerNorm(inputs[0], lastAxis: shapes[0].last, gamma: inputs[1], beta: inputs[2], epsilon: epsilon, into: y)
    }

    public func backward(_ inputs: [UnsafeBufferPointer<Float>], _ shapes: [Shape], output y: UnsafeBufferPointer<Float>, _ ys: Shape,
                         dy: UnsafeBufferPointer<Float>, dx: [UnsafeMutableBufferPointer<Float>?]) {
        BackwardKernels.layerNormBackward(x: inputs[0], lastAxis: shapes[0].last, gamma: inputs[1], epsilon: epsilon, dy: dy,
                                          dx: dx[0], dgamma: dx[1], dbeta: dx[2])
    }
}
