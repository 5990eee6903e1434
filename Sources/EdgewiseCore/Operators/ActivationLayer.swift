extension Operator {
    /// A stand-alone element-wise activation. Input: x. Model file: `{"activation":{"_0":"relu"}}`.
    /// Clamp activations after a conv/dense are fused into it (``Graph/fusingActivations()``).
    public struct ActivationLayer: OperatorDefinition {
        public var function: Activation
        public init(_ function: Activation) { self.function = function }

        public var kindName: String { function.rawValue }
        public var inputArity: ClosedRange<Int> { 1...1 }
        public func outputShape(inputs s: [Shape], check: ShapeCheck) throws -> Shape { s[0] }

        public func compileFloat32(_ c: StepCompiler) throws -> () -> Void {
            let act = function, xr = c.input(0), y = c.output
            return { ReferenceKernels.activation(xr, act, into: y) }
        }
    }
}

extension ReferenceKernels {
    /// Element-wise activation.
    public static func activation(_ x: UnsafeBufferPointer<Float>, _ act: Activation, into y: UnsafeMutableBufferPointer<Float>) {
        for i in 0..<x.count { y[i] = activate(x[i], act) }
    }
}
