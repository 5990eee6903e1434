extension Operator {
    /// Batched matrix product. Inputs: a `[..., M, K]`, b `[..., K, N]` (or `[..., N, K]` when
    /// `transposeB`); batch dims must match. Model file: `{"matmul":{"transposeB":…}}`.
    public struct MatMul: OperatorDefinition {
        public var transposeB: Bool
        public init(transposeB: Bool) { self.transposeB = transposeB }

        public var kindName: String { "matmul" }
        public var inputArity: ClosedRange<Int> { 2...2 }

        public func outputShape(inputs s: [Shape], check: ShapeCheck) throws -> Shape {
            let a = s[0], b = s[1], tb = transposeB
            guard a.rank >= 2, b.rank == a.rank else { throw check.fail("matmul needs equal ranks ≥ 2, got \(a) and \(b)") }
            guard Array(a.dims.dropLast(2)) == Array(b.dims.dropLast(2)) else { throw check.fail("matmul batch dims differ: \(a) vs \(b)") }
            let k = a[-1]
            let (bk, bn) = tb ? (b[-1], b[-2]) : (b[-2], b[-1])
            guard k == bk else { throw check.fail("matmul inner dims differ: \(a) × \(b)\(tb ? "ᵀ" : "")") }
            var o = a; o[-1] = bn; return o
        }

        public func macs(inputs: [Shape], output: Shape) -> Int? { checkedProduct(output, inputs[0][-1]) }

        /// One batch of B transposed, for the GEMM path.
        public func scratchBytes(inputs: [Shape], output: Shape) -> Int? {
            transposeB ? checkedProduct(inputs[1][-1], inputs[1][-2], 4) : 0
        }

        public func compileFloat32(_ c: StepCompiler) throws -> () -> Void {
            let tb = transposeB, shapes = c.inputShapes, ys = c.outputShape
            let xr = c.input(0), b = c.input(1), y = c.output
            guard let table = c.table else {
                return { ReferenceKernels.matmul(xr, shapes[0], b, shapes[1], transposeB: tb, into: y) }
            }
            let gemm = table.gemm_f32!
            let m = shapes[0][-2], k = shapes[0][-1], n = ys[-1], batches = shapes[0].elementCount / (m * k)
            let packed = tb ? c.scratchFloats.baseAddress : nil
            return {
                for bt in 0..<batches {
                    var bp = UnsafePointer(b.baseAddress! + bt * k * n)
                    if let packed {
                        // B is [N, K]: transpose this batch into [K, N] for the GEMM.
                        ChannelLastKernels.transpose(bp, rows: n, cols: k, ld: k, into: packed)
                        bp = UnsafePointer(packed)
                    }
                    gemm(m, n, k, xr.baseAddress! + bt * m * k, k, bp, n, nil, y.baseAddress! + bt * m * n, n, -.infinity, .infinity)
                }
            }
        }
    }
}

extension ReferenceKernels {
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
}
