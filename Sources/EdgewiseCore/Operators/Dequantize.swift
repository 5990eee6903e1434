extension Operator {
    /// A quantised type to float32. Input: x (quantised). Model file: `{"dequantize":{}}`.
    public struct Dequantize: OperatorDefinition {
        public init() {}
        public var kindName: String { "dequantize" }
        public var inputArity: ClosedRange<Int> { 1...1 }
        public func outputShape(inputs s: [Shape], check: ShapeCheck) throws -> Shape { s[0] }
        public func compileFloat32(_ c: StepCompiler) throws -> () -> Void {
            throw ExecutorError.unsupportedOperator(node: c.node.name, op: kindName, reason: "int8 execution arrives with the compression work")
        }
    }
}
