import EdgewiseCore

/// The helpers of the GEMM paths: im2col/col2im, bias rows and column sums, and a depthwise
/// convolution vectorised across channels (multiplier 1). Checked against ``BackwardKernels``.
enum GEMMPathKernels {

    /// Rows `[N·OH·OW, KH·KW·Cin]` of receptive fields (zeros for padding).
    ///
    /// A second im2col beside the inference one in `CEdgewiseKernels/conv2d` on purpose: that one is a
    /// private step of the fused C convolution (it pads the image into arena scratch and is consumed by
    /// the GEMM in the same call); training keeps this matrix for the backward GEMMs and needs its exact
    /// inverse, ``col2imAdd(_:_:_:_:_:into:)``, over the same index mapping.
    static func im2col(_ x: UnsafeBufferPointer<Float>, _ xs: Shape, _ ws: Shape, _ a: ConvAttributes, _ ys: Shape,
                       into col: UnsafeMutablePointer<Float>) {
        let (n, h, w, cin) = xs.nhwc
        let (_, oh, ow, _) = ys.nhwc
        let kh = ws[0], kw = ws[1], kdim = kh * kw * cin
        let xp = x.baseAddress!
        var row = col
        for b in 0..<n {
            for oy in 0..<oh {
                for ox in 0..<ow {
                    for ky in 0..<kh {
                        let iy = oy * a.stride.h - a.padding.top + ky * a.dilation.h
                        for kx in 0..<kw {
                            let ix = ox * a.stride.w - a.padding.left + kx * a.dilation.w
                            let dst = row + (ky * kw + kx) * cin
                            if iy < 0 || iy >= h || ix < 0 || ix >= w {
                                for c in 0..<cin { dst[c] = 0 }
                            } else {
                                let src = xp + ((b * h + iy) * w + ix) * cin
                                for c in 0..<cin { dst[c] = src[c] }  // a loop, not memcpy: cin is often 1–4
                            }
                        }
                    }
                    row += kdim
                }
            }
        }
    }

    /// Adds each row of `dcol` back onto the input positions it was gathered from.
    static func col2imAdd(_ dcol: UnsafePointer<Float>, _ xs: Shape, _ ws: Shape, _ a: ConvAttributes, _ ys: Shape,
                          into dx: UnsafeMutableBufferPointer<Float>) {
        let (n, h, w, cin) = xs.nhwc
        let (_, oh, ow, _) = ys.nhwc
        let kh = ws[0], kw = ws[1], kdim = kh * kw * cin
        let dp = dx.baseAddress!
        var row = dcol
        for b in 0..<n {
            for oy in 0..<oh {
                for ox in 0..<ow {
                    for ky in 0..<kh {
                        let iy = oy * a.stride.h - a.padding.top + ky * a.dilation.h
                        if iy < 0 || iy >= h { continue }
                        for kx in 0..<kw {
                            let ix = ox * a.stride.w - a.padding.left + kx * a.dilation.w
                            if ix < 0 || ix >= w { continue }
                            let src = row + (ky * kw + kx) * cin, dst = dp + ((b * h + iy) * w + ix) * cin
                            for c in 0..<cin { dst[c] += src[c] }
                        }
                    }
                    row += kdim
                }
            }
        }
    }

    /// `z[r, :] += bias` for every row.
    static func addBias(_ bias: UnsafeBufferPointer<Float>, rows: Int, into z: UnsafeMutableBufferPointer<Float>) {
        let c = bias.count, b = bias.baseAddress!
        var p = z.baseAddress!
        for _ in 0..<rows {
            for j in 0..<c { p[j] += b[j] }
            p += c
        }
    }

    /// `out[j] += Σ_r m[r, j]` over `rows` rows of width `out.count`.
    static func columnSums(_ m: UnsafeBufferPointer<Float>, rows: Int, into out: UnsafeMutableBufferPointer<Float>) {
        let c = out.count, o = out.baseAddress!
        var p = m.baseAddress!
        for _ in 0..<rows {
            for j in 0..<c { o[j] += p[j] }
            p += c
        }
    }

    /// Depthwise convolution, multiplier 1, channel loop innermost (vectorises).
    static func depthwiseForward(x: UnsafeBufferPointer<Float>, _ xs: Shape, w: UnsafeBufferPointer<Float>, _ ws: Shape,
                                 bias: UnsafeBufferPointer<Float>?, _ a: ConvAttributes, z: UnsafeMutableBufferPointer<Float>, _ ys: Shape) {
        let (n, h, wd, c) = xs.nhwc
        let (_, oh, ow, _) = ys.nhwc
        let kh = ws[0], kw = ws[1]
        let xp = x.baseAddress!, wp = w.baseAddress!
        for b in 0..<n {
            for oy in 0..<oh {
                for ox in 0..<ow {
                    let out = z.baseAddress! + ((b * oh + oy) * ow + ox) * c
                    if let bias { out.update(from: bias.baseAddress!, count: c) } else { out.update(repeating: 0, count: c) }
                    for ky in 0..<kh {
                        let iy = oy * a.stride.h - a.padding.top + ky * a.dilation.h
                        if iy < 0 || iy >= h { continue }
                        for kx in 0..<kw {
                            let ix = ox * a.stride.w - a.padding.left + kx * a.dilation.w
                            if ix < 0 || ix >= wd { continue }
                            let inp = xp + ((b * h + iy) * wd + ix) * c, wk = wp + (ky * kw + kx) * c
                            for ch in 0..<c { out[ch] += inp[ch] * wk[ch] }
                        }
                    }
                }
            }
        }
    }

    /// Backward of ``depthwiseForward``; gradients are accumulated.
    static func depthwiseBackward(x: UnsafeBufferPointer<Float>, _ xs: Shape, w: UnsafeBufferPointer<Float>, _ ws: Shape,
                                  _ a: ConvAttributes, dz: UnsafeBufferPointer<Float>, _ ys: Shape,
                                  dx: UnsafeMutableBufferPointer<Float>?, dw: UnsafeMutableBufferPointer<Float>?,
                                  db: UnsafeMutableBufferPointer<Float>?) {
        let (n, h, wd, c) = xs.nhwc
        let (_, oh, ow, _) = ys.nhwc
        let kh = ws[0], kw = ws[1]
        let xp = x.baseAddress!, wp = w.baseAddress!
        if let db { columnSums(dz, rows: n * oh * ow, into: db) }
        for b in 0..<n {
            for oy in 0..<oh {
                for ox in 0..<ow {
                    let gz = dz.baseAddress! + ((b * oh + oy) * ow + ox) * c
                    for ky in 0..<kh {
                        let iy = oy * a.stride.h - a.padding.top + ky * a.dilation.h
                        if iy < 0 || iy >= h { continue }
                        for kx in 0..<kw {
                            let ix = ox * a.stride.w - a.padding.left + kx * a.dilation.w
                            if ix < 0 || ix >= wd { continue }
                            let off = ((b * h + iy) * wd + ix) * c, k = (ky * kw + kx) * c
                            if let dw { let d = dw.baseAddress! + k, inp = xp + off; for ch in 0..<c { d[ch] += inp[ch] * gz[ch] } }
                            if let dx { let d = dx.baseAddress! + off, wk = wp + k; for ch in 0..<c { d[ch] += wk[ch] * gz[ch] } }
                        }
                    }
                }
            }
        }
    }
}
