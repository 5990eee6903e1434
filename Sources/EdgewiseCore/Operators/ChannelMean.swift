extension Operator {
    /// Mean over the last (channel) axis (TFLite MEAN with axes `[-1]`). Input: x of rank ≥ 1 (≥ 2
    /// without `keepDims`). Output: x's shape with the last dimension 1 (`keepDims`) or dropped.
    /// Model file: `{"channelMean":{"keepDims":…}}`.
    public struct ChannelMean: OperatorDefinition {
        public var keepDims: Bool
        public init(keepDims: Bool) { self.keepDims = keepDims }

        public var kindName: String { "channel_mean" }
        public var inputArity: ClosedRange<Int> { 1...1 }

        public func outputShape(inputs s: [Shape], check: ShapeCheck) throws -> Shape {
            let x = s[0]
            guard x.rank >= (keepDims ? 1 : 2) else { throw check.fail("channel mean\(keepDims ? "" : " without keepDims") needs rank ≥ \(keepDims ? 1 : 2), got \(x)") }
            var o = x
            if keepDims { o[-1] = 1 } else { o.dims.removeLast() }
            return o
        }

        public func compileFloat32(_ c: StepCompiler) throws -> () -> Void {
            let d = c.inputShapes[0].last, xr = c.input(0), y = c.output
            guard c.table != nil else { return { ReferenceKernels.channelMean(xr, lastAxis: d, into: y) } }
            return { ChannelMean.rowMeans(xr.baseAddress!, rows: y.count, length: d, into: y.baseAddress!) }
        }

        /// The optimised mean: eight partial sums per row (SIMD8), then the tail.
        static func rowMeans(_ x: UnsafePointer<Float>, rows: Int, length d: Int, into y: UnsafeMutablePointer<Float>) {
            let inv = 1 / Float(d), body = d & ~7
            for r in 0..<rows {
                let row = x + r * d
                var acc = SIMD8<Float>()
                var j = 0
                while j < body {
                    acc += UnsafeRawPointer(row + j).loadUnaligned(as: SIMD8<Float>.self)
                    j += 8
                }
                var s = acc.sum()
                while j < d { s += row[j]; j += 1 }
                y[r] = s * inv
            }
        }
    }
}

extension ReferenceKernels {
    /// Mean of each row of length `d` (the last axis).
    public static func channelMean(_ x: UnsafeBufferPointer<Float>, lastAxis d: Int, into y: UnsafeMutableBufferPointer<Float>) {
        for r in 0..<(x.count / d) {
            var s: Float = 0
            for j in 0..<d { s += x[r * d + j] }
            y[r] = s / Float(d)
        }
    }
}
