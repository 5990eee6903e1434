import CEdgewiseKernels

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

extension Operator.Add {
    /// int8 ADD with two input scales (TFLite: both inputs rescaled to twice the larger scale with a
    /// left shift of 20, summed, requantised to the output scale).
    public func compileInt8(_ c: StepCompiler) throws -> () -> Void {
        let q1 = try c.perTensor(c.node.inputs[0]), q2 = try c.perTensor(c.node.inputs[1]), qy = try c.perTensor(c.node.output)
        let p = Int8AddParams(scale1: q1.scale, zeroPoint1: q1.zeroPoint, scale2: q2.scale, zeroPoint2: q2.zeroPoint,
                              outputScale: qy.scale, outputZeroPoint: qy.zeroPoint, activation: activation)
        let a = c.int8Input(0), b = c.int8Input(1), y = c.int8Output, n = c.outputShape.elementCount
        guard let family = c.int8Family, p.input1Shift <= 0, p.input2Shift <= 0, p.outputShift <= 0 else {
            return { Int8Reference.add(a, b, count: n, p, y: y) }
        }
        let cp = ew_int8_add_params(input1_offset: p.input1Offset, input2_offset: p.input2Offset, left_shift: Int32(p.leftShift),
                                    input1_multiplier: p.input1Multiplier, input1_right_shift: Int32(-p.input1Shift),
                                    input2_multiplier: p.input2Multiplier, input2_right_shift: Int32(-p.input2Shift),
                                    output_multiplier: p.outputMultiplier, output_right_shift: Int32(-p.outputShift),
                                    output_zero_point: p.outputOffset, act_min: p.activationMin, act_max: p.activationMax)
        let isa = family.c
        return { withUnsafePointer(to: cp) { ew_int8_add(isa, n, a, b, $0, y) } }
    }
}
