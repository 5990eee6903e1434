/// Plain Swift int8 kernels: the oracle for the C int8 kernels, written to follow LiteRT 2.3's
/// reference kernels (`tflite/kernels/internal/reference/integer_ops/*.h`, `reference/softmax.h`,
/// `reference/quantize.h`, `reference/requantize.h`, `reference/dequantize.h`) step by step, so that
/// every output is bit-exact with `OpResolverType.BUILTIN_REF` (checked by the LiteRT fixtures in
/// Tests/EdgewiseInteropTests/Fixtures/litert-int8).
///
/// Layouts are Edgewise's: activations NHWC (1-D signals as H = 1), conv weights `[KH,KW,Cin,Cout]`,
/// depthwise `[KH,KW,C·M]`, dense `[In,Out]`, biases int32. Weights are symmetric (zero point 0),
/// as TFLite requires for int8.
public enum Int8Reference {
    /// `[N, H, W, C]` of an activation.
    public struct NHWC: Hashable, Sendable {
        public var n: Int, h: Int, w: Int, c: Int
        public init(_ n: Int, _ h: Int, _ w: Int, _ c: Int) { self.n = n; self.h = h; self.w = w; self.c = c }
        public var count: Int { n * h * w * c }
    }

    @inlinable
    static func clamp(_ v: Int32, _ lo: Int32, _ hi: Int32) -> Int8 { Int8(truncatingIfNeeded: min(max(v, lo), hi)) }

    /// Output spatial size of a window operator (padding given explicitly, as in ``ConvAttributes``).
    public static func outputSize(input: Int, kernel: Int, stride: Int, dilation: Int, padBefore: Int, padAfter: Int) -> Int {
        let effective = (kernel - 1) * dilation + 1
        return (input + padBefore + padAfter - effective) / stride + 1
    }

    /// CONV_2D (1-D as H = 1), per-channel requantisation: `reference_integer_ops::ConvPerChannel`.
    /// Padding positions contribute nothing (they stand for the input zero point).
    public static func conv2d(x: UnsafePointer<Int8>, _ xs: NHWC, weights w: UnsafePointer<Int8>, kernel: Size2D, outChannels cout: Int,
                              bias: UnsafePointer<Int32>?, _ a: ConvAttributes, _ q: Int8Requant,
                              y: UnsafeMutablePointer<Int8>, _ ys: NHWC) {
        let inputOffset = -q.inputZeroPoint
        for b in 0..<xs.n {
            for oy in 0..<ys.h {
                for ox in 0..<ys.w {
                    let iy0 = oy * a.stride.h - a.padding.top, ix0 = ox * a.stride.w - a.padding.left
                    for oc in 0..<cout {
                        var acc: Int32 = 0
                        for ky in 0..<kernel.h {
                            let iy = iy0 + ky * a.dilation.h
                            if iy < 0 || iy >= xs.h { continue }
                            for kx in 0..<kernel.w {
                                let ix = ix0 + kx * a.dilation.w
                                if ix < 0 || ix >= xs.w { continue }
                                let xp = x + ((b * xs.h + iy) * xs.w + ix) * xs.c
                                let wp = w + (ky * kernel.w + kx) * xs.c * cout + oc
                                for ic in 0..<xs.c {
                                    acc &+= Int32(wp[ic * cout]) * (Int32(xp[ic]) &+ inputOffset)
                                }
                            }
                        }
                        if let bias { acc &+= bias[oc] }
                        let (m, s) = q.channel(oc)
                        acc = FixedPoint.multiplyByQuantizedMultiplier(acc, m, s) &+ q.outputZeroPoint
                        y[((b * ys.h + oy) * ys.w + ox) * cout + oc] = clamp(acc, q.activationMin, q.activationMax)
                    }
                }
            }
        }
    }

