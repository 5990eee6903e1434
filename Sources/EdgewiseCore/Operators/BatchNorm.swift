extension Operator {
    /// Inference-mode batch normalisation over the last (channel) axis. Inputs: x, gamma, beta, mean,
    /// variance (each `[C]`). Usually folded into the convolution or dense layer before it
    /// (``Graph/foldingBatchNorms()``). Model file: `{"batchNorm":{"epsilon":…}}`.
    public struct BatchNorm: OperatorDefinition {
        public var epsilon: Float
        public init(epsilon: Float) { self.epsilon = epsilon }

        public var kindName: String { "batch_norm" }
        public var inputArity: ClosedRange<Int> { 5...5 }
        public func checkDTypes(inputs: [Value], output: Value, check: DTypeCheck) throws {
            try check.float32Parameters(inputs, output)
        }

        public func outputShape(inputs s: [Shape], check: ShapeCheck) throws -> Shape {
            let c = s[0].last
            for p in s.dropFirst() where p != [c] { throw check.fail("batch-norm parameters must be [\(c)], got \(p)") }
            return s[0]
        }

        public func compileFloat32(_ c: StepCompiler) throws -> () -> Void {
            let eps = epsilon, xr = c.input(0), y = c.output
            let g = c.input(1), b = c.input(2), mu = c.input(3), v = c.input(4)
            let ch = c.inputShapes[0].last
            guard c.table != nil else {
                return { ReferenceKernels.batchNorm(xr, channels: ch, gamma: g, beta: b, mean: mu, variance: v, epsilon: eps, into: y) }
            }
            // Batch norms that could not be folded: per-channel scale and shift, computed once here.
            let scale = (0..<ch).map { g[$0] / (v[$0] + eps).squareRoot() }
            let shift = (0..<ch).map { b[$0] - mu[$0] * scale[$0] }
            return {
                scale.withUnsafeBufferPointer { sc in
                    shift.withUnsafeBufferPointer { sh in
                        ChannelLastKernels.scaleShift(xr.baseAddress!, count: y.count, channels: ch, scale: sc.baseAddress!, shift: sh.baseAddress!, into: y.baseAddress!)
                    }
                }
            }
        }
    }
}

extension ReferenceKernels {
    /// Inference-mode batch normalisation over the last (channel) axis.
    public static func batchNorm(_ x: UnsafeBufferPointer<Float>, channels c: Int,
                                 gamma: UnsafeBufferPointer<Float>, beta: UnsafeBufferPointer<Float>,
                                 mean: UnsafeBufferPointer<Float>, variance: UnsafeBufferPointer<Float>,
                                 epsilon: Float, into y: UnsafeMutableBufferPointer<Float>) {
        for i in 0..<x.count {
            let ch = i % c
            y[i] = gamma[ch] * (x[i] - mean[ch]) / (variance[ch] + epsilon).squareRoot() + beta[ch]
        }
    }
}
