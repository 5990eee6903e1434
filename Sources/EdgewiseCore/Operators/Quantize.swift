extension Operator {
    /// Float32 to a quantised type with the output value's ``Value/quant``. Input: x (float32).
    /// Model file: `{"quantize":{}}`. No executor kernel yet (int8 execution is issue 15's work).
    public struct Quantize: OperatorDefinition {
        public init() {}
        public var kindName: String { "quantize" }
        public var inputArity: ClosedRange<Int> { 1...1 }
        public func outputShape(inputs s: [Shape], check: ShapeCheck) throws -> Shape { s[0] }
        public func compileFloat32(_ c: StepCompiler) throws -> () -> Void {
            throw ExecutorError.unsupportedOperator(node: c.node.name, op: kindName, reason: "int8 execution arrives with the compression work")
        }
    }
}
