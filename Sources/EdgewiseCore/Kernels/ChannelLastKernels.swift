/// Optimised Swift kernels for the light operators (pooling is in the C kernel table): loops keep the
/// channel axis innermost so they run over contiguous memory and vectorise. The executor uses them with every kernel family but
/// `.reference`; ``ReferenceKernels`` stays their oracle.
enum ChannelLastKernels {
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
