extension Operator {
    /// Element-wise sum of two equal shapes (residual connections), with a fused activation. Inputs:
    /// a, b. Model file: `{"add":{"activation":"relu"}}`.
    public struct Add: OperatorDefinition {
        public var activation: Activation
        public init(activation: Activation) { self.activation = activation }

        public var kindName: String { "add" }
        public var inputArity: ClosedRange<Int> { 2...2 }

        public func outputShape(inputs s: [Shape], check: ShapeCheck) throws -> Shape {
            guard s[0] == s[1] else { throw check.fail("add needs equal shapes, got \(s[0]) and \(s[1])") }
            return s[0]
        }

        public func compileFloat32(_ c: StepCompiler) throws -> () -> Void {
            let act = activation, xr = c.input(0), b = c.input(1), y = c.output
            if c.table != nil, let clamp = act.clampBounds {
                return { ChannelLastKernels.add(xr.baseAddress!, b.baseAddress!, count: y.count, clamp: clamp, into: y.baseAddress!) }
            }
            return { ReferenceKernels.add(xr, b, activation: act, into: y) }
        }
    }
}

extension ReferenceKernels {
    /// Element-wise `activation(a + b)`.
    public static func add(_ a: UnsafeBufferPointer<Float>, _ b: UnsafeBufferPointer<Float>, activation: Activation, into y: UnsafeMutableBufferPointer<Float>) {
        for i in 0..<a.count { y[i] = activate(a[i] + b[i], activation) }
    }
}
