import Testing
import EdgewiseCore
@testable import EdgewiseInterop

/// Importer paths the ML-zoo files do not reach, on small models written with ``TinyTFLite``.
@Suite("TFLite import of synthetic models")
struct TFLiteSyntheticTests {
    typealias Code = TFLSchema.BuiltinOperator
    typealias Opt = TFLSchema.BuiltinOptionsType

    func importTiny(_ m: TinyTFLite, _ name: String = "tiny.tflite") throws -> Graph {
        try TFLiteImporter.importModel(bytes: m.bytes(), name: name).graph
    }

    /// x [1,4,4,2] → MAX_POOL_2D 2x2 s2 (fused RELU6) → [1,2,2,2]; CONCATENATION with itself on C → [1,2,2,4];
    /// MEAN over H,W → [1,4]; FULLY_CONNECTED 4→3; a second FC path flattening a rank-4 input.
    @Test func poolConcatMeanDense() throws {
        var m = TinyTFLite()
        let x = m.tensor("x", [1, 4, 4, 2])
        let p = m.tensor("pool", [1, 2, 2, 2])
        m.op(Code.maxPool2d, [x], [p], optionsType: Opt.pool2d, options: [
            TFLSchema.Pool2DOptions.padding: .i8(TFLSchema.Padding.valid), TFLSchema.Pool2DOptions.strideW: .i32(2),
            TFLSchema.Pool2DOptions.strideH: .i32(2), TFLSchema.Pool2DOptions.filterW: .i32(2),
            TFLSchema.Pool2DOptions.filterH: .i32(2), TFLSchema.Pool2DOptions.activation: .i8(3)])
        let c = m.tensor("concat", [1, 2, 2, 4])
        m.op(Code.concatenation, [p, p], [c], optionsType: Opt.concatenation, options: [TFLSchema.ConcatenationOptions.axis: .i32(-1)])
        let axes = m.tensor("axes", [2], type: 2, buffer: m.addBuffer([1, 0, 0, 0, 2, 0, 0, 0]))
        let mean = m.tensor("mean", [1, 4])
        m.op(Code.mean, [c, axes], [mean], optionsType: Opt.reducer, options: [TFLSchema.ReducerOptions.keepDims: .bool(false)])
        let w = m.tensor("w", [3, 4], buffer: m.addFloatBuffer((0..<12).map(Float.init)))
        let bias = m.tensor("b", [3], buffer: m.addFloatBuffer([1, 2, 3]))
        let y = m.tensor("y", [1, 3])
        m.op(Code.fullyConnected, [mean, w, bias], [y], optionsType: Opt.fullyConnected, options: [TFLSchema.FullyConnectedOptions.activation: .i8(1)])
        let s = m.tensor("softmax", [1, 3])
        m.op(Code.softmax, [y], [s], optionsType: Opt.softmax, options: [TFLSchema.SoftmaxOptions.beta: .f32(1)])
        m.inputs = [x]; m.outputs = [s]
        let g = try importTiny(m)
        #expect(kinds(g) == ["max_pool2d", "relu6", "concat", "global_average_pool", "dense", "softmax"])
        let nodes = g.stages[0].nodes
        #expect(nodes[0].op == .maxPool2d(PoolAttributes(window: Size2D(2, 2), stride: Size2D(2, 2), padding: .valid)))
        #expect(nodes[2].op == .concat(axis: -1))
        #expect(nodes[4].op == .dense(activation: .relu))
        // Dense weights [Out=3, In=4] → [In, Out]: element (i, o) = o*4 + i.
        let wt = try #require(g.constants[nodes[4].inputs[1]]).toArray(of: Float.self)
        #expect(g.values[nodes[4].inputs[1]].shape == [4, 3])
        #expect(wt == [0, 4, 8, 1, 5, 9, 2, 6, 10, 3, 7, 11])
        #expect(g.stages[0].exit?.name == "final" && g.stages[0].exit?.output == nodes[5].output)
    }