    /// DEPTHWISE_CONV_2D with depth multiplier: `reference_integer_ops::DepthwiseConvPerChannel`.
    /// Output channel `ic·M + m` reads input channel `ic`.
    public static func depthwiseConv2d(x: UnsafePointer<Int8>, _ xs: NHWC, weights w: UnsafePointer<Int8>, kernel: Size2D,
                                       bias: UnsafePointer<Int32>?, _ a: ConvAttributes, _ q: Int8Requant,
                                       y: UnsafeMutablePointer<Int8>, _ ys: NHWC) {
        let inputOffset = -q.inputZeroPoint
        let mult = a.depthMultiplier, cout = xs.c * mult
        for b in 0..<xs.n {
            for oy in 0..<ys.h {
                for ox in 0..<ys.w {
                    let iy0 = oy * a.stride.h - a.padding.top, ix0 = ox * a.stride.w - a.padding.left
                    for ic in 0..<xs.c {
                        for m in 0..<mult {
                            let oc = ic * mult + m
                            var acc: Int32 = 0
                            for ky in 0..<kernel.h {
                                let iy = iy0 + ky * a.dilation.h
                                if iy < 0 || iy >= xs.h { continue }
                                for kx in 0..<kernel.w {
                                    let ix = ix0 + kx * a.dilation.w
                                    if ix < 0 || ix >= xs.w { continue }
                                    let xv = Int32(x[((b * xs.h + iy) * xs.w + ix) * xs.c + ic])
                                    let wv = Int32(w[(ky * kernel.w + kx) * cout + oc])
                                    acc &+= wv * (xv &+ inputOffset)
                                }
                            }
                            if let bias { acc &+= bias[oc] }
                            let (mm, s) = q.channel(oc)
                            acc = FixedPoint.multiplyByQuantizedMultiplier(acc, mm, s) &+ q.outputZeroPoint
                            y[((b * ys.h + oy) * ys.w + ox) * cout + oc] = clamp(acc, q.activationMin, q.activationMax)
                        }
                    }
                }
            }
        }
    }

    /// FULLY_CONNECTED: `reference_integer_ops::FullyConnected` (per-tensor or per-channel weights).
    /// x `[rows, In]`, weights `[In, Out]`.
    public static func dense(x: UnsafePointer<Int8>, rows: Int, inFeatures: Int, weights w: UnsafePointer<Int8>, outFeatures: Int,
                             bias: UnsafePointer<Int32>?, _ q: Int8Requant, y: UnsafeMutablePointer<Int8>) {
        let inputOffset = -q.inputZeroPoint
        for r in 0..<rows {
            for o in 0..<outFeatures {
                var acc: Int32 = 0
                for i in 0..<inFeatures {
                    acc &+= Int32(w[i * outFeatures + o]) * (Int32(x[r * inFeatures + i]) &+ inputOffset)
                }
                if let bias { acc &+= bias[o] }
                let (m, s) = q.channel(o)
                acc = FixedPoint.multiplyByQuantizedMultiplier(acc, m, s) &+ q.outputZeroPoint
                y[r * outFeatures + o] = clamp(acc, q.activationMin, q.activationMax)
            }
        }
    }

    /// AVERAGE_POOL_2D: `reference_integer_ops::AveragePool`. Sums raw int8 values (input and output
    /// share scale and zero point) over the valid part of the window and divides rounding half away
    /// from zero.
    public static func averagePool(x: UnsafePointer<Int8>, _ xs: NHWC, _ p: PoolAttributes, activationMin: Int32, activationMax: Int32,
                                   y: UnsafeMutablePointer<Int8>, _ ys: NHWC) {
        for b in 0..<xs.n {
            for oy in 0..<ys.h {
                for ox in 0..<ys.w {
                    let iy0 = oy * p.stride.h - p.padding.top, ix0 = ox * p.stride.w - p.padding.left
                    let ky0 = max(0, -iy0), ky1 = min(p.window.h, xs.h - iy0)
                    let kx0 = max(0, -ix0), kx1 = min(p.window.w, xs.w - ix0)
                    for c in 0..<xs.c {
                        var acc: Int32 = 0, count: Int32 = 0
                        if ky0 < ky1 && kx0 < kx1 {
                            for ky in ky0..<ky1 {
                                for kx in kx0..<kx1 {
                                    acc &+= Int32(x[((b * xs.h + iy0 + ky) * xs.w + ix0 + kx) * xs.c + c])
                                    count += 1
                                }
                            }
                        }
                        if count > 0 {
                            acc = acc > 0 ? (acc + count / 2) / count : (acc - count / 2) / count
                        }
                        y[((b * ys.h + oy) * ys.w + ox) * xs.c + c] = clamp(acc, activationMin, activationMax)
                    }
                }
            }
        }
    }

