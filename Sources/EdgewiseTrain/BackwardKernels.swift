import EdgewiseCore
import Foundation

/// Plain-loop backward kernels, each the pair of a forward kernel in `ReferenceKernels` (llm.c style:
/// `conv2d` ↔ ``conv2dBackward(x:_:weights:_:dz:_:_:dx:dw:db:)``). They are the oracle for the GEMM
/// paths and are checked against finite differences in the tests.
///
/// Conventions: `dz` is the gradient at the *pre-activation* output (apply
/// ``activationBackward(z:_:dy:into:)`` first for fused activations); every gradient output is
/// **accumulated** (`+=`), so a value read by several nodes collects all of its gradients; `nil`
/// outputs are skipped.
public enum BackwardKernels {

    /// Derivative of `activation` at pre-activation `z`.
    @inline(__always)
    public static func derivative(_ z: Float, _ activation: Activation) -> Float {
        switch activation {
        case .none: return 1
        case .relu: return z > 0 ? 1 : 0
        case .relu6: return z > 0 && z < 6 ? 1 : 0
        case .hardSwish: return z <= -3 ? 0 : (z >= 3 ? 1 : (2 * z + 3) / 6)
        case .sigmoid:
            let s = 1 / (1 + Foundation.exp(-z))
            return s * (1 - s)
        case .gelu:
            let c: Float = 0.7978845608028654
            let u = c * (z + 0.044715 * z * z * z)
            let t = Foundation.tanh(u)
            return 0.5 * (1 + t) + 0.5 * z * (1 - t * t) * c * (1 + 3 * 0.044715 * z * z)
        }
    }

    /// `dx = dy · f'(z)` (overwrites `dx`; `dx` may alias `dy`).
    public static func activationBackward(z: UnsafeBufferPointer<Float>, _ activation: Activation,
                                          dy: UnsafeBufferPointer<Float>, into dx: UnsafeMutableBufferPointer<Float>) {
        let zp = z.baseAddress!, gp = dy.baseAddress!, dp = dx.baseAddress!
        switch activation {
        case .none: if UnsafePointer(dp) != gp { dp.update(from: gp, count: z.count) }
        case .relu: for i in 0..<z.count { let g = gp[i]; dp[i] = zp[i] > 0 ? g : 0 }  // unconditional load: no branch
        default: for i in 0..<z.count { dp[i] = gp[i] * derivative(zp[i], activation) }
        }
    }

    /// Convolution backward: x `[N,H,W,Cin]`, weights `[KH,KW,Cin,Cout]`, dz `[N,OH,OW,Cout]`.
    public static func conv2dBackward(x: UnsafeBufferPointer<Float>, _ xs: Shape,
                                      weights w: UnsafeBufferPointer<Float>, _ ws: Shape,
                                      dz: UnsafeBufferPointer<Float>, _ ys: Shape, _ a: ConvAttributes,
                                      dx: UnsafeMutableBufferPointer<Float>?, dw: UnsafeMutableBufferPointer<Float>?,
                                      db: UnsafeMutableBufferPointer<Float>?) {
        let (n, h, wd, cin) = xs.nhwc
        let (_, oh, ow, cout) = ys.nhwc
        let kh = ws[0], kw = ws[1]
        for b in 0..<n {
            for oy in 0..<oh {
                for ox in 0..<ow {
                    for co in 0..<cout {
                        let g = dz[((b * oh + oy) * ow + ox) * cout + co]
                        if let db { db[co] += g }
                        for ky in 0..<kh {
                            let iy = oy * a.stride.h - a.padding.top + ky * a.dilation.h
                            if iy < 0 || iy >= h { continue }
                            for kx in 0..<kw {
                                let ix = ox * a.stride.w - a.padding.left + kx * a.dilation.w
                                if ix < 0 || ix >= wd { continue }
                                let xBase = ((b * h + iy) * wd + ix) * cin
                                let wBase = (ky * kw + kx) * cin * cout + co
                                for ci in 0..<cin {
                                    dw?[wBase + ci * cout] += x[xBase + ci] * g
                                    dx?[xBase + ci] += w[wBase + ci * cout] * g
                                }
                            }
                        }
                    }
                }
            }
        }
    }