    @Test("FULLY_CONNECTED with keep_num_dims = false on a rank-4 input inserts a reshape to [N, In]")
    func denseFlattens() throws {
        var m = TinyTFLite()
        let x = m.tensor("x", [1, 2, 2, 3])
        let w = m.tensor("w", [5, 12], buffer: m.addFloatBuffer([Float](repeating: 0.5, count: 60)))
        let y = m.tensor("y", [1, 5])
        m.op(Code.fullyConnected, [x, w, -1], [y], optionsType: Opt.fullyConnected, options: [:])
        m.inputs = [x]; m.outputs = [y]
        let g = try importTiny(m)
        #expect(kinds(g) == ["reshape", "dense"])
        #expect(g.stages[0].nodes[0].op == .reshape([1, 12]))
        #expect(g.stages[0].nodes[1].inputs.count == 2)  // no bias
    }

    @Test("SAME padding, dilation and depth multiplier on a depthwise conv")
    func depthwiseSameDilated() throws {
        var m = TinyTFLite()
        let x = m.tensor("x", [1, 7, 7, 2])
        let w = m.tensor("w", [1, 3, 3, 4], buffer: m.addFloatBuffer([Float](repeating: 1, count: 36)))
        let y = m.tensor("y", [1, 4, 4, 4])
        m.op(Code.depthwiseConv2d, [x, w], [y], optionsType: Opt.depthwiseConv2d, options: [
            TFLSchema.DepthwiseConv2DOptions.padding: .i8(TFLSchema.Padding.same),
            TFLSchema.DepthwiseConv2DOptions.strideW: .i32(2), TFLSchema.DepthwiseConv2DOptions.strideH: .i32(2),
            TFLSchema.DepthwiseConv2DOptions.depthMultiplier: .i32(2),
            TFLSchema.DepthwiseConv2DOptions.dilationW: .i32(2), TFLSchema.DepthwiseConv2DOptions.dilationH: .i32(2)])
        m.inputs = [x]; m.outputs = [y]
        let g = try importTiny(m)
        guard case .depthwiseConv2d(let a) = g.stages[0].nodes[0].op else { Issue.record("\(kinds(g))"); return }
        #expect(a.depthMultiplier == 2 && a.dilation == Size2D(2, 2) && a.stride == Size2D(2, 2))
        // Effective kernel 5, out 4: total padding (4-1)*2 + 5 - 7 = 4 → 2 + 2.
        #expect(a.padding == Padding(top: 2, bottom: 2, left: 2, right: 2))
        #expect(g.values[g.stages[0].nodes[0].inputs[1]].shape == [3, 3, 4])
    }

