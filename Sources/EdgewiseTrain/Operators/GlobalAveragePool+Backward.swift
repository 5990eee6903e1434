import EdgewiseCore
import Foundation

/// The backward pass of ``Operator/GlobalAveragePool`` (its forward and reference kernel: `Sources/EdgewiseCore/Operators/GlobalAveragePool.swift`).
extension BackwardKernels {
    /// Global average pooling backward: dy `[N,C]` spread evenly over the `H·W` positions.
    public static func globalAveragePoolBackward(_ xs: Shape, dy: UnsafeBufferPointer<Float>, dx: UnsafeMutableBufferPointer<Float>) {
        let (n, h, w, c) = xs.nhwc
        let inv = 1 / Float(h * w)
        for b in 0..<n {
            for p in 0..<(h * w) {
                let base = (b * h * w + p) * c
                for ch in 0..<c { dx[base + ch] += dy[b * c + ch] * inv }
            }
        }
    }
}

extension Operator.GlobalAveragePool: DifferentiableOperator {
    public func trainingForward(_ inputs: [UnsafeBufferPointer<Float>], _ shapes: [Shape],
                                into y: UnsafeMutableBufferPointer<Float>, _ ys: Shape) {
        ReferenceKernels.globalAveragePool(inputs[0], shapes[0], into: y)
    }

    public func backward(_ inputs: [UnsafeBufferPointer<Float>], _ shapes: [Shape], output y: UnsafeBufferPointer<Float>, _ ys: Shape,
                         dy: UnsafeBufferPointer<Float>, dx: [UnsafeMutableBufferPointer<Float>?]) {
        guard let dx = dx[0] else { return }
        BackwardKernels.globalAveragePoolBackward(shapes[0], dy: dy, dx: dx)
    }
}
