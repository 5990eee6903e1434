/// Optimised Swift kernels for the light operators: loops keep the channel axis innermost so they run
/// over contiguous memory and vectorise. The executor uses them with every kernel family but
/// `.reference`; ``ReferenceKernels`` stays their oracle.
enum ChannelLastKernels {
    /// Max or average pooling over NHWC / NWC, accumulating whole channel rows in the output.
    static func pool2d(_ x: UnsafePointer<Float>, _ xs: Shape, _ a: PoolAttributes, max isMax: Bool,
                       into y: UnsafeMutablePointer<Float>, _ ys: Shape) {
        let (n, h, w, c) = xs.nhwc
        let (_, oh, ow, _) = ys.nhwc
        for b in 0..<n {
            for oy in 0..<oh {
                let y0 = Swift.max(0, oy * a.stride.h - a.padding.top), y1 = Swift.min(h, oy * a.stride.h - a.padding.top + a.window.h)
                for ox in 0..<ow {
                    let x0 = Swift.max(0, ox * a.stride.w - a.padding.left), x1 = Swift.min(w, ox * a.stride.w - a.padding.left + a.window.w)
                    let out = y + ((b * oh + oy) * ow + ox) * c
                    for ch in 0..<c { out[ch] = isMax ? -.infinity : 0 }
                    for iy in y0..<Swift.max(y0, y1) {
                        for ix in x0..<Swift.max(x0, x1) {
                            let row = x + ((b * h + iy) * w + ix) * c
                            if isMax { for ch in 0..<c { out[ch] = Swift.max(out[ch], row[ch]) } }
                            else { for ch in 0..<c { out[ch] += row[ch] } }
                        }
                    }
                    if !isMax {
                        let count = Swift.max(0, y1 - y0) * Swift.max(0, x1 - x0)
                        let inv: Float = count > 0 ? 1 / Float(count) : 0
                        for ch in 0..<c { out[ch] *= inv }
                    }
                }
            }
        }
    }

    /// Global average pooling: `[N,H,W,C]` or `[N,W,C]` → `[N,C]`.
    static func globalAveragePool(_ x: UnsafePointer<Float>, _ xs: Shape, into y: UnsafeMutablePointer<Float>) {
        let (n, h, w, c) = xs.nhwc
        let inv = 1 / Float(h * w)
        for b in 0..<n {
            let out = y + b * c
            for ch in 0..<c { out[ch] = 0 }
            for p in 0..<(h * w) {
                let row = x + (b * h * w + p) * c
                for ch in 0..<c { out[ch] += row[ch] }
            }
            for ch in 0..<c { out[ch] *= inv }
        }
    }

    /// Element-wise `a + b` with a clamp (the clamp activations); other activations go through the reference.
    static func add(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, count: Int, clamp: (min: Float, max: Float),
                    into y: UnsafeMutablePointer<Float>) {
        for i in 0..<count { y[i] = Swift.min(Swift.max(a[i] + b[i], clamp.min), clamp.max) }
    }
}

extension ChannelLastKernels {
    /// `y = x·scale[c] + shift[c]` over the channel-last axis (an unfolded inference batch norm with
    /// its per-channel scale and shift computed once at load).
    static func scaleShift(_ x: UnsafePointer<Float>, count: Int, channels c: Int,
                           scale: UnsafePointer<Float>, shift: UnsafePointer<Float>, into y: UnsafeMutablePointer<Float>) {
        var row = 0
        while row < count {
            for ch in 0..<c { y[row + ch] = x[row + ch] * scale[ch] + shift[ch] }
            row += c
        }
    }

    /// Concatenation as contiguous block copies: for each outer index, each input's slab in turn.
    static func concat(_ inputs: [UnsafePointer<Float>], slabs: [Int], outer: Int, into y: UnsafeMutablePointer<Float>) {
        var dst = y
        for o in 0..<outer {
            for (src, slab) in zip(inputs, slabs) {
                dst.update(from: src + o * slab, count: slab)
                dst += slab
            }
        }
    }

    /// `dst[c·rows + r] = src[r·ld + c]` for a `rows × cols` block: a transpose into a packed buffer.
    static func transpose(_ src: UnsafePointer<Float>, rows: Int, cols: Int, ld: Int, into dst: UnsafeMutablePointer<Float>) {
        for r in 0..<rows { for c in 0..<cols { dst[c * rows + r] = src[r * ld + c] } }
    }
}
