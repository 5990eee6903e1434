import CEdgewiseKernels

extension Operator {
    /// 2-D (or, with height 1, 1-D) convolution. Inputs: x `[N,H,W,Cin]` or `[N,W,Cin]`, weights
    /// `[KH,KW,Cin,Cout]` (HWIO, read in place as the im2col GEMM's right-hand matrix), optional bias
    /// `[Cout]`. Model file: ``ConvAttributes`` as JSON (`{"conv2d":{"_0":{…}}}`).
    public struct Conv2D: OperatorDefinition {
        public var attributes: ConvAttributes
        public init(_ attributes: ConvAttributes) { self.attributes = attributes }

        public var kindName: String { "conv2d" }
        public var inputArity: ClosedRange<Int> { 2...3 }
        public func checkDTypes(inputs: [Value], output: Value, check: DTypeCheck) throws {
            try check.weightedLayer(inputs, output)
        }
        public var integerAttributes: [Int] { attributes.integers }

        public func outputShape(inputs s: [Shape], check: ShapeCheck) throws -> Shape {
            let a = attributes
            let (n, h, w, c) = try check.spatial(s[0])
            let wt = s[1]
            guard wt.rank == 4 else { throw check.fail("conv weights must be [KH,KW,Cin,Cout], got \(wt)") }
            guard wt[2] == c else { throw check.fail("conv weights expect \(wt[2]) input channels, input has \(c)") }
            if s[0].rank == 3 && wt[0] != 1 { throw check.fail("a 1-D conv needs KH = 1, weights are \(wt)") }
            if s.count == 3 && s[2] != [wt[3]] { throw check.fail("bias must be [\(wt[3])], got \(s[2])") }
            guard a.depthMultiplier == 1 else { throw check.fail("depth multiplier \(a.depthMultiplier) applies to depthwise convolutions only") }
            let (oh, ow) = try check.windowOutput(h: h, w: w, kernel: wt[0], wt[1], stride: a.stride, dilation: a.dilation, padding: a.padding)
            return check.rebuild(s[0], n: n, h: oh, w: ow, c: wt[3])
        }

        public func macs(inputs: [Shape], output: Shape) -> Int? {
            let w = inputs[1]
            return checkedProduct(output, w[0], w[1], w[2])
        }

        public func scratchBytes(inputs: [Shape], output: Shape) -> Int? {
            var p = Executor.convParams(inputs[0], output, kernel: Size2D(inputs[1][0], inputs[1][1]), attributes, clamp: (0, 0))
            // The im2col buffer: out_h·out_w·k_h·k_w·in_c floats (size_t in C), checked here first.
            let o = output.nhwc
            guard let floats = checkedProduct(o.h, o.w, inputs[1][0], inputs[1][1], inputs[0].last, 4), floats > 0 else { return nil }
            return ew_conv2d_f32_scratch_bytes(&p)
        }

        public func compileFloat32(_ c: StepCompiler) throws -> () -> Void {
            let a = attributes, shapes = c.inputShapes, ys = c.outputShape
            let xr = c.input(0), w = c.input(1), bias = c.optionalInput(2), y = c.output
            guard let table = c.table else {
                return { ReferenceKernels.conv2d(xr, shapes[0], weights: w, shapes[1], bias: bias, a, into: y, ys) }
            }
            var p = Executor.convParams(shapes[0], ys, kernel: Size2D(shapes[1][0], shapes[1][1]), a,
                                        clamp: a.activation.clampBounds ?? (-.infinity, .infinity))
            let scratch = c.scratch
            let conv = table.conv2d_f32!, gemm = table.gemm_f32!, post = c.postActivation(a.activation)
            let m = ys.elementCount / ys.last, n = ys.last, k = shapes[0].last, parallel = c.parallel
            if c.scratchByteCount == 0 && parallel > 1 {
                // Pointwise: a GEMM over pixels, split by rows.
                return {
                    Executor.parallelRows(m, parallel) { r0, r1 in
                        gemm(r1 - r0, n, k, xr.baseAddress! + r0 * k, k, w.baseAddress!, n, bias?.baseAddress,
                             y.baseAddress! + r0 * n, n, p.act_min, p.act_max)
                    }
                    post?()
                }
            }
            return {
                conv(&p, xr.baseAddress!, w.baseAddress!, bias?.baseAddress, y.baseAddress!, scratch)
                post?()
            }
        }
    }
}

extension ConvAttributes {
    /// Every integer attribute (for the model file's range check).
    var integers: [Int] {
        [stride.h, stride.w, dilation.h, dilation.w, padding.top, padding.bottom, padding.left, padding.right, depthMultiplier]
    }
}

extension ReferenceKernels {
    /// Convolution: x `[N,H,W,Cin]`, weights `[KH,KW,Cin,Cout]`, bias `[Cout]`, y `[N,OH,OW,Cout]`.
    public static func conv2d(_ x: UnsafeBufferPointer<Float>, _ xs: Shape,
                              weights w: UnsafeBufferPointer<Float>, _ ws: Shape,
                              bias: UnsafeBufferPointer<Float>?, _ a: ConvAttributes,
                              into y: UnsafeMutableBufferPointer<Float>, _ ys: Shape) {
        let (n, h, wd, cin) = xs.nhwc
        let (_, oh, ow, cout) = ys.nhwc
        let kh = ws[0], kw = ws[1]
        for b in 0..<n {
            for oy in 0..<oh {
                for ox in 0..<ow {
                    for co in 0..<cout {
                        var acc: Float = bias?[co] ?? 0
                        for ky in 0..<kh {
                            let iy = oy * a.stride.h - a.padding.top + ky * a.dilation.h
                            if iy < 0 || iy >= h { continue }
                            for kx in 0..<kw {
                                let ix = ox * a.stride.w - a.padding.left + kx * a.dilation.w
                                if ix < 0 || ix >= wd { continue }
                                let xBase = ((b * h + iy) * wd + ix) * cin
                                let wBase = (ky * kw + kx) * cin * cout + co
                                for ci in 0..<cin { acc += x[xBase + ci] * w[wBase + ci * cout] }
                            }
                        }
                        y[((b * oh + oy) * ow + ox) * cout + co] = activate(acc, a.activation)
                    }
                }
            }
        }
    }
}

extension Operator.Conv2D {
    /// int8: weights packed at load for the int8 family (im2col + GEMM, or one GEMM for pointwise),
    /// TFLite per-channel requantisation; the Swift reference for `isa: .reference`.
    public func compileInt8(_ c: StepCompiler) throws -> () -> Void {
        let a = attributes, ws = c.inputShapes[1], xs = c.inputShapes[0].int8NHWC, ys = c.outputShape.int8NHWC
        let rq = try c.int8WeightedRequant(activation: a.activation, channels: ws[3], fullyConnected: false)
        let x = c.int8Input(0), w = c.int8Input(1), bias = c.int32Input(2), y = c.int8Output, kernel = Size2D(ws[0], ws[1])
        guard let family = c.int8Family else {
            return { Int8Reference.conv2d(x: x, xs, weights: w, kernel: kernel, outChannels: ws[3], bias: bias, a, rq, y: y, ys) }
        }
        let packed = Int8PackedGEMM(isa: family, k: ws[0] * ws[1] * ws[2], n: ws[3], weights: w, ldw: ws[3], bias: bias, requant: rq)
        let p = rq.convParams(xs, ys, kernel: kernel, a), scratch = c.scratch
        return { packed.conv2d(p, x: x, y: y, scratch: scratch) }
    }
}
