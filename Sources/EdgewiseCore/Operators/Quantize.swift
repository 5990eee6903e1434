extension Operator {
    /// Float32 (or int8, requantising) to int8 with the output value's ``Value/quant``. Input: x.
    /// Model file: `{"quantize":{}}`.
    public struct Quantize: OperatorDefinition {
        public init() {}
        public var kindName: String { "quantize" }
        public var inputArity: ClosedRange<Int> { 1...1 }
        public func checkDTypes(inputs: [Value], output: Value, check: DTypeCheck) throws {
            guard inputs[0].dtype == .float32, output.dtype.isQuantized, output.quant != nil else {
                throw check.fail("quantize takes float32 to a quantised type with parameters")
            }
        }
        public func outputShape(inputs s: [Shape], check: ShapeCheck) throws -> Shape { s[0] }
        /// float32 → int8: TFLite `AffineQuantize`, `round(x / scale) + zp` (half away from zero), clamped.
        public func compileFloat32(_ c: StepCompiler) throws -> () -> Void {
            guard c.graph.values[c.node.output].dtype == .int8 else {
                throw ExecutorError.unsupportedOperator(node: c.node.name, op: kindName, reason: "only quantisation to int8 runs")
            }
            let q = try c.perTensor(c.node.output)
            let x = c.floatPointer(c.node.inputs[0]), y = c.int8Output, n = c.outputShape.elementCount
            return { Int8Reference.quantize(x, count: n, scale: q.scale, zeroPoint: q.zeroPoint, y: y) }
        }

        /// int8 → int8: TFLite `Requantize` with the multiplier of `scaleIn / scaleOut`.
        public func compileInt8(_ c: StepCompiler) throws -> () -> Void {
            let qx = try c.perTensor(c.node.inputs[0]), qy = try c.perTensor(c.node.output)
            let x = c.int8Input(0), y = c.int8Output, n = c.outputShape.elementCount
            return { Int8Reference.requantize(x, count: n, inputScale: qx.scale, inputZeroPoint: qx.zeroPoint,
                                              outputScale: qy.scale, outputZeroPoint: qy.zeroPoint, y: y) }
        }
    }
}
