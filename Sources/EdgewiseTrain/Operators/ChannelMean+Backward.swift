import EdgewiseCore

extension Operator.ChannelMean: DifferentiableOperator {
    public func trainingForward(_ inputs: [UnsafeBufferPointer<Float>], _ shapes: [Shape],
                                into y: UnsafeMutableBufferPointer<Float>, _ ys: Shape) {
        ReferenceKernels.channelMean(inputs[0], lastAxis: shapes[0].last, into: y)
    }

    public func backward(_ inputs: [UnsafeBufferPointer<Float>], _ shapes: [Shape], output y: UnsafeBufferPointer<Float>, _ ys: Shape,
                         dy: UnsafeBufferPointer<Float>, dx: [UnsafeMutableBufferPointer<Float>?]) {
        guard let dx = dx[0] else { return }
        BackwardKernels.channelMeanBackward(lastAxis: shapes[0].last, dy: dy, dx: dx)
    }
}

extension BackwardKernels {
    /// Channel-mean backward: each row's gradient spread evenly over its `d` elements.
    public static func channelMeanBackward(lastAxis d: Int, dy: UnsafeBufferPointer<Float>, dx: UnsafeMutableBufferPointer<Float>) {
        let inv = 1 / Float(d)
        for r in 0..<dy.count {
            let g = dy[r] * inv
            for j in 0..<d { dx[r * d + j] += g }
        }
    }
}
