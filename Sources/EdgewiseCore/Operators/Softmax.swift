import Foundation

extension Operator {
    /// Softmax over the last axis. Input: x. Model file: `{"softmax":{}}`.
    public struct Softmax: OperatorDefinition {
        public init() {}
        public var kindName: String { "softmax" }
        public var inputArity: ClosedRange<Int> { 1...1 }

        public func outputShape(inputs s: [Shape], check: ShapeCheck) throws -> Shape {
            guard s[0].rank >= 1 else { throw check.fail("softmax needs an axis, got a scalar") }
            return s[0]
        }

        public func compileFloat32(_ c: StepCompiler) throws -> () -> Void {
            let d = c.inputShapes[0].last, xr = c.input(0), y = c.output
            return { ReferenceKernels.softmax(xr, lastAxis: d, into: y) }
        }
    }
}

extension ReferenceKernels {
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
}
