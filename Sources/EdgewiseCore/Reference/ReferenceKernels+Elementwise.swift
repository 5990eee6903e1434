import Foundation

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
                                if isMax { acc = acc < v || v.isNaN ? v : acc } else { acc += v }  // NaN-propagating max
                                count += 1
                            }
                        }
                        y[((b * oh + oy) * ow + ox) * c + ch] = isMax ? acc : (count > 0 ? acc / Float(count) : 0)
                    }
                }
            }
        }
    }

    /// Global average pooling: `[N,H,W,C]` or `[N,W,C]` → `[N,C]`.
    public static func globalAveragePool(_ x: UnsafeBufferPointer<Float>, _ xs: Shape, into y: UnsafeMutableBufferPointer<Float>) {
        let (n, h, w, c) = xs.nhwc
        let count = Float(h * w)
        for b in 0..<n {
            for ch in 0..<c {
                var acc: Float = 0
                for p in 0..<(h * w) { acc += x[(b * h * w + p) * c + ch] }
                y[b * c + ch] = acc / count
            }
        }
    }

    /// Element-wise activation.
    public static func activation(_ x: UnsafeBufferPointer<Float>, _ act: Activation, into y: UnsafeMutableBufferPointer<Float>) {
        for i in 0..<x.count { y[i] = activate(x[i], act) }
    }

    /// Element-wise `activation(a + b)`.
    public static func add(_ a: UnsafeBufferPointer<Float>, _ b: UnsafeBufferPointer<Float>, activation: Activation, into y: UnsafeMutableBufferPointer<Float>) {
        for i in 0..<a.count { y[i] = activate(a[i] + b[i], activation) }
    }

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

    /// Softmax over the last axis of length `d`, numerically stabilised by the row maximum.
    public static func softmax(_ x: UnsafeBufferPointer<Float>, lastAxis d: Int, into y: UnsafeMutableBufferPointer<Float>) {
        for r in 0..<(x.count / d) {
            var m = -Float.infinity
            for j in 0..<d { m = Swift.max(m, x[r * d + j]) }
            var s: Float = 0
            for j in 0..<d { let e = Foundation.exp(x[r * d + j] - m); y[r * d + j] = e; s += e }
            for j in 0..<d { y[r * d + j] /= s }
        }
    }

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

    /// Concatenation along `axis` of tensors with shapes `shapes`.
    public static func concat(_ inputs: [UnsafeBufferPointer<Float>], _ shapes: [Shape], axis: Int,
                              into y: UnsafeMutableBufferPointer<Float>) {
        let r = shapes[0].rank
        let ax = axis < 0 ? r + axis : axis
        let outer = shapes[0].dims[..<ax].reduce(1, *)
        let inner = shapes[0].dims[(ax + 1)...].reduce(1, *)
        var dst = 0
        for o in 0..<outer {
            for (buf, s) in zip(inputs, shapes) {
                let chunk = s[ax] * inner
                for j in 0..<chunk { y[dst + j] = buf[o * chunk + j] }
                dst += chunk
            }
        }
    }

    /// Batched matrix product: a `[B…, M, K]` × b `[B…, K, N]` (or `[B…, N, K]` when `transposeB`).
    public static func matmul(_ a: UnsafeBufferPointer<Float>, _ as_: Shape, _ b: UnsafeBufferPointer<Float>, _ bs: Shape,
                              transposeB: Bool, into y: UnsafeMutableBufferPointer<Float>) {
        let m = as_[-2], k = as_[-1]
        let n = transposeB ? bs[-2] : bs[-1]
        let batches = as_.elementCount / (m * k)
        for bt in 0..<batches {
            let ao = bt * m * k, bo = bt * k * n, yo = bt * m * n
            for i in 0..<m {
                for j in 0..<n {
                    var acc: Float = 0
                    for p in 0..<k {
                        acc += a[ao + i * k + p] * (transposeB ? b[bo + j * k + p] : b[bo + p * n + j])
                    }
                    y[yo + i * n + j] = acc
                }
            }
        }
    }

    /// Multi-head self-attention on x `[N,T,D]` with projections `[D,D]` (applied as `x·W + b`) and
    /// scaled dot-product attention per head of width `D / heads`. `scratch` must hold `4·T·D + T·T`
    /// floats; it holds Q, K, V, the per-head context and one head's score matrix.
    public static func multiHeadSelfAttention(_ x: UnsafeBufferPointer<Float>, _ xs: Shape, heads: Int,
                                              wq: UnsafeBufferPointer<Float>, wk: UnsafeBufferPointer<Float>,
                                              wv: UnsafeBufferPointer<Float>, wo: UnsafeBufferPointer<Float>,
                                              bq: UnsafeBufferPointer<Float>, bk: UnsafeBufferPointer<Float>,
                                              bv: UnsafeBufferPointer<Float>, bo: UnsafeBufferPointer<Float>,
                                              scratch: UnsafeMutableBufferPointer<Float>,
                                              into y: UnsafeMutableBufferPointer<Float>) {
        let n = xs[0], t = xs[1], d = xs[2], hd = d / heads
        let q = scratch.baseAddress!, k = q + t * d, v = k + t * d, ctx = v + t * d, s = ctx + t * d
        let scale = 1 / Float(hd).squareRoot()
        for b in 0..<n {
            let xb = x.baseAddress! + b * t * d
            gemm(m: t, n: d, k: d, a: xb, lda: d, b: wq.baseAddress!, ldb: d, bias: bq.baseAddress, activation: .none, c: q, ldc: d)
            gemm(m: t, n: d, k: d, a: xb, lda: d, b: wk.baseAddress!, ldb: d, bias: bk.baseAddress, activation: .none, c: k, ldc: d)
            gemm(m: t, n: d, k: d, a: xb, lda: d, b: wv.baseAddress!, ldb: d, bias: bv.baseAddress, activation: .none, c: v, ldc: d)
            for h in 0..<heads {
                let off = h * hd
                for i in 0..<t {
                    for j in 0..<t {
                        var acc: Float = 0
                        for p in 0..<hd { acc += q[i * d + off + p] * k[j * d + off + p] }
                        s[i * t + j] = acc * scale
                    }
                }
                softmax(UnsafeBufferPointer(start: s, count: t * t), lastAxis: t, into: UnsafeMutableBufferPointer(start: s, count: t * t))
                for i in 0..<t {
                    for p in 0..<hd {
                        var acc: Float = 0
                        for j in 0..<t { acc += s[i * t + j] * v[j * d + off + p] }
                        ctx[i * d + off + p] = acc
                    }
                }
            }
            gemm(m: t, n: d, k: d, a: ctx, lda: d, b: wo.baseAddress!, ldb: d, bias: bo.baseAddress, activation: .none,
                 c: y.baseAddress! + b * t * d, ldc: d)
        }
    }
}
