import EdgewiseCore

extension Operator.Pad: DifferentiableOperator {
    public func trainingForward(_ inputs: [UnsafeBufferPointer<Float>], _ shapes: [Shape],
                                into y: UnsafeMutableBufferPointer<Float>, _ ys: Shape) {
        ReferenceKernels.pad(inputs[0], shapes[0], attributes, into: y, ys)
    }

    /// The gradient of a pad is the interior of `dy`: each input element collects the gradient of the
    /// output element it was copied to.
    public func backward(_ inputs: [UnsafeBufferPointer<Float>], _ shapes: [Shape], output y: UnsafeBufferPointer<Float>, _ ys: Shape,
                         dy: UnsafeBufferPointer<Float>, dx: [UnsafeMutableBufferPointer<Float>?]) {
        guard let dx = dx[0] else { return }
        BackwardKernels.padBackward(shapes[0], attributes, dy: dy, ys, dx: dx)
    }
}

extension BackwardKernels {
    /// Pad backward: `dx[i] += dy[i + before]` over the input's index space.
    public static func padBackward(_ xs: Shape, _ a: PadAttributes, dy: UnsafeBufferPointer<Float>, _ ys: Shape,
                                   dx: UnsafeMutableBufferPointer<Float>) {
        let r = xs.rank
        for i in 0..<dx.count {
            var rest = i, dst = 0, step = 1
            for d in stride(from: r - 1, through: 0, by: -1) {
                let k = rest % xs.dims[d]
                rest /= xs.dims[d]
                dst += (k + a.before[d]) * step
                step *= ys.dims[d]
            }
            dx[i] += dy[dst]
        }
    }
}
