import EdgewiseCore

/// Reshape trains as a copy forward and a gradient copy back (the executor aliases it instead).
extension Operator.Reshape: DifferentiableOperator {
    public func trainingForward(_ inputs: [UnsafeBufferPointer<Float>], _ shapes: [Shape],
                                into y: UnsafeMutableBufferPointer<Float>, _ ys: Shape) {
        _ = y.update(fromContentsOf: inputs[0])
    }

    public func backward(_ inputs: [UnsafeBufferPointer<Float>], _ shapes: [Shape], output y: UnsafeBufferPointer<Float>, _ ys: Shape,
                         dy: UnsafeBufferPointer<Float>, dx: [UnsafeMutableBufferPointer<Float>?]) {
        guard let d = dx[0]?.baseAddress else { return }
        let src = dy.baseAddress!
        for j in 0..<dy.count { d[j] += src[j] }
    }
}