    /// MAX_POOL_2D: `reference_integer_ops::MaxPool` (max over the valid part of the window, then clamp).
    public static func maxPool(x: UnsafePointer<Int8>, _ xs: NHWC, _ p: PoolAttributes, activationMin: Int32, activationMax: Int32,
                               y: UnsafeMutablePointer<Int8>, _ ys: NHWC) {
        for b in 0..<xs.n {
            for oy in 0..<ys.h {
                for ox in 0..<ys.w {
                    let iy0 = oy * p.stride.h - p.padding.top, ix0 = ox * p.stride.w - p.padding.left
                    let ky0 = max(0, -iy0), ky1 = min(p.window.h, xs.h - iy0)
                    let kx0 = max(0, -ix0), kx1 = min(p.window.w, xs.w - ix0)
                    for c in 0..<xs.c {
                        var m: Int32 = -128
                        if ky0 < ky1 && kx0 < kx1 {
                            for ky in ky0..<ky1 {
                                for kx in kx0..<kx1 {
                                    m = max(m, Int32(x[((b * xs.h + iy0 + ky) * xs.w + ix0 + kx) * xs.c + c]))
                                }
                            }
                        }
                        y[((b * ys.h + oy) * ys.w + ox) * xs.c + c] = clamp(m, activationMin, activationMax)
                    }
                }
            }
        }
    }

    /// MEAN over H and W of an NHWC tensor: `reference_integer_ops::Mean` (TFLite's 4-D int8 path):
    /// sum of `x − zpIn`, rescaled by `scaleIn/scaleOut` with `MultiplyByQuantizedMultiplier`, divided
    /// by the element count rounding half away from zero, plus `zpOut`.
    /// Not checked against LiteRT here: none of the four ML-zoo int8 models uses MEAN.
    public static func mean(x: UnsafePointer<Int8>, _ xs: NHWC, inputScale: Float, inputZeroPoint: Int32,
                            outputScale: Float, outputZeroPoint: Int32, y: UnsafeMutablePointer<Int8>) {
        let (m, s) = FixedPoint.quantizeMultiplier(Double(inputScale) / Double(outputScale))
        let count = Int32(xs.h * xs.w)
        for b in 0..<xs.n {
            for c in 0..<xs.c {
                var acc: Int32 = 0
                for i in 0..<(xs.h * xs.w) { acc &+= Int32(x[(b * xs.h * xs.w + i) * xs.c + c]) - inputZeroPoint }
                acc = FixedPoint.multiplyByQuantizedMultiplier(acc, m, s)
                acc = acc > 0 ? (acc + count / 2) / count : (acc - count / 2) / count
                y[b * xs.c + c] = clamp(acc &+ outputZeroPoint, -128, 127)
            }
        }
    }

