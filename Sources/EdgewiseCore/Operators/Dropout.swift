extension Operator {
    /// Dropout: zeroes a `rate` fraction of elements while training (scaling the rest by
    /// `1/(1-rate)`); the identity at inference, aliased like a reshape. Model file: `{"dropout":{"rate":…}}`.
    public struct Dropout: OperatorDefinition {
        public var rate: Float
        public init(rate: Float) { self.rate = rate }

        public var kindName: String { "dropout" }
        public var inputArity: ClosedRange<Int> { 1...1 }
        public var aliasesInput: Bool { true }

        public func outputShape(inputs s: [Shape], check: ShapeCheck) throws -> Shape {
            guard rate >= 0 && rate < 1 else { throw check.fail("dropout rate must be in [0, 1), got \(rate)") }
            return s[0]
        }

        public func compileFloat32(_ c: StepCompiler) throws -> () -> Void { Reshape.identityStep(c) }
    }
}
