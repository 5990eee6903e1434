extension Operator {
    /// A quantised type to float32. Input: x (quantised). Model file: `{"dequantize":{}}`.
    public struct Dequantize: OperatorDefinition {
        public init() {}
        public var kindName: String { "dequantize" }
        public var inputArity: ClosedRange<Int> { 1...1 }
        public func checkDTypes(inputs: [Value], output: Value, check: DTypeCheck) throws {
            guard inputs[0].dtype.isQuantized, output.dtype == .float32 else {
                throw check.fail("dequantize takes a quantised type to float32")
            }
        }
        public func outputShape(inputs s: [Shape], check: ShapeCheck) throws -> Shape { s[0] }
        public func compileFloat32(_ c: StepCompiler) throws -> () -> Void {
            throw ExecutorError.unsupportedOperator(node: c.node.name, op: kindName, reason: "dequantize takes an int8 input")
        }

        /// int8 → float32: TFLite `Dequantize`, `float(double(scale) · (q − zp))`.
        public func compileInt8(_ c: StepCompiler) throws -> () -> Void {
            let q = try c.perTensor(c.node.inputs[0])
            let x = c.int8Input(0), y = c.floatPointer(c.node.output), n = c.outputShape.elementCount
            return { Int8Reference.dequantize(x, count: n, scale: q.scale, zeroPoint: q.zeroPoint, y: y) }
        }
    }
}