    @Test("a CUSTOM operator is named with its custom code, index and file")
    func customOperator() throws {
        var m = TinyTFLite()
        let x = m.tensor("x", [1, 4])
        let r = m.tensor("r", [1, 4])
        let y = m.tensor("y", [1, 4])
        m.op(Code.relu, [x], [r])
        m.op(Code.custom, custom: "MyFancyOp", [r], [y])
        m.inputs = [x]; m.outputs = [y]
        #expect(throws: TFLiteImportError.unsupportedOperator(file: "custom.tflite", operatorIndex: 1, op: "CUSTOM(MyFancyOp)")) {
            try importTiny(m, "custom.tflite")
        }
        // An operator code past the known names is reported by number.
        m.ops[1] = .init(opcode: 1, inputs: [r], outputs: [y])
        m.opcodes[1] = (300, nil)
        #expect(throws: TFLiteImportError.unsupportedOperator(file: "new.tflite", operatorIndex: 1, op: "BuiltinOperator(300)")) {
            try importTiny(m, "new.tflite")
        }
    }

    @Test("inconsistent or unsupported models give the matching error")
    func errors() throws {
        func model(_ edit: (inout TinyTFLite) -> Void) -> TinyTFLite {
            var m = TinyTFLite()
            let x = m.tensor("x", [1, 4])
            let y = m.tensor("y", [1, 4])
            m.op(Code.relu, [x], [y])
            m.inputs = [x]; m.outputs = [y]
            edit(&m)
            return m
        }
        func error(_ m: TinyTFLite) -> TFLiteImportError? {
            do { _ = try importTiny(m); return nil } catch let e as TFLiteImportError { return e } catch { return nil }
        }
        #expect(throws: Never.self) { try importTiny(model { _ in }) }
        // Declared output shape disagrees with the operator.
        guard case .invalidOperator(_, 0, "RELU", let d)? = error(model { $0.tensors[1].shape = [1, 5] }) else { Issue.record("shape"); return }
        #expect(d.contains("[1, 5]"))
        // Reading a tensor nobody wrote.
        guard case .invalidOperator(_, 0, "RELU", _)? = error(model { m in let z = m.tensor("z", [1, 4]); m.ops[0].inputs = [z] }) else { Issue.record("unwritten"); return }
        // Tensor index out of range.
        guard case .malformed? = error(model { $0.ops[0].inputs = [7] }) else { Issue.record("range"); return }
        // Two inputs.
        guard case .unsupportedModel? = error(model { m in m.inputs.append(m.tensor("x2", [1])) }) else { Issue.record("inputs"); return }
        // Schema version.
        guard case .unsupportedModel(_, let v)? = error(model { $0.version = 2 }) else { Issue.record("version"); return }
        #expect(v.contains("version 2"))
        // Wrong file identifier.
        #expect(throws: TFLiteImportError.self) {
            var b = model { _ in }.bytes(); b[4] = 0x58
            _ = try TFLiteImporter.importModel(bytes: b, name: "x")
        }
        // ADD needing broadcasting.
        let add = model { m in
            let s = m.tensor("s", [1, 1]); let z = m.tensor("z", [1, 4])
            m.op(Code.add, [1, s], [z]); m.outputs = [z]
            m.tensors[Int(s)].buffer = m.addFloatBuffer([1])
        }
        guard case .unsupportedOption(_, 1, "ADD", let bd)? = error(add) else { Issue.record("add \(String(describing: error(add)))"); return }
        #expect(bd.contains("broadcasting"))
        // Requantisation int8 → int8.
        let rq = model { m in
            m.tensors[0].type = 9; m.tensors[0].quant = ([0.5], [0], 0)
            m.tensors[1].type = 9; m.tensors[1].quant = ([0.5], [0], 0)
            let z = m.tensor("z", [1, 4], type: 9, quant: ([0.25], [1], 0))
            m.op(Code.quantize, [1], [z]); m.outputs = [z]
        }
        guard case .unsupportedOption(_, 1, "QUANTIZE", _)? = error(rq) else { Issue.record("requantize \(String(describing: error(rq)))"); return }
        // Per-axis scales that do not match the quantised dimension.
        let pa = model { m in
            m.tensors[0].type = 9; m.tensors[0].quant = ([0.5, 0.25, 0.125], [0, 0, 0], 1)
            m.tensors[1].type = 9; m.tensors[1].quant = ([0.5], [0], 0)
        }
        guard case .unsupportedModel? = error(pa) else { Issue.record("per-axis \(String(describing: error(pa)))"); return }
        // A weights buffer of the wrong size.
        let wb = model { m in
            let w = m.tensor("w", [2, 4], buffer: m.addFloatBuffer([1, 2, 3]))
            let z = m.tensor("z", [1, 2])
            m.op(Code.fullyConnected, [1, w], [z], optionsType: Opt.fullyConnected, options: [:]); m.outputs = [z]
        }
        guard case .invalidOperator(_, 1, "FULLY_CONNECTED", let wd)? = error(wb) else { Issue.record("weights \(String(describing: error(wb)))"); return }
        #expect(wd.contains("bytes"))
        // Hybrid: float input, int8 weights.
        let hy = model { m in
            let w = m.tensor("w", [2, 4], type: 9, buffer: m.addBuffer([UInt8](repeating: 1, count: 8)), quant: ([0.1], [0], 0))
            let z = m.tensor("z", [1, 2])
            m.op(Code.fullyConnected, [1, w], [z], optionsType: Opt.fullyConnected, options: [:]); m.outputs = [z]
        }
        guard case .unsupportedOption(_, 1, "FULLY_CONNECTED", let hd)? = error(hy) else { Issue.record("hybrid \(String(describing: error(hy)))"); return }
        #expect(hd.contains("hybrid"))
    }

    @Test("int8 conv: OHWI → HWIO with per-channel scales moving from axis 0 to axis 3")
    func int8ConvPerChannel() throws {
        var m = TinyTFLite()
        let x = m.tensor("x", [1, 3, 3, 2], type: 9, quant: ([0.5], [-3], 0))
        // Weights [Cout=3, 1, 1, Cin=2]: value = 10*o + i.
        let wBytes: [UInt8] = (0..<3).flatMap { o in (0..<2).map { i in UInt8(10 * o + i) } }
        let w = m.tensor("w", [3, 1, 1, 2], type: 9, buffer: m.addBuffer(wBytes), quant: ([0.1, 0.2, 0.3], [0, 0, 0], 0))
        let b = m.tensor("b", [3], type: 2, buffer: m.addBuffer([UInt8](repeating: 0, count: 12)), quant: ([0.05, 0.1, 0.15], [0, 0, 0], 0))
        let y = m.tensor("y", [1, 3, 3, 3], type: 9, quant: ([0.25], [5], 0))
        m.op(Code.conv2d, [x, w, b], [y], optionsType: Opt.conv2d, options: [
            TFLSchema.Conv2DOptions.padding: .i8(TFLSchema.Padding.valid),
            TFLSchema.Conv2DOptions.strideW: .i32(1), TFLSchema.Conv2DOptions.strideH: .i32(1)])
        m.inputs = [x]; m.outputs = [y]
        let g = try importTiny(m)
        let node = g.stages[0].nodes[0]
        let wv = g.values[node.inputs[1]]
        #expect(wv.shape == [1, 1, 2, 3] && wv.dtype == .int8)
        #expect(wv.quant == QuantParams(scales: [0.1, 0.2, 0.3], zeroPoints: [0, 0, 0], axis: 3))
        // HWIO element (i, o) = 10*o + i.
        #expect(try #require(g.constants[node.inputs[1]]).toArray(of: Int8.self) == [0, 10, 20, 1, 11, 21])
        #expect(g.values[node.inputs[2]].dtype == .int32)
        #expect(g.values[node.inputs[2]].quant?.axis == 0)
        #expect(g.values[g.input].quant == QuantParams(scale: 0.5, zeroPoint: -3))
        #expect(g.values[node.output].quant == QuantParams(scale: 0.25, zeroPoint: 5))
    }

    @Test("tensors sharing a buffer share one copy, and re-copying one buffer many times is refused")
    func sharedBuffers() throws {
        // Two FCs whose biases use the same buffer: one storage.
        var m = TinyTFLite()
        let x = m.tensor("x", [1, 4])
        let wb = m.addFloatBuffer([Float](repeating: 1, count: 16)), bb = m.addFloatBuffer([1, 2, 3, 4])
        let w1 = m.tensor("w1", [4, 4], buffer: wb), w2 = m.tensor("w2", [4, 4], buffer: wb)
        let b1 = m.tensor("b1", [4], buffer: bb), b2 = m.tensor("b2", [4], buffer: bb)
        let h = m.tensor("h", [1, 4]), y = m.tensor("y", [1, 4])
        m.op(Code.fullyConnected, [x, w1, b1], [h], optionsType: Opt.fullyConnected, options: [:])
        m.op(Code.fullyConnected, [h, w2, b2], [y], optionsType: Opt.fullyConnected, options: [:])
        m.inputs = [x]; m.outputs = [y]
        let g = try importTiny(m)
        let n = g.stages[0].nodes
        #expect(g.constants[n[0].inputs[2]]!.storage === g.constants[n[1].inputs[2]]!.storage)
        #expect(g.constants[n[0].inputs[1]]!.storage === g.constants[n[1].inputs[1]]!.storage)

        // One 64 KiB buffer viewed as [16384/I, I] weights by 10 FCs: each needs its own transposed copy.
        var big = TinyTFLite()
        let input = big.tensor("x", [1, 16384])
        let buf = big.addFloatBuffer([Float](repeating: 0.25, count: 16384))
        var outs: [Int32] = []
        for k in 1...10 {
            let i = Int32(1 << k), o = Int32(16384 >> k)
            let w = big.tensor("w\(k)", [o, i], buffer: buf)
            let out = big.tensor("y\(k)", [16384 / i, o])
            big.op(Code.fullyConnected, [input, w], [out], optionsType: Opt.fullyConnected, options: [:])
            outs.append(out)
        }
        big.inputs = [input]; big.outputs = [outs.last!]
        let error = #expect(throws: TFLiteImportError.self) { try importTiny(big, "reuse.tflite") }
        guard case .invalidOperator(_, let index, "FULLY_CONNECTED", let d)? = error else { Issue.record("got \(String(describing: error))"); return }
        #expect(index >= 4 && d.contains("4x the file size"))
    }
}
