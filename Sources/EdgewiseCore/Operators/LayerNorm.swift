extension Operator {
    /// Layer normalisation over the last axis (biased variance, like PyTorch). Inputs: x, gamma `[D]`,
    /// beta `[D]`. Model file: `{"layerNorm":{"epsilon":…}}`.
    public struct LayerNorm: OperatorDefinition {
        public var epsilon: Float
        public init(epsilon: Float) { self.epsilon = epsilon }

        public var kindName: String { "layer_norm" }
        public var inputArity: ClosedRange<Int> { 3...3 }
        public func checkDTypes(inputs: [Value], output: Value, check: DTypeCheck) throws {
            try check.float32Parameters(inputs, output)
        }

        public func outputShape(inputs s: [Shape], check: ShapeCheck) throws -> Shape {
            let d = s[0].last
            guard s[1] == [d], s[2] == [d] else { throw check.fail("layer-norm gamma and beta must be [\(d)]") }
            return s[0]
        }

        public func compileFloat32(_ c: StepCompiler) throws -> () -> Void {
            let eps = epsilon, d = c.inputShapes[0].last, xr = c.input(0), g = c.input(1), b = c.input(2), y = c.output
            return { ReferenceKernels.layerNorm(xr, lastAxis: d, gamma: g, beta: b, epsilon: eps, into: y) }
        }
    }
}

extension ReferenceKernels {
    /// Layer normalisation over the last axis of length `d` (biased variance, like PyTorch).
    public static func layerNorm(_ x: UnsafeBufferPointer<Float>, lastAxis d: Int,
                                 gamma: UnsafeBufferPointer<Float>, beta: UnsafeBufferPointer<Float>,
                                 epsilon: Float, into y: UnsafeMutableBufferPointer<Float>) {
        for r in 0..<(x.count / d) {
            let (mean, inv) = rowStatistics(x.baseAddress! + r * d, count: d, epsilon: epsilon)
            for j in 0..<d { y[r * d + j] = (x[r * d + j] - mean) * inv * gamma[j] + beta[j] }
        }
    }

    /// Mean and `1/√(variance + ε)` of one row (biased variance): layer norm's statistics, shared by its
    /// forward and backward kernels.
    @inline(__always)
    public static func rowStatistics(_ row: UnsafePointer<Float>, count d: Int, epsilon: Float) -> (mean: Float, invStd: Float) {
        var mean: Float = 0
        for j in 0..<d { mean += row[j] }
        mean /= Float(d)
        var v: Float = 0
        for j in 0..<d { let t = row[j] - mean; v += t * t }
        v /= Float(d)
        return (mean, 1 / (v + epsilon).squareRoot())
    }
}
