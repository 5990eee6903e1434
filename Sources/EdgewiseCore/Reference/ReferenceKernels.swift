import Foundation

/// Plain-loop Swift kernels: the oracle every optimised kernel is tested against, and the path the
/// executor takes with `isa: .reference`. Written for clarity, not speed; they never allocate.
///
/// Tensors are passed as flat buffers plus their ``Shape`` (NHWC / NWC, see ``Shape``). Shapes are
/// assumed valid (the graph was validated at load).
public enum ReferenceKernels {

    /// Applies `activation` to one value.
    @inline(__always)
    public static func activate(_ v: Float, _ activation: Activation) -> Float {
        switch activation {
        case .none: return v
        case .relu: return max(v, 0)
        case .relu6: return min(max(v, 0), 6)
        case .hardSwish: return v * min(max(v + 3, 0), 6) / 6
        case .sigmoid: return 1 / (1 + Foundation.exp(-v))
        case .gelu:
            let c: Float = 0.7978845608028654 // √(2/π)
            return 0.5 * v * (1 + Foundation.tanh(c * (v + 0.044715 * v * v * v)))
        }
    }

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

    /// General matrix product: `c[M,N] = activation(a[M,K] · b[K,N] + bias[N])`, row-major with the
    /// given row strides (in elements). The oracle for the optimised GEMM.
    public static func gemm(m: Int, n: Int, k: Int,
                            a: UnsafePointer<Float>, lda: Int,
                            b: UnsafePointer<Float>, ldb: Int,
                            bias: UnsafePointer<Float>?, activation: Activation,
                            c: UnsafeMutablePointer<Float>, ldc: Int) {
        for i in 0..<m {
            for j in 0..<n {
                var acc: Float = bias?[j] ?? 0
                for p in 0..<k { acc += a[i * lda + p] * b[p * ldb + j] }
                c[i * ldc + j] = activate(acc, activation)
            }
        }
    }

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