    /// Depthwise convolution backward: x `[N,H,W,C]`, weights `[KH,KW,C·M]`, dz `[N,OH,OW,C·M]`.
    public static func depthwiseConv2dBackward(x: UnsafeBufferPointer<Float>, _ xs: Shape,
                                               weights w: UnsafeBufferPointer<Float>, _ ws: Shape,
                                               dz: UnsafeBufferPointer<Float>, _ ys: Shape, _ a: ConvAttributes,
                                               dx: UnsafeMutableBufferPointer<Float>?, dw: UnsafeMutableBufferPointer<Float>?,
                                               db: UnsafeMutableBufferPointer<Float>?) {
        let (n, h, wd, cin) = xs.nhwc
        let (_, oh, ow, cout) = ys.nhwc
        let kh = ws[0], kw = ws[1], m = a.depthMultiplier
        for b in 0..<n {
            for oy in 0..<oh {
                for ox in 0..<ow {
                    for co in 0..<cout {
                        let g = dz[((b * oh + oy) * ow + ox) * cout + co]
                        if let db { db[co] += g }
                        let ci = co / m
                        for ky in 0..<kh {
                            let iy = oy * a.stride.h - a.padding.top + ky * a.dilation.h
                            if iy < 0 || iy >= h { continue }
                            for kx in 0..<kw {
                                let ix = ox * a.stride.w - a.padding.left + kx * a.dilation.w
                                if ix < 0 || ix >= wd { continue }
                                let xi = ((b * h + iy) * wd + ix) * cin + ci, wi = (ky * kw + kx) * cout + co
                                dw?[wi] += x[xi] * g
                                dx?[xi] += w[wi] * g
                            }
                        }
                    }
                }
            }
        }
    }

    /// Dense backward: x `[M, In]`, weights `[In, Out]`, dz `[M, Out]`.
    public static func denseBackward(x: UnsafeBufferPointer<Float>, weights w: UnsafeBufferPointer<Float>, _ ws: Shape,
                                     dz: UnsafeBufferPointer<Float>,
                                     dx: UnsafeMutableBufferPointer<Float>?, dw: UnsafeMutableBufferPointer<Float>?,
                                     db: UnsafeMutableBufferPointer<Float>?) {
        let k = ws[0], n = ws[1], m = x.count / k
        for i in 0..<m {
            for j in 0..<n {
                let g = dz[i * n + j]
                if let db { db[j] += g }
                for p in 0..<k {
                    dw?[p * n + j] += x[i * k + p] * g
                    dx?[i * k + p] += w[p * n + j] * g
                }
            }
        }
    }

    /// Max or average pooling backward (max routes to the first maximum in scan order).
    public static func pool2dBackward(x: UnsafeBufferPointer<Float>, _ xs: Shape, _ a: PoolAttributes, max isMax: Bool,
                                      dy: UnsafeBufferPointer<Float>, _ ys: Shape, dx: UnsafeMutableBufferPointer<Float>) {
        let (n, h, w, c) = xs.nhwc
        let (_, oh, ow, _) = ys.nhwc
        for b in 0..<n {
            for oy in 0..<oh {
                for ox in 0..<ow {
                    for ch in 0..<c {
                        let g = dy[((b * oh + oy) * ow + ox) * c + ch]
                        var best = -Float.infinity, bestIndex = -1, count = 0
                        for ky in 0..<a.window.h {
                            let iy = oy * a.stride.h - a.padding.top + ky
                            if iy < 0 || iy >= h { continue }
                            for kx in 0..<a.window.w {
                                let ix = ox * a.stride.w - a.padding.left + kx
                                if ix < 0 || ix >= w { continue }
                                let i = ((b * h + iy) * w + ix) * c + ch
                                if x[i] > best || bestIndex < 0 { best = x[i]; bestIndex = i }
                                count += 1
                            }
                        }
                        if isMax {
                            if bestIndex >= 0 { dx[bestIndex] += g }
                        } else if count > 0 {
                            let share = g / Float(count)
                            for ky in 0..<a.window.h {
                                let iy = oy * a.stride.h - a.padding.top + ky
                                if iy < 0 || iy >= h { continue }
                                for kx in 0..<a.window.w {
                                    let ix = ox * a.stride.w - a.padding.left + kx
                                    if ix < 0 || ix >= w { continue }
                                    dx[((b * h + iy) * w + ix) * c + ch] += share
                                }
                            }
                        }
                    }
                }
            }
        }
    }

    /// Global average pooling backward: dy `[N,C]` spread evenly over the `H·W` positions.
    public static func globalAveragePoolBackward(_ xs: Shape, dy: UnsafeBufferPointer<Float>, dx: UnsafeMutableBufferPointer<Float>) {
        let (n, h, w, c) = xs.nhwc
        let inv = 1 / Float(h * w)
        for b in 0..<n {
            for p in 0..<(h * w) {
                let base = (b * h * w + p) * c
                for ch in 0..<c { dx[base + ch] += dy[b * c + ch] * inv }
            }
        }
    }

