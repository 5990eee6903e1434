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
