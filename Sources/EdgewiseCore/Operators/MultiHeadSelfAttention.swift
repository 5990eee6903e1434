extension Operator {
    /// Multi-head self-attention. Inputs: x `[N,T,D]`, wq, wk, wv, wo (each `[D,D]`, applied as
    /// `x·W + b`), bq, bk, bv, bo (each `[D]`). Output `[N,T,D]`. Model file:
    /// `{"multiHeadSelfAttention":{"heads":…}}`.
    public struct MultiHeadSelfAttention: OperatorDefinition {
        public var heads: Int
        public init(heads: Int) { self.heads = heads }

        public var kindName: String { "multi_head_self_attention" }
        public var inputArity: ClosedRange<Int> { 9...9 }
        public func checkDTypes(inputs: [Value], output: Value, check: DTypeCheck) throws {
            try check.float32Parameters(inputs, output)
        }
        public var integerAttributes: [Int] { [heads] }

        public func outputShape(inputs s: [Shape], check: ShapeCheck) throws -> Shape {
            let x = s[0]
            guard x.rank == 3 else { throw check.fail("attention input must be [N,T,D], got \(x)") }
            let d = x[2]
            guard heads >= 1, heads <= d, d % heads == 0 else { throw check.fail("model width \(d) is not divisible by \(heads) heads") }
            for w in s[1...4] where w != [d, d] { throw check.fail("attention projections must be [\(d),\(d)], got \(w)") }
            for b in s[5...8] where b != [d] { throw check.fail("attention biases must be [\(d)], got \(b)") }
            guard macs(inputs: s, output: x) != nil, scratchBytes(inputs: s, output: x) != nil else {
                throw check.fail("attention over \(x) is too large to count or to plan")
            }
            return x
        }

        public func macs(inputs: [Shape], output: Shape) -> Int? {
            let x = inputs[0]
            let (n, t, d) = (x[0], x[1], x[2])
            // n·(4·t·d² + 2·t²·d)
            return checkedSum(checkedProduct(4, t, d, d), checkedProduct(2, t, t, d)).flatMap { checkedProduct(n, $0) }
        }

        /// Q, K, V, the context, one head's scores and one head's Kᵀ (GEMM path): `(5·T·D + T²)` floats.
        public func scratchBytes(inputs: [Shape], output: Shape) -> Int? {
            let x = inputs[0]
            return checkedSum(checkedProduct(5, x[1], x[2]), checkedProduct(x[1], x[1])).flatMap { checkedProduct($0, 4) }
        }

        public func compileFloat32(_ c: StepCompiler) throws -> () -> Void {
            let heads = heads, xs = c.inputShapes[0], xr = c.input(0), y = c.output
            let p = (1...8).map { c.input($0) }
            let s = c.scratchFloats
            guard let table = c.table else {
                return {
                    ReferenceKernels.multiHeadSelfAttention(xr, xs, heads: heads, wq: p[0], wk: p[1], wv: p[2], wo: p[3],
                                                            bq: p[4], bk: p[5], bv: p[6], bo: p[7], scratch: s, into: y)
                }
            }
            let gemm = table.gemm_f32!
            let n = xs[0], t = xs[1], d = xs[2], hd = d / heads
            let scale = 1 / Float(hd).squareRoot()
            let w = p.map { $0.baseAddress! }
            return {
                let q = s.baseAddress!, k = q + t * d, v = k + t * d, ctx = v + t * d, scores = ctx + t * d, kt = scores + t * t
                for bt in 0..<n {
                    let xb = xr.baseAddress! + bt * t * d
                    gemm(t, d, d, xb, d, w[0], d, w[4], q, d, -.infinity, .infinity)
                    gemm(t, d, d, xb, d, w[1], d, w[5], k, d, -.infinity, .infinity)
                    gemm(t, d, d, xb, d, w[2], d, w[6], v, d, -.infinity, .infinity)
                    for h in 0..<heads {
                        let off = h * hd
                        // scores = Q_h · K_hᵀ (K_h packed transposed), scaled, softmax over keys.
                        ChannelLastKernels.transpose(k + off, rows: t, cols: hd, ld: d, into: kt)
                        gemm(t, t, hd, q + off, d, kt, t, nil, scores, t, -.infinity, .infinity)
                        for i in 0..<(t * t) { scores[i] *= scale }
                        let sb = UnsafeMutableBufferPointer(start: scores, count: t * t)
                        ReferenceKernels.softmax(UnsafeBufferPointer(sb), lastAxis: t, into: sb)
                        // context_h = scores · V_h, written into its column band of the context.
                        gemm(t, hd, t, scores, t, v + off, d, nil, ctx + off, d, -.infinity, .infinity)
                    }
                    gemm(t, d, d, ctx, d, w[3], d, w[7], y.baseAddress! + bt * t * d, d, -.infinity, .infinity)
                }
            }
        }
    }
}

extension ReferenceKernels {
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