    /// Training-mode batch norm forward: statistics over every axis but the last. Writes `y`, the
    /// batch mean and `1/√(σ²_B+ε)` per channel (biased variance, as PyTorch normalises), and returns
    /// the unbiased batch variance for the running average.
    public static func batchNormTrainingForward(_ x: UnsafeBufferPointer<Float>, channels c: Int,
                                                gamma: UnsafeBufferPointer<Float>, beta: UnsafeBufferPointer<Float>, epsilon: Float,
                                                y: UnsafeMutableBufferPointer<Float>, mean: UnsafeMutableBufferPointer<Float>,
                                                invStd: UnsafeMutableBufferPointer<Float>) -> [Float] {
        let rows = x.count / c
        var unbiased = [Float](repeating: 0, count: c)
        // Per-channel sums in Double (rows can be large), channel loop innermost so it vectorises.
        let acc = UnsafeMutablePointer<Double>.allocate(capacity: 2 * c)
        defer { acc.deallocate() }
        acc.initialize(repeating: 0, count: 2 * c)
        let sum = acc, sq = acc + c
        let xp = x.baseAddress!, yp = y.baseAddress!, mp = mean.baseAddress!, ip = invStd.baseAddress!
        let gp = gamma.baseAddress!, bp = beta.baseAddress!
        for r in 0..<rows { let row = xp + r * c; for ch in 0..<c { sum[ch] += Double(row[ch]) } }
        for ch in 0..<c { mp[ch] = Float(sum[ch] / Double(rows)) }
        for r in 0..<rows { let row = xp + r * c; for ch in 0..<c { let d = Double(row[ch] - mp[ch]); sq[ch] += d * d } }
        for ch in 0..<c {
            ip[ch] = Float(1 / (sq[ch] / Double(rows) + Double(epsilon)).squareRoot())
            unbiased[ch] = Float(sq[ch] / Double(max(1, rows - 1)))
        }
        for r in 0..<rows {
            let row = xp + r * c, out = yp + r * c
            for ch in 0..<c { out[ch] = (row[ch] - mp[ch]) * ip[ch] * gp[ch] + bp[ch] }
        }
        return unbiased
    }

    /// Batch norm backward with the statistics `mean`, `invStd` used in the forward pass. With
    /// `batchStatistics` the statistics depend on x (training mode); otherwise they are constants
    /// (inference mode: the running averages).
    public static func batchNormBackward(x: UnsafeBufferPointer<Float>, channels c: Int, gamma: UnsafeBufferPointer<Float>,
                                         mean: UnsafeBufferPointer<Float>, invStd: UnsafeBufferPointer<Float>,
                                         batchStatistics: Bool, dy: UnsafeBufferPointer<Float>,
                                         dx: UnsafeMutableBufferPointer<Float>?, dgamma: UnsafeMutableBufferPointer<Float>?,
                                         dbeta: UnsafeMutableBufferPointer<Float>?) {
        let rows = x.count / c
        let acc = UnsafeMutablePointer<Float>.allocate(capacity: 4 * c)
        defer { acc.deallocate() }
        acc.initialize(repeating: 0, count: 4 * c)
        let sdy = acc, sdyx = acc + c, k1 = acc + 2 * c, k2 = acc + 3 * c
        let xp = x.baseAddress!, gy = dy.baseAddress!, mp = mean.baseAddress!, ip = invStd.baseAddress!, gp = gamma.baseAddress!
        for r in 0..<rows {
            let row = xp + r * c, g = gy + r * c
            for ch in 0..<c {
                sdy[ch] += g[ch]
                sdyx[ch] += g[ch] * (row[ch] - mp[ch]) * ip[ch]
            }
        }
        if let dgamma { for ch in 0..<c { dgamma[ch] += sdyx[ch] } }
        if let dbeta { for ch in 0..<c { dbeta[ch] += sdy[ch] } }
        guard let dx else { return }
        let inv = 1 / Float(rows)
        // dx = γ/σ · (dy − mean(dy) − x̂·mean(dy·x̂)), with x̂ = (x − μ)/σ, expanded per channel to
        // dx = k·dy + k1 + k2·x.
        let kk = UnsafeMutablePointer<Float>.allocate(capacity: c)
        defer { kk.deallocate() }
        for ch in 0..<c {
            let k = gp[ch] * ip[ch]
            kk[ch] = k
            if batchStatistics {
                let b = sdyx[ch] * inv * ip[ch]
                k1[ch] = k * (-sdy[ch] * inv + b * mp[ch])
                k2[ch] = -k * b
            } else {
                k1[ch] = 0; k2[ch] = 0
            }
        }
        let dp = dx.baseAddress!
        for r in 0..<rows {
            let row = xp + r * c, g = gy + r * c, out = dp + r * c
            for ch in 0..<c { out[ch] += kk[ch] * g[ch] + k1[ch] + k2[ch] * row[ch] }
        }
    }