    /// ADD of two int8 tensors of one shape with their own scales: `reference_integer_ops::Add`.
    public static func add(_ a: UnsafePointer<Int8>, _ b: UnsafePointer<Int8>, count: Int, _ p: Int8AddParams, y: UnsafeMutablePointer<Int8>) {
        for i in 0..<count {
            let v1 = (p.input1Offset &+ Int32(a[i])) &* (Int32(1) << Int32(p.leftShift))
            let v2 = (p.input2Offset &+ Int32(b[i])) &* (Int32(1) << Int32(p.leftShift))
            let s1 = FixedPoint.multiplyByQuantizedMultiplierSmallerThanOne(v1, p.input1Multiplier, p.input1Shift)
            let s2 = FixedPoint.multiplyByQuantizedMultiplierSmallerThanOne(v2, p.input2Multiplier, p.input2Shift)
            let out = FixedPoint.multiplyByQuantizedMultiplierSmallerThanOne(s1 &+ s2, p.outputMultiplier, p.outputShift) &+ p.outputOffset
            y[i] = clamp(out, p.activationMin, p.activationMax)
        }
    }

    /// Softmax over the last axis, int8 → int8: `reference_ops::Softmax<int8_t, int8_t>`, the
    /// gemmlowp fixed-point version (Q5.26 scaled differences, fixed-point exp, Q12.19 sum, fixed-point
    /// reciprocal). LiteRT's reference kernel for int8 is this one (the float-exp and LUT versions are
    /// the optimised kernels), so it is exact too.
    public static func softmax(x: UnsafePointer<Int8>, rows: Int, depth: Int, _ p: Int8SoftmaxParams, y: UnsafeMutablePointer<Int8>) {
        let accumulationIntegerBits = 12, scaledDiffIntegerBits = 5
        for r in 0..<rows {
            let row = x + r * depth
            var maxIn: Int32 = -128
            for c in 0..<depth { maxIn = max(maxIn, Int32(row[c])) }
            var sumOfExps: Int32 = 0
            for c in 0..<depth {
                let diff = Int32(row[c]) - maxIn
                if diff >= p.diffMin {
                    let rescaled = FixedPoint.multiplyByQuantizedMultiplierGreaterThanOne(diff, p.inputMultiplier, p.inputLeftShift)
                    let e = FixedPoint.expOnNegativeValues(rescaled, integerBits: scaledDiffIntegerBits)
                    sumOfExps = sumOfExps &+ FixedPoint.rescale(e, from: 0, to: accumulationIntegerBits)
                }
            }
            let (shiftedScale, bitsOverUnit) = FixedPoint.reciprocal(sumOfExps, integerDigits: accumulationIntegerBits)
            let exponent = bitsOverUnit + 31 - 8
            for c in 0..<depth {
                let diff = Int32(row[c]) - maxIn
                if diff >= p.diffMin {
                    let rescaled = FixedPoint.multiplyByQuantizedMultiplierGreaterThanOne(diff, p.inputMultiplier, p.inputLeftShift)
                    let e = FixedPoint.expOnNegativeValues(rescaled, integerBits: scaledDiffIntegerBits)
                    let unsat = FixedPoint.roundingDivideByPOT(FixedPoint.saturatingRoundingDoublingHighMul(shiftedScale, e), exponent)
                    y[r * depth + c] = clamp(unsat &- 128, -128, 127)
                } else {
                    y[r * depth + c] = -128
                }
            }
        }
    }

    /// QUANTIZE float → int8: `reference_ops::AffineQuantize`, `round(x / scale) + zp` in float with
    /// rounding half away from zero, then clamp.
    public static func quantize(_ x: UnsafePointer<Float>, count: Int, scale: Float, zeroPoint: Int32, y: UnsafeMutablePointer<Int8>) {
        for i in 0..<count {
            let r = FixedPoint.round(x[i] / scale)
            let v = r.isNaN ? 0 : Int32(max(-1.0e6, min(1.0e6, r)))
            y[i] = clamp(v &+ zeroPoint, -128, 127)
        }
    }

