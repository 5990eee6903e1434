extension Operator {
    /// A new shape with the same element count (flatten too). Input: x. The arena plan aliases the
    /// output to a non-constant input, so a run does nothing. Model file: `{"reshape":{"_0":{"dims":[…]}}}`.
    public struct Reshape: OperatorDefinition {
        public var target: Shape
        public init(_ target: Shape) { self.target = target }

        public var kindName: String { "reshape" }
        public var inputArity: ClosedRange<Int> { 1...1 }
        public var integerAttributes: [Int] { target.dims }
        public var aliasesInput: Bool { true }

        public func outputShape(inputs s: [Shape], check: ShapeCheck) throws -> Shape {
            guard let a = s[0].checkedElementCount, let b = target.checkedElementCount, a == b else {
                throw check.fail("reshape from \(s[0]) to \(target) changes the element count")
            }
            return target
        }

        public func compileFloat32(_ c: StepCompiler) throws -> () -> Void { Reshape.identityStep(c) }

        /// The step of an operator that is the identity at inference: nothing (the plan aliases the
        /// output to the input), or a copy when the input is a constant.
        static func identityStep(_ c: StepCompiler) -> () -> Void {
            guard c.inputIsConstant(0) else { return {} }
            let xr = c.input(0), y = c.output
            return { _ = y.update(fromContentsOf: xr) }
        }
    }
}
