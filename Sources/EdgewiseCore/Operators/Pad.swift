/// Constant padding of a tensor (TFLite PAD / PADV2): `before[d]` and `after[d]` elements of `value`
/// around each dimension `d`. Model file: this struct as JSON (`{"pad":{"_0":{"after":[…],"before":[…],"value":0}}}`).
public struct PadAttributes: Hashable, Codable, Sendable {
    /// Elements added before each dimension, one per input dimension.
    public var before: [Int]
    /// Elements added after each dimension, one per input dimension.
    public var after: [Int]
    /// The padding value (0 for PAD; PADV2's constant).
    public var value: Float
    public init(before: [Int], after: [Int], value: Float = 0) { self.before = before; self.after = after; self.value = value }
}

extension Operator {
    /// Constant padding (``PadAttributes``). Input: x of any rank ≥ 1. Output: each dimension grown by
    /// its `before + after`. The optimised step copies whole innermost rows (channels last: a row is a
    /// pixel's channels, or a padded channel vector when the last dimension is padded too).
    public struct Pad: OperatorDefinition {
        public var attributes: PadAttributes
        public init(_ attributes: PadAttributes) { self.attributes = attributes }

        public var kindName: String { "pad" }
        public var inputArity: ClosedRange<Int> { 1...1 }
        public var integerAttributes: [Int] { attributes.before + attributes.after }

        public func outputShape(inputs s: [Shape], check: ShapeCheck) throws -> Shape {
            let x = s[0], a = attributes
            guard x.rank >= 1 else { throw check.fail("pad needs a tensor of rank ≥ 1, got a scalar") }
            guard a.before.count == x.rank, a.after.count == x.rank else {
                throw check.fail("pad has \(a.before.count)/\(a.after.count) before/after amounts for a rank-\(x.rank) input")
            }
            guard a.value.isFinite else { throw check.fail("pad value \(a.value) is not finite") }
            var out = x
            for d in 0..<x.rank {
                try check.attribute(a.before[d], "padding", min: 0)
                try check.attribute(a.after[d], "padding", min: 0)
                out.dims[d] = x.dims[d] + a.before[d] + a.after[d]  // ≤ 2^31 + 2^25: no overflow
                guard out.dims[d] <= OperatorLimits.maxDimension else { throw check.fail("padded dimension \(d) is \(out.dims[d]), more than \(OperatorLimits.maxDimension)") }
            }
            return out
        }

        public func compileFloat32(_ c: StepCompiler) throws -> () -> Void {
            let xs = c.inputShapes[0], ys = c.outputShape, a = attributes, xr = c.input(0), y = c.output
            guard c.table != nil else { return { ReferenceKernels.pad(xr, xs, a, into: y, ys) } }
            let geometry = PadGeometry(xs, ys, a)
            return { geometry.run(xr.baseAddress!, y.baseAddress!) }
        }
    }
}

/// The optimised pad: recursion over the dimensions with precomputed strides; innermost rows are block
/// copies and padded regions block fills. No allocation per run.
struct PadGeometry: Sendable {
    /// Per dimension: input size, before, after, input stride, output stride (elements).
    let inDims: [Int], before: [Int], after: [Int], inStride: [Int], outStride: [Int], value: Float

    init(_ xs: Shape, _ ys: Shape, _ a: PadAttributes) {
        inDims = xs.dims; before = a.before; after = a.after; value = a.value
        var si = [Int](repeating: 1, count: xs.rank), so = si
        for d in stride(from: xs.rank - 2, through: 0, by: -1) { si[d] = si[d + 1] * xs.dims[d + 1]; so[d] = so[d + 1] * ys.dims[d + 1] }
        inStride = si; outStride = so
    }

    func run(_ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>) {
        inDims.withUnsafeBufferPointer { ind in
            before.withUnsafeBufferPointer { b in
                after.withUnsafeBufferPointer { a in
                    inStride.withUnsafeBufferPointer { si in
                        outStride.withUnsafeBufferPointer { so in
                            PadGeometry.copy(0, ind.count, ind.baseAddress!, b.baseAddress!, a.baseAddress!, si.baseAddress!, so.baseAddress!, x, y, value)
                        }
                    }
                }
            }
        }
    }

    static func copy(_ d: Int, _ rank: Int, _ ind: UnsafePointer<Int>, _ b: UnsafePointer<Int>, _ a: UnsafePointer<Int>,
                     _ si: UnsafePointer<Int>, _ so: UnsafePointer<Int>, _ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, _ value: Float) {
        let os = so[d]
        // Leading and trailing padding of this dimension: whole sub-tensors of `value`.
        y.update(repeating: value, count: b[d] * os)
        let body = y + b[d] * os
        if d == rank - 1 {
            body.update(from: x, count: ind[d])
        } else {
            for i in 0..<ind[d] { copy(d + 1, rank, ind, b, a, si, so, x + i * si[d], body + i * os, value) }
        }
        (body + ind[d] * os).update(repeating: value, count: a[d] * os)
    }
}

extension ReferenceKernels {
    /// Constant padding, element by element: each output index maps back to an input index or to `value`.
    public static func pad(_ x: UnsafeBufferPointer<Float>, _ xs: Shape, _ a: PadAttributes,
                           into y: UnsafeMutableBufferPointer<Float>, _ ys: Shape) {
        let r = xs.rank
        for o in 0..<y.count {
            var rest = o, src = 0, step = 1, inside = true
            for d in stride(from: r - 1, through: 0, by: -1) {
                let i = rest % ys.dims[d] - a.before[d]
                rest /= ys.dims[d]
                if i < 0 || i >= xs.dims[d] { inside = false; break }
                src += i * step
                step *= xs.dims[d]
            }
            y[o] = inside ? x[src] : a.value
        }
    }
}
