import CEdgewiseKernels

extension Operator {
    /// Max or average pooling (one file: they share everything but the reduction). Input: x
    /// `[N,H,W,C]` or `[N,W,C]`. Average divides by the number of *valid* (non-padding) elements, as
    /// TFLite does. Model file: ``PoolAttributes`` as JSON under `maxPool2d` / `averagePool2d`.
    public struct Pool2D: OperatorDefinition {
        public var attributes: PoolAttributes
        public var isMax: Bool
        public init(_ attributes: PoolAttributes, isMax: Bool) { self.attributes = attributes; self.isMax = isMax }

        public var kindName: String { isMax ? "max_pool2d" : "average_pool2d" }
        public var inputArity: ClosedRange<Int> { 1...1 }
        public var integerAttributes: [Int] {
            let a = attributes
            return [a.window.h, a.window.w, a.stride.h, a.stride.w, a.padding.top, a.padding.bottom, a.padding.left, a.padding.right]
        }

        public func outputShape(inputs s: [Shape], check: ShapeCheck) throws -> Shape {
            let a = attributes
            let (n, h, w, c) = try check.spatial(s[0])
            let (oh, ow) = try check.windowOutput(h: h, w: w, kernel: a.window.h, a.window.w, stride: a.stride, padding: a.padding)
            return check.rebuild(s[0], n: n, h: oh, w: ow, c: c)
        }

        public func compileFloat32(_ c: StepCompiler) throws -> () -> Void {
            let a = attributes, isMax = isMax, xs = c.inputShapes[0], ys = c.outputShape
            let xr = c.input(0), y = c.output
            guard let table = c.table else {
                return { ReferenceKernels.pool2d(xr, xs, a, max: isMax, into: y, ys) }
            }
            let pool = table.pool2d_f32!
            var p = Executor.poolParams(xs, ys, window: a.window, stride: a.stride, padding: a.padding)
            return { pool(&p, xr.baseAddress!, y.baseAddress!, isMax ? 1 : 0) }
        }
    }
}

extension ReferenceKernels {
    /// Max or average pooling over NHWC / NWC. Average divides by the number of in-bounds elements.
    /// Max pooling propagates NaN: a NaN anywhere in the window gives NaN (as the C kernels do).
    public static func pool2d(_ x: UnsafeBufferPointer<Float>, _ xs: Shape, _ a: PoolAttributes, max isMax: Bool,
                              into y: UnsafeMutableBufferPointer<Float>, _ ys: Shape) {
        let (n, h, w, c) = xs.nhwc
        let (_, oh, ow, _) = ys.nhwc
        for b in 0..<n {
            for oy in 0..<oh {
                for ox in 0..<ow {
                    for ch in 0..<c {
                        var acc: Float = isMax ? -.infinity : 0
                        var count = 0
                        for ky in 0..<a.window.h {
                            let iy = oy * a.stride.h - a.padding.top + ky
                            if iy < 0 || iy >= h { continue }
                            for kx in 0..<a.window.w {
                                let ix = ox * a.stride.w - a.padding.left + kx
                                if ix < 0 || ix >= w { continue }
                                let v = x[((b * h + iy) * w + ix) * c + ch]
                                if isMax { acc = acc < v || v.isNaN ? v : acc } else { acc += v }  // NaN-propagating max, as the C kernels
                                count += 1
                            }
                        }
                        y[((b * oh + oy) * ow + ox) * c + ch] = isMax ? acc : (count > 0 ? acc / Float(count) : 0)
                    }
                }
            }
        }
    }
}

extension Operator.Pool2D {
    /// int8 (TFLite `reference_integer_ops::AveragePool` / `MaxPool`): input and output share their
    /// quantisation, so raw values are averaged (rounding half away from zero) or maxed.
    public func compileInt8(_ c: StepCompiler) throws -> () -> Void {
        let a = attributes, isMax = isMax, xs = c.inputShapes[0].int8NHWC, ys = c.outputShape.int8NHWC
        let x = c.int8Input(0), y = c.int8Output
        if !isMax && c.int8Family != nil {
            let p = ew_int8_conv_params(batch: Int32(xs.n), in_h: Int32(xs.h), in_w: Int32(xs.w), in_c: Int32(xs.c),
                                        out_h: Int32(ys.h), out_w: Int32(ys.w), out_c: Int32(ys.c), k_h: Int32(a.window.h), k_w: Int32(a.window.w),
                                        stride_h: Int32(a.stride.h), stride_w: Int32(a.stride.w), dil_h: 1, dil_w: 1,
                                        pad_top: Int32(a.padding.top), pad_left: Int32(a.padding.left), depth_multiplier: 1,
                                        input_zero_point: 0, output_zero_point: 0, act_min: -128, act_max: 127)
            return { withUnsafePointer(to: p) { ew_int8_average_pool($0, x, y) } }
        }
        return {
            if isMax { Int8Reference.maxPool(x: x, xs, a, activationMin: -128, activationMax: 127, y: y, ys) }
            else { Int8Reference.averagePool(x: x, xs, a, activationMin: -128, activationMax: 127, y: y, ys) }
        }
    }
}
