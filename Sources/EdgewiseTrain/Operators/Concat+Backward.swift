import EdgewiseCore
import Foundation

/// The backward pass of ``Operator/Concat`` (its forward and reference kernel: `Sources/EdgewiseCore/Operators/Concat.swift`).
extension BackwardKernels {
    /// Concatenation backward: slices `dy` back into the inputs' gradients (nil entries are skipped).
    public static func concatBackward(dy: UnsafeBufferPointer<Float>, _ shapes: [Shape], axis: Int,
                                      dx: [UnsafeMutableBufferPointer<Float>?]) {
        let r = shapes[0].rank
        let ax = axis < 0 ? r + axis : axis
        let outer = shapes[0].dims[..<ax].reduce(1, *)
        let inner = shapes[0].dims[(ax + 1)...].reduce(1, *)
        var src = 0
        for o in 0..<outer {
            for (i, s) in shapes.enumerated() {
                let chunk = s[ax] * inner
                if let d = dx[i] { for j in 0..<chunk { d[o * chunk + j] += dy[src + j] } }
                src += chunk
            }
        }
    }
}

extension Operator.Concat: DifferentiableOperator {
    public func trainingForward(_ inputs: [UnsafeBufferPointer<Float>], _ shapes: [Shape],
                                into y: UnsafeMutableBufferPointer<Float>, _ ys: Shape) {
        ReferenceKernels.concat(inputs, shapes, axis: axis, into: y)
    }

    public func backward(_ inputs: [UnsafeBufferPointer<Float>], _ shapes: [Shape], output y: UnsafeBufferPointer<Float>, _ ys: Shape,
                         dy: UnsafeBufferPointer<Float>, dx: [UnsafeMutableBufferPointer<Float>?]) {
        BackwardKernels.concatBackward(dy: dy, shapes, axis: axis, dx: dx)
    }
}
