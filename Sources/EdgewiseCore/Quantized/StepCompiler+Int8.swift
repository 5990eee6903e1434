import CEdgewiseKernels

/// What the int8 executor steps need from a ``StepCompiler``: raw int8/int32 pointers, the node's
/// quantisation parameters and the int8 kernel family matching the executor's ISA choice.
extension StepCompiler {
    /// The int8 C family for this step, or `nil` for the Swift reference kernels (`isa: .reference`).
    /// `avx512` runs the VNNI family when the CPU has VNNI, else the exact AVX2 family.
    var int8Family: Int8KernelISA? {
        guard let t = table else { return nil }
        switch t.isa {
        case EW_ISA_GENERIC: return .generic
        case EW_ISA_AVX2: return Int8KernelISA.avx2.isAvailable ? .avx2 : .generic
        default: return Int8KernelISA.best
        }
    }

    func int8Input(_ i: Int) -> UnsafeMutablePointer<Int8> {
        UnsafeMutableRawPointer(resolve(node.inputs[i])).assumingMemoryBound(to: Int8.self)
    }
    var int8Output: UnsafeMutablePointer<Int8> { UnsafeMutableRawPointer(resolve(node.output)).assumingMemoryBound(to: Int8.self) }
    /// Input `i` as int32 (biases), if the node has it.
    func int32Input(_ i: Int) -> UnsafeMutablePointer<Int32>? {
        node.inputs.count > i ? UnsafeMutableRawPointer(resolve(node.inputs[i])).assumingMemoryBound(to: Int32.self) : nil
    }
    func floatPointer(_ v: ValueID) -> UnsafeMutablePointer<Float> { resolve(v) }

    /// The quantisation of value `v`; throws naming the node when it has none or it is unusable.
    func quant(_ v: ValueID) throws -> QuantParams {
        guard let q = graph.values[v].quant, !q.scales.isEmpty, q.scales.count == q.zeroPoints.count,
              q.scales.allSatisfy({ $0.isFinite && $0 > 0 }) else {
            throw ExecutorError.unsupportedOperator(node: node.name, op: node.op.kindName,
                                                    reason: "value '\(graph.values[v].name)' has no usable quantisation parameters")
        }
        return q
    }
    func inputQuant(_ i: Int) throws -> QuantParams { try quant(node.inputs[i]) }
    func outputQuant() throws -> QuantParams { try quant(node.output) }

    /// Per-tensor scale and zero point of value `v` (activations are per-tensor in TFLite int8).
    func perTensor(_ v: ValueID) throws -> (scale: Float, zeroPoint: Int32) {
        let q = try quant(v)
        guard q.scales.count == 1 else {
            throw ExecutorError.unsupportedOperator(node: node.name, op: node.op.kindName,
                                                    reason: "activation '\(graph.values[v].name)' is quantised per axis; int8 activations must be per tensor")
        }
        return (q.scales[0], q.zeroPoints[0])
    }

    /// Requantisation of a conv / depthwise / dense node (TFLite's prepare-time arithmetic), checking
    /// that the weights are symmetric int8 with one scale per output channel or one in all.
    func int8WeightedRequant(activation: Activation, channels: Int, fullyConnected: Bool) throws -> Int8Requant {
        let x = try perTensor(node.inputs[0]), y = try perTensor(node.output), w = try quant(node.inputs[1])
        guard graph.values[node.inputs[1]].dtype == .int8 else {
            throw ExecutorError.unsupportedOperator(node: node.name, op: node.op.kindName, reason: "int8 activations need int8 weights")
        }
        guard w.scales.count == 1 || w.scales.count == channels else {
            throw ExecutorError.unsupportedOperator(node: node.name, op: node.op.kindName,
                                                    reason: "\(w.scales.count) weight scales for \(channels) output channels")
        }
        guard w.zeroPoints.allSatisfy({ $0 == 0 }) else {
            throw ExecutorError.unsupportedOperator(node: node.name, op: node.op.kindName, reason: "int8 weights must be symmetric (zero point 0)")
        }
        if node.inputs.count > 2 && graph.values[node.inputs[2]].dtype != .int32 {
            throw ExecutorError.unsupportedOperator(node: node.name, op: node.op.kindName, reason: "int8 layers need an int32 bias")
        }
        if fullyConnected && w.scales.count == 1 {
            return Int8Requant.fullyConnectedPerTensor(inputScale: x.scale, inputZeroPoint: x.zeroPoint, weightScale: w.scales[0],
                                                       outputScale: y.scale, outputZeroPoint: y.zeroPoint, activation: activation)
        }
        return Int8Requant.convolution(inputScale: x.scale, inputZeroPoint: x.zeroPoint, weightScales: w.scales, channels: channels,
                                       outputScale: y.scale, outputZeroPoint: y.zeroPoint, activation: activation)
    }

    /// A step that is the identity on int8 data (reshape): nothing (the plan aliases the output), or
    /// a byte copy when the input is a constant.
    func int8IdentityStep() -> () -> Void {
        guard inputIsConstant(0) else { return {} }
        let x = int8Input(0), y = int8Output, n = outputShape.elementCount
        return { y.update(from: x, count: n) }
    }
}

extension Shape {
    /// NHWC view for the int8 kernels (NWC as H = 1).
    var int8NHWC: Int8Reference.NHWC {
        let s = nhwc
        return Int8Reference.NHWC(s.n, s.h, s.w, s.c)
    }
}
