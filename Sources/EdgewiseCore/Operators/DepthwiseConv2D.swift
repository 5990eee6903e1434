import CEdgewiseKernels

extension Operator {
    /// Depthwise convolution. Inputs: x `[N,H,W,C]` or `[N,W,C]`, weights `[KH,KW,C·M]`, optional bias
    /// `[C·M]`; output channel `c·M + m` reads input channel `c`. Model file: ``ConvAttributes`` as JSON.
    public struct DepthwiseConv2D: OperatorDefinition {
        public var attributes: ConvAttributes
        public init(_ attributes: ConvAttributes) { self.attributes = attributes }

        public var kindName: String { "depthwise_conv2d" }
        public var inputArity: ClosedRange<Int> { 2...3 }
        public func checkDTypes(inputs: [Value], output: Value, check: DTypeCheck) throws {
            try check.weightedLayer(inputs, output)
        }
        public var integerAttributes: [Int] { attributes.integers }

        public func outputShape(inputs s: [Shape], check: ShapeCheck) throws -> Shape {
            let a = attributes
            let (n, h, w, c) = try check.spatial(s[0])
            let wt = s[1]
            try check.attribute(a.depthMultiplier, "depth multiplier", min: 1)
            let cm = c * a.depthMultiplier  // c ≤ 2^31, multiplier ≤ 2^24: no overflow
            guard wt.rank == 3, wt[2] == cm else { throw check.fail("depthwise weights must be [KH,KW,\(cm)], got \(wt)") }
            if s[0].rank == 3 && wt[0] != 1 { throw check.fail("a 1-D depthwise conv needs KH = 1, weights are \(wt)") }
            if s.count == 3 && s[2] != [wt[2]] { throw check.fail("bias must be [\(wt[2])], got \(s[2])") }
            let (oh, ow) = try check.windowOutput(h: h, w: w, kernel: wt[0], wt[1], stride: a.stride, dilation: a.dilation, padding: a.padding)
            return check.rebuild(s[0], n: n, h: oh, w: ow, c: wt[2])
        }

        public func macs(inputs: [Shape], output: Shape) -> Int? {
            checkedProduct(output, inputs[1][0], inputs[1][1])
        }

        public func compileFloat32(_ c: StepCompiler) throws -> () -> Void {
            let a = attributes, shapes = c.inputShapes, ys = c.outputShape
            let xr = c.input(0), w = c.input(1), bias = c.optionalInput(2), y = c.output
            guard let table = c.table else {
                return { ReferenceKernels.depthwiseConv2d(xr, shapes[0], weights: w, shapes[1], bias: bias, a, into: y, ys) }
            }
            var p = Executor.convParams(shapes[0], ys, kernel: Size2D(shapes[1][0], shapes[1][1]), a,
                                        clamp: a.activation.clampBounds ?? (-.infinity, .infinity))
            let dw = table.depthwise_conv2d_f32!, post = c.postActivation(a.activation)
            return { dw(&p, xr.baseAddress!, w.baseAddress!, bias?.baseAddress, y.baseAddress!); post?() }
        }
    }
}

extension ReferenceKernels {
    /// Depthwise convolution: x `[N,H,W,C]`, weights `[KH,KW,C·M]`, bias `[C·M]`, y `[N,OH,OW,C·M]`.
    /// Output channel `c·M + m` reads input channel `c`.
    public static func depthwiseConv2d(_ x: UnsafeBufferPointer<Float>, _ xs: Shape,
                                       weights w: UnsafeBufferPointer<Float>, _ ws: Shape,
                                       bias: UnsafeBufferPointer<Float>?, _ a: ConvAttributes,
                                       into y: UnsafeMutableBufferPointer<Float>, _ ys: Shape) {
        let (n, h, wd, cin) = xs.nhwc
        let (_, oh, ow, cout) = ys.nhwc
        let kh = ws[0], kw = ws[1], m = a.depthMultiplier
        for b in 0..<n {
            for oy in 0..<oh {
                for ox in 0..<ow {
                    for co in 0..<cout {
                        var acc: Float = bias?[co] ?? 0
                        let ci = co / m
                        for ky in 0..<kh {
                            let iy = oy * a.stride.h - a.padding.top + ky * a.dilation.h
                            if iy < 0 || iy >= h { continue }
                            for kx in 0..<kw {
                                let ix = ox * a.stride.w - a.padding.left + kx * a.dilation.w
                                if ix < 0 || ix >= wd { continue }
                                acc += x[((b * h + iy) * wd + ix) * cin + ci] * w[(ky * kw + kx) * cout + co]
                            }
                        }
                        y[((b * oh + oy) * ow + ox) * cout + co] = activate(acc, a.activation)
                    }
                }
            }
        }
    }
}

extension Operator.DepthwiseConv2D {
    /// int8: per-channel requantisation, weights packed at load (vectorised across channels).
    public func compileInt8(_ c: StepCompiler) throws -> () -> Void {
        let a = attributes, ws = c.inputShapes[1], xs = c.inputShapes[0].int8NHWC, ys = c.outputShape.int8NHWC
        let rq = try c.int8WeightedRequant(activation: a.activation, channels: ws[2], fullyConnected: false)
        let x = c.int8Input(0), w = c.int8Input(1), bias = c.int32Input(2), y = c.int8Output, kernel = Size2D(ws[0], ws[1])
        guard let family = c.int8Family else {
            return { Int8Reference.depthwiseConv2d(x: x, xs, weights: w, kernel: kernel, bias: bias, a, rq, y: y, ys) }
        }
        let packed = Int8PackedDepthwise(isa: family, channels: ws[2], kernel: kernel, weights: w, bias: bias, requant: rq)
        let p = rq.convParams(xs, ys, kernel: kernel, a)
        return { packed.run(p, x: x, y: y) }
    }
}
