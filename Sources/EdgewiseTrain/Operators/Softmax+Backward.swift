import EdgewiseCore
import Foundation

/// The backward pass of ``Operator/Softmax`` (its forward and reference kernel: `Sources/EdgewiseCore/Operators/Softmax.swift`).
extension BackwardKernels {
    /// Softmax backward from its output `y`: `dx = y ⊙ (dy − Σ dy·y)` per row of length `d`.
    public static func softmaxBackward(y: UnsafeBufferPointer<Float>, lastAxis d: Int, dy: UnsafeBufferPointer<Float>,
                                       dx: UnsafeMutableBufferPointer<Float>) {
        for r in 0..<(y.count / d) {
            var dot: Float = 0
            for j in 0..<d { dot += dy[r * d + j] * y[r * d + j] }
            for j in 0..<d { dx[r * d + j] += y[r * d + j] * (dy[r * d + j] - dot) }
        }
    }
}

extension Operator.Softmax: DifferentiableOperator {
    public func trainingForward(_ inputs: [UnsafeBufferPointer<Float>], _ shapes: [Shape],
                                into y: UnsafeMutableBufferPointer<Float>, _ ys: Shape) {
        ReferenceKernels.softmax(inputs[0], lastAxis: shapes[0].last, into: y)
    }

    public func backward(_ inputs: [UnsafeBufferPointer<Float>], _ shapes: [Shape], output y: UnsafeBufferPointer<Float>, _ ys: Shape,
                         dy: UnsafeBufferPointer<Float>, dx: [UnsafeMutableBufferPointer<Float>?]) {
        guard let dx = dx[0] else { return }
        BackwardKernels.softmaxBackward(y: y, lastAxis: ys.last, dy: dy, dx: dx)
    }
}