    /// Softmax backward from its output `y`: `dx = y ⊙ (dy − Σ dy·y)` per row of length `d`.
    public static func softmaxBackward(y: UnsafeBufferPointer<Float>, lastAxis d: Int, dy: UnsafeBufferPointer<Float>,
                                       dx: UnsafeMutableBufferPointer<Float>) {
        for r in 0..<(y.count / d) {
            var dot: Float = 0
            for j in 0..<d { dot += dy[r * d + j] * y[r * d + j] }
            for j in 0..<d { dx[r * d + j] += y[r * d + j] * (dy[r * d + j] - dot) }
        }
    }

    /// Layer norm backward over the last axis of length `d` (statistics recomputed from x).
    public static func layerNormBackward(x: UnsafeBufferPointer<Float>, lastAxis d: Int, gamma: UnsafeBufferPointer<Float>,
                                         epsilon: Float, dy: UnsafeBufferPointer<Float>,
                                         dx: UnsafeMutableBufferPointer<Float>?, dgamma: UnsafeMutableBufferPointer<Float>?,
                                         dbeta: UnsafeMutableBufferPointer<Float>?) {
        var xhat = [Float](repeating: 0, count: d)
        for r in 0..<(x.count / d) {
            let (mean, inv) = ReferenceKernels.rowStatistics(x.baseAddress! + r * d, count: d, epsilon: epsilon)
            var s1: Float = 0, s2: Float = 0
            for j in 0..<d {
                xhat[j] = (x[r * d + j] - mean) * inv
                let g = dy[r * d + j] * gamma[j]
                s1 += g; s2 += g * xhat[j]
                dgamma?[j] += dy[r * d + j] * xhat[j]
                dbeta?[j] += dy[r * d + j]
            }
            guard let dx else { continue }
            for j in 0..<d {
                let g = dy[r * d + j] * gamma[j]
                dx[r * d + j] += inv * (g - s1 / Float(d) - xhat[j] * s2 / Float(d))
            }
        }
    }

    /// Concatenation backward: slices `dy` back into the inputs' gradients (nil entries are skipped).
    public static func concatBackward(dy: UnsafeBufferPointer<Float>, _ shapes: [Shape], axis: Int,
                                      dx: [UnsafeMutableBufferPointer<Float>?]) {
        let r = shapes[0].rank
        let ax = axis < 0 ? r + axis : axis
        let outer = shapes[0].dims[..<ax].reduce(1, *)
        let inner = shapes[0].dims[(ax + 1)...].reduce(1, *)
        var src = 0
        for o in 0..<outer {
            for (i, s) in shapes.enumerated() {
                let chunk = s[ax] * inner
                if let d = dx[i] { for j in 0..<chunk { d[o * chunk + j] += dy[src + j] } }
                src += chunk
            }
        }
    }

    /// Batched matmul backward: `dA += dY·op(B)ᵀ`, `dB += …` for a `[B…,M,K]` × `[B…,K,N]` (or `[B…,N,K]`).
    public static func matmulBackward(a: UnsafeBufferPointer<Float>, _ as_: Shape, b: UnsafeBufferPointer<Float>, _ bs: Shape,
                                      transposeB: Bool, dy: UnsafeBufferPointer<Float>,
                                      da: UnsafeMutableBufferPointer<Float>?, db: UnsafeMutableBufferPointer<Float>?) {
        let m = as_[-2], k = as_[-1]
        let n = transposeB ? bs[-2] : bs[-1]
        let batches = as_.elementCount / (m * k)
        for bt in 0..<batches {
            let ao = bt * m * k, bo = bt * k * n, yo = bt * m * n
            for i in 0..<m {
                for j in 0..<n {
                    let g = dy[yo + i * n + j]
                    for p in 0..<k {
                        let bi = transposeB ? bo + j * k + p : bo + p * n + j
                        da?[ao + i * k + p] += g * b[bi]
                        db?[bi] += g * a[ao + i * k + p]
                    }
                }
            }
        }
    }
}
