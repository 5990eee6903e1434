extension Operator {
    /// Fully connected layer. Inputs: x `[..., In]`, weights `[In, Out]`, optional bias `[Out]`.
    /// Output `[..., Out]`. Model file: the fused activation (`{"dense":{"activation":"relu"}}`).
    public struct Dense: OperatorDefinition {
        public var activation: Activation
        public init(activation: Activation) { self.activation = activation }

        public var kindName: String { "dense" }
        public var inputArity: ClosedRange<Int> { 2...3 }
        public func checkDTypes(inputs: [Value], output: Value, check: DTypeCheck) throws {
            try check.weightedLayer(inputs, output)
        }

        public func outputShape(inputs s: [Shape], check: ShapeCheck) throws -> Shape {
            guard s[0].rank >= 1, s[1].rank == 2, s[1][0] == s[0].last else { throw check.fail("dense weights must be [\(s[0].last), Out], got \(s[1])") }
            if s.count == 3 && s[2] != [s[1][1]] { throw check.fail("bias must be [\(s[1][1])], got \(s[2])") }
            var o = s[0]; o[-1] = s[1][1]; return o
        }

        public func macs(inputs: [Shape], output: Shape) -> Int? { checkedProduct(output, inputs[1][0]) }

        public func compileFloat32(_ c: StepCompiler) throws -> () -> Void {
            let act = activation, shapes = c.inputShapes
            let xr = c.input(0), w = c.input(1), bias = c.optionalInput(2), y = c.output
            let k = shapes[1][0], n = shapes[1][1], m = shapes[0].elementCount / k
            guard let table = c.table else {
                return { ReferenceKernels.dense(xr, shapes[0], weights: w, shapes[1], bias: bias, activation: act, into: y) }
            }
            let gemm = table.gemm_f32!, clamp = act.clampBounds ?? (-.infinity, .infinity), post = c.postActivation(act)
            let parallel = c.parallel
            return {
                Executor.parallelRows(m, parallel) { r0, r1 in
                    gemm(r1 - r0, n, k, xr.baseAddress! + r0 * k, k, w.baseAddress!, n, bias?.baseAddress,
                         y.baseAddress! + r0 * n, n, clamp.min, clamp.max)
                }
                post?()
            }
        }
    }
}

extension ReferenceKernels {
    /// Dense layer: x `[..., In]`, weights `[In, Out]`, bias `[Out]`, y `[..., Out]`.
    public static func dense(_ x: UnsafeBufferPointer<Float>, _ xs: Shape,
                             weights w: UnsafeBufferPointer<Float>, _ ws: Shape,
                             bias: UnsafeBufferPointer<Float>?, activation: Activation,
                             into y: UnsafeMutableBufferPointer<Float>) {
        let k = ws[0], n = ws[1], m = xs.elementCount / k
        gemm(m: m, n: n, k: k, a: x.baseAddress!, lda: k, b: w.baseAddress!, ldb: n,
             bias: bias?.baseAddress, activation: activation, c: y.baseAddress!, ldc: n)
    }
}

extension Operator.Dense {
    /// int8 FULLY_CONNECTED: per-tensor (TFLite's float product of scales) or per-channel requantisation.
    public func compileInt8(_ c: StepCompiler) throws -> () -> Void {
        let ws = c.inputShapes[1], inF = ws[0], outF = ws[1], rows = c.inputShapes[0].elementCount / max(inF, 1)
        let rq = try c.int8WeightedRequant(activation: activation, channels: outF, fullyConnected: true)
        let x = c.int8Input(0), w = c.int8Input(1), bias = c.int32Input(2), y = c.int8Output
        guard let family = c.int8Family else {
            return { Int8Reference.dense(x: x, rows: rows, inFeatures: inF, weights: w, outFeatures: outF, bias: bias, rq, y: y) }
        }
        let packed = Int8PackedGEMM(isa: family, k: inF, n: outF, weights: w, ldw: outF, bias: bias, requant: rq)
        return { packed.run(m: rows, a: x, lda: inF, y: y, ldy: outF) }
    }
}