    /// QUANTIZE int8 → int8 (requantise): `reference_ops::Requantize`, multiplier from
    /// `double(scaleIn) / double(scaleOut)`.
    public static func requantize(_ x: UnsafePointer<Int8>, count: Int, inputScale: Float, inputZeroPoint: Int32,
                                  outputScale: Float, outputZeroPoint: Int32, y: UnsafeMutablePointer<Int8>) {
        let (m, s) = FixedPoint.quantizeMultiplier(Double(inputScale) / Double(outputScale))
        for i in 0..<count {
            let v = FixedPoint.multiplyByQuantizedMultiplier(Int32(x[i]) - inputZeroPoint, m, s) &+ outputZeroPoint
            y[i] = clamp(v, -128, 127)
        }
    }

    /// DEQUANTIZE int8 → float: `reference_ops::Dequantize`, `float(double(scale) · (q − zp))`.
    public static func dequantize(_ x: UnsafePointer<Int8>, count: Int, scale: Float, zeroPoint: Int32, y: UnsafeMutablePointer<Float>) {
        for i in 0..<count { y[i] = Float(Double(scale) * Double(Int32(x[i]) - zeroPoint)) }
    }

    /// PAD of H and W with the output zero point (TFLite's int8 PAD pads with the zero point when no
    /// constant value is given).
    public static func pad(x: UnsafePointer<Int8>, _ xs: NHWC, _ p: Padding, zeroPoint: Int32, y: UnsafeMutablePointer<Int8>) {
        let oh = xs.h + p.top + p.bottom, ow = xs.w + p.left + p.right
        let z = Int8(truncatingIfNeeded: zeroPoint)
        for b in 0..<xs.n {
            for oy in 0..<oh {
                for ox in 0..<ow {
                    let iy = oy - p.top, ix = ox - p.left
                    let dst = y + ((b * oh + oy) * ow + ox) * xs.c
                    if iy < 0 || iy >= xs.h || ix < 0 || ix >= xs.w {
                        for c in 0..<xs.c { dst[c] = z }
                    } else {
                        let src = x + ((b * xs.h + iy) * xs.w + ix) * xs.c
                        for c in 0..<xs.c { dst[c] = src[c] }
                    }
                }
            }
        }
    }

    /// CONCATENATION along `axis` of tensors of shape `outer × inner_i` (row-major: `outer` is the
    /// product of the dimensions before `axis`, `inner_i` the rest). Inputs whose scale and zero point
    /// equal the output's are copied; others are requantised as TFLite's `ConcatenationWithScaling`
    /// does (float `scale_i / scale_out`, rounded half away from zero). LiteRT 2.3 itself requires
    /// equal parameters for int8 concatenation, so only the copy path has a LiteRT counterpart.
    public static func concat(_ inputs: [(ptr: UnsafePointer<Int8>, inner: Int, scale: Float, zeroPoint: Int32)], outer: Int,
                              outputScale: Float, outputZeroPoint: Int32, y: UnsafeMutablePointer<Int8>) {
        let total = inputs.reduce(0) { $0 + $1.inner }
        let inverseOutputScale = 1 / outputScale
        for o in 0..<outer {
            var offset = 0
            for t in inputs {
                let src = t.ptr + o * t.inner, dst = y + o * total + offset
                if t.scale == outputScale && t.zeroPoint == outputZeroPoint {
                    for i in 0..<t.inner { dst[i] = src[i] }
                } else {
                    let scale = t.scale * inverseOutputScale
                    let bias = -Float(t.zeroPoint) * scale
                    for i in 0..<t.inner {
                        let v = Int32(FixedPoint.round(Float(src[i]) * scale + bias)) &+ outputZeroPoint
                        dst[i] = clamp(v, -128, 127)
                    }
                }
                offset += t.inner
            }
        }
    }

    /// A standalone clamp activation (RELU / RELU6 on int8): clamp to the activation's quantised range.
    public static func clampActivation(_ x: UnsafePointer<Int8>, count: Int, min lo: Int32, max hi: Int32, y: UnsafeMutablePointer<Int8>) {
        for i in 0..<count { y[i] = clamp(Int32(x[i]), lo, hi) }
    }
}
