import CEdgewiseKernels

extension Operator {
    /// Mean over the spatial axes. Input: x `[N,H,W,C]` or `[N,W,C]`. Output `[N, C]`. Model file:
    /// `{"globalAveragePool":{}}`.
    public struct GlobalAveragePool: OperatorDefinition {
        public init() {}
        public var kindName: String { "global_average_pool" }
        public var inputArity: ClosedRange<Int> { 1...1 }

        public func outputShape(inputs s: [Shape], check: ShapeCheck) throws -> Shape {
            let (n, _, _, c) = try check.spatial(s[0])
            return [n, c]
        }

        public func compileFloat32(_ c: StepCompiler) throws -> () -> Void {
            let xs = c.inputShapes[0], xr = c.input(0), y = c.output
            guard let table = c.table else { return { ReferenceKernels.globalAveragePool(xr, xs, into: y) } }
            // The whole map is one window of the pooling kernel.
            let pool = table.pool2d_f32!
            let x = xs.nhwc
            var p = Executor.poolParams(xs, xs.rank == 4 ? [x.n, 1, 1, x.c] : [x.n, 1, x.c],
                                        window: Size2D(x.h, x.w), stride: .one, padding: .valid)
            return { pool(&p, xr.baseAddress!, y.baseAddress!, 0) }
        }
    }
}

extension ReferenceKernels {
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
}
