import Testing
import EdgewiseCore
import EdgewiseModel
@testable import EdgewiseInterop

// Every test here reads the ML-zoo files under shared/models. `Shared.needsModels` skips them (reported as
// skipped) on a checkout without ../shared or $EDGEWISE_SHARED, and fails them under EDGEWISE_REQUIRE_SHARED=1.

/// Compact description of a graph's nodes in execution order, e.g. `conv2d`, `depthwise_conv2d`.
func kinds(_ g: Graph) -> [String] { g.nodesInExecutionOrder.map { $0.node.op.kindName } }

/// Multiply-accumulates of the conv, depthwise and dense nodes.
func macs(_ g: Graph) -> Int {
    var total = 0
    for (n, _, _) in g.nodesInExecutionOrder {
        let out = g.values[n.output].shape
        switch n.op {
        case .conv2d:
            let w = g.values[n.inputs[1]].shape  // [KH,KW,Cin,Cout]
            total += out.elementCount * w[0] * w[1] * w[2]
        case .depthwiseConv2d:
            let w = g.values[n.inputs[1]].shape  // [KH,KW,C·M]
            total += out.elementCount * w[0] * w[1]
        case .dense:
            total += out.elementCount * g.values[n.inputs[1]].shape[0]
        default: break
        }
    }
    return total
}

/// Number of weight and bias elements.
func parameterCount(_ g: Graph) -> Int { g.constants.keys.reduce(0) { $0 + g.values[$1].shape.elementCount } }

func value(_ g: Graph, named name: String) -> Value? { g.values.first { $0.name == name } }

func constantBytes(_ g: Graph, named name: String) -> [UInt8]? {
    guard let id = g.values.firstIndex(where: { $0.name == name }), let d = g.constants[id] else { return nil }
    return Array(d.bytes)
}

func importShared(_ rel: String) throws -> Model {
    try TFLiteImporter.importModel(path: Shared.path(rel))
}

let dsCnnKinds = ["reshape", "conv2d"] + Array(repeating: ["depthwise_conv2d", "conv2d"], count: 4).flatMap { $0 }
    + ["average_pool2d", "reshape", "dense", "softmax"]

@Suite("TFLite import of the ML-zoo models", Shared.needsModels)
struct TFLiteMLZooImportTests {
    @Test("every ML-zoo file imports into one stage with a 'final' exit and validates", arguments: Shared.allModels)
    func importsAndValidates(_ rel: String) throws {
        let m = try importShared(rel)
        try m.graph.validate()
        #expect(m.graph.stages.count == 1)
        let exit = try #require(m.graph.stages[0].exit)
        #expect(exit.name == "final")
        #expect(exit.nodes.isEmpty)
        #expect(exit.output == m.graph.stages[0].nodes.last?.output)
        #expect(m.metadata["source"] == Shared.path(rel))
        #expect(m.metadata["importer"] == TFLiteImporter.importerID)
        // The SHA-256 recorded in PROVENANCE.md / SHA256SUMS.
        let sums = try String(decoding: Shared.bytes("SHA256SUMS"), as: UTF8.self)
        let line = try #require(sums.split(separator: "\n").first { $0.hasSuffix(rel) })
        #expect(m.metadata["source_sha256"] == String(line.prefix(64)))
    }

    @Test("DS-CNN-S fp32: op sequence, shapes, attributes, parameters and MACs")
    func dsCnnSmallFp32() throws {
        let model = try importShared(Shared.dsCnnSFp32)
        let g = model.graph
        #expect(kinds(g) == dsCnnKinds)
        let ops = try TFLiteImporter.operatorNames(bytes: Shared.bytes(Shared.dsCnnSFp32), name: "ds_cnn_s.tflite")
        #expect(ops == ["RESHAPE", "CONV_2D"] + Array(repeating: ["DEPTHWISE_CONV_2D", "CONV_2D"], count: 4).flatMap { $0 }
                + ["AVERAGE_POOL_2D", "RESHAPE", "FULLY_CONNECTED", "SOFTMAX"])
        #expect(model.metadata["tflite_operators"] == ops.joined(separator: ","))
        #expect(model.metadata["tflite_input"] == "input" && model.metadata["tflite_output"] == "Identity")
        let nodes = g.stages[0].nodes
        #expect(g.values[g.input].shape == [1, 490])
        #expect(g.values[g.input].dtype == .float32)
        #expect(g.values[nodes[0].output].shape == [1, 49, 10, 1])
        // Stem: CONV_2D 10x4, stride 2, SAME, ReLU.
        guard case .conv2d(let stem) = nodes[1].op else { Issue.record("node 1 is \(nodes[1].op)"); return }
        #expect(stem.stride == Size2D(2, 2))
        #expect(stem.activation == .relu)
        #expect(stem.padding == Padding.same(inputHW: (49, 10), kernelHW: (10, 4), strideHW: (2, 2)))
        #expect(stem.padding == Padding(top: 4, bottom: 5, left: 1, right: 1))
        #expect(g.values[nodes[1].inputs[1]].shape == [10, 4, 1, 64])
        #expect(g.values[nodes[1].output].shape == [1, 25, 5, 64])
        // Depthwise 3x3 SAME ReLU, pointwise 1x1 VALID ReLU.
        for k in 0..<4 {
            guard case .depthwiseConv2d(let dw) = nodes[2 + 2 * k].op, case .conv2d(let pw) = nodes[3 + 2 * k].op else {
                Issue.record("block \(k) is not depthwise + pointwise"); continue
            }
            #expect(dw.padding == Padding(top: 1, bottom: 1, left: 1, right: 1))
            #expect(dw.stride == .one && dw.depthMultiplier == 1 && dw.activation == .relu)
            #expect(g.values[nodes[2 + 2 * k].inputs[1]].shape == [3, 3, 64])
            #expect(pw.padding == .valid && pw.activation == .relu)
            #expect(g.values[nodes[3 + 2 * k].inputs[1]].shape == [1, 1, 64, 64])
            #expect(g.values[nodes[3 + 2 * k].output].shape == [1, 25, 5, 64])
        }
        guard case .averagePool2d(let pool) = nodes[10].op else { Issue.record("node 10 is \(nodes[10].op)"); return }
        #expect(pool.window == Size2D(25, 5) && pool.padding == .valid)
        #expect(g.values[nodes[10].output].shape == [1, 1, 1, 64])
        #expect(nodes[11].op == .reshape([1, 64]))
        #expect(nodes[12].op == .dense(activation: .none))
        #expect(g.values[nodes[12].inputs[1]].shape == [64, 12])
        #expect(g.values[g.stages[0].exit!.output].shape == [1, 12])
        #expect(parameterCount(g) == 22_604)
        #expect(macs(g) == 2_656_768)  // ≈ 2.66 M
    }

    @Test("DS-CNN-S fp32: weights are the transposed original bytes (conv OHWI→HWIO, depthwise, dense)")
    func weightsAreTransposed() throws {
        let bytes = try Shared.bytes(Shared.dsCnnSFp32)
        let file = try TFLiteModelFile(bytes: bytes)
        let g = try TFLiteImporter.importModel(bytes: bytes, name: "ds_cnn_s").graph
        func raw(_ op: Int, _ input: Int) throws -> (shape: [Int], bytes: [UInt8]) {
            let t = file.tensors[file.operators[op].inputs[input]]
            return (t.shape, Array(bytes[try file.bufferRange(t.buffer)]))
        }
        // Pointwise conv of block 1 (operator #3): TFLite [Cout=64,1,1,Cin=64] → Edgewise [1,1,Cin,Cout].
        for op in [1, 3] {
            let (s, src) = try raw(op, 1)  // [O,H,W,I]
            let dst = try #require(constantBytes(g, named: "op\(op).weights"))
            #expect(dst.count == src.count)
            let (O, H, W, I) = (s[0], s[1], s[2], s[3])
            var mismatches = 0
            for o in 0..<O { for h in 0..<H { for w in 0..<W { for i in 0..<I {
                let from = (((o * H + h) * W + w) * I + i) * 4
                let to = (((h * W + w) * I + i) * O + o) * 4
                if src[from..<(from + 4)] != dst[to..<(to + 4)] { mismatches += 1 }
            } } } }
            #expect(mismatches == 0, "conv operator #\(op)")
        }
        // Depthwise (operator #2): [1,3,3,64] → [3,3,64], same bytes.
        #expect(try raw(2, 1).bytes == constantBytes(g, named: "op2.weights"))
        // Dense (operator #12): [12,64] → [64,12].
        let (fs, fsrc) = try raw(12, 1)
        let fdst = try #require(constantBytes(g, named: "op12.weights"))
        var mismatches = 0
        for o in 0..<fs[0] { for i in 0..<fs[1] {
            let from = (o * fs[1] + i) * 4, to = (i * fs[0] + o) * 4
            if fsrc[from..<(from + 4)] != fdst[to..<(to + 4)] { mismatches += 1 }
        } }
        #expect(mismatches == 0)
        // Biases are copied unchanged.
        #expect(try raw(12, 2).bytes == constantBytes(g, named: "op12.bias"))
    }

    @Test("DS-CNN-S int8: quantisation of input, output, weights (per-axis, transposed axis) and int32 biases")
    func dsCnnSmallInt8() throws {
        let g = try importShared(Shared.dsCnnSInt8).graph
        #expect(kinds(g) == dsCnnKinds)
        let input = g.values[g.input]
        #expect(input.dtype == .int8 && input.shape == [1, 490])
        #expect(input.quant == QuantParams(scale: 1.084193468, zeroPoint: 100))
        let out = g.values[g.stages[0].exit!.output]
        #expect(out.dtype == .int8 && out.shape == [1, 12])
        #expect(out.quant == QuantParams(scale: 1.0 / 256, zeroPoint: -128))
        // Every node computes int8.
        for (n, _, _) in g.nodesInExecutionOrder { #expect(g.values[n.output].dtype == .int8, "\(n.name)") }
        let nodes = g.stages[0].nodes
        let stemW = g.values[nodes[1].inputs[1]]
        #expect(stemW.dtype == .int8 && stemW.shape == [10, 4, 1, 64])
        #expect(stemW.quant?.axis == 3 && stemW.quant?.scales.count == 64)      // TFLite quantized_dimension 0 (Cout)
        #expect(stemW.quant?.zeroPoints.allSatisfy { $0 == 0 } == true)
        let stemB = g.values[nodes[1].inputs[2]]
        #expect(stemB.dtype == .int32 && stemB.shape == [64] && stemB.quant?.scales.count == 64 && stemB.quant?.axis == 0)
        let dwW = g.values[nodes[2].inputs[1]]
        #expect(dwW.dtype == .int8 && dwW.shape == [3, 3, 64])
        #expect(dwW.quant?.axis == 2 && dwW.quant?.scales.count == 64)         // TFLite quantized_dimension 3
        let fcW = g.values[nodes[12].inputs[1]]
        #expect(fcW.dtype == .int8 && fcW.shape == [64, 12])
        #expect(fcW.quant != nil)
        #expect(parameterCount(g) == 22_604)
        #expect(macs(g) == 2_656_768)
        // Per-axis scales follow the output channel: the first Cout's scale equals TFLite's first scale.
        let file = try TFLiteModelFile(bytes: Shared.bytes(Shared.dsCnnSInt8))
        let tflStem = file.tensors[file.operators[1].inputs[1]]
        #expect(tflStem.quantization?.scales == stemW.quant?.scales)
        #expect(tflStem.quantization?.quantizedDimension == 0)
    }

    @Test("DS-CNN-M fp32 and int8: op sequence, shapes, quantisation")
    func dsCnnMedium() throws {
        let f = try importShared(Shared.dsCnnMFp32).graph
        let q = try importShared(Shared.dsCnnMInt8).graph
        #expect(kinds(f) == dsCnnKinds)
        #expect(kinds(q) == dsCnnKinds)
        #expect(f.values[f.stages[0].nodes[1].inputs[1]].shape == [10, 4, 1, 172])
        #expect(f.values[f.stages[0].nodes[1].output].shape == [1, 25, 10, 172])  // stem 10x4, stride (2, 1); the first depthwise block strides 2
        #expect(f.values[f.stages[0].nodes[10].output].shape == [1, 1, 1, 172])
        #expect(parameterCount(f) == parameterCount(q))
        #expect(macs(f) == macs(q))
        #expect(parameterCount(f) == 135_032)
        #expect(macs(f) == 9_816_384)
        let input = q.values[q.input]
        #expect(input.dtype == .int8 && input.quant == QuantParams(scale: 1.086779356, zeroPoint: 99))
        #expect(q.values[q.stages[0].exit!.output].quant == QuantParams(scale: 1.0 / 256, zeroPoint: -128))
    }

    @Test("DS-CNN-L int8 (2020): float I/O around QUANTIZE … DEQUANTIZE")
    func dsCnnLarge() throws {
        let g = try importShared(Shared.dsCnnLInt8).graph
        let k = kinds(g)
        #expect(k.first == "quantize" && k.last == "dequantize")
        #expect(k.filter { $0 == "conv2d" }.count == 6 && k.filter { $0 == "depthwise_conv2d" }.count == 5)
        #expect(g.values[g.input].dtype == .float32 && g.values[g.input].shape == [1, 490])
        let out = g.values[g.stages[0].exit!.output]
        #expect(out.dtype == .float32 && out.shape == [1, 12])
        #expect(parameterCount(g) == 410_700)
        #expect(macs(g) == 28_327_812)
        let quantized = g.values[g.stages[0].nodes[0].output]
        #expect(quantized.dtype == .int8 && quantized.quant != nil)
    }

    @Test("MobileNetV2 int8: ops, residual ADDs, shapes, input and output quantisation")
    func mobileNetV2() throws {
        let g = try importShared(Shared.mobileNetV2).graph
        let k = kinds(g)
        #expect(k.filter { $0 == "conv2d" }.count == 36)
        #expect(k.filter { $0 == "depthwise_conv2d" }.count == 17)
        #expect(k.filter { $0 == "add" }.count == 10)
        #expect(Array(k.suffix(4)) == ["average_pool2d", "conv2d", "reshape", "softmax"])
        let input = g.values[g.input]
        #expect(input.dtype == .int8 && input.shape == [1, 224, 224, 3])
        #expect(input.quant?.zeroPoints == [-1])
        #expect(abs((input.quant?.scales[0] ?? 0) - 1 / 127.5) < 1e-7)
        let out = g.values[g.stages[0].exit!.output]
        #expect(out.shape == [1, 1001] && out.quant == QuantParams(scale: 1.0 / 256, zeroPoint: -128))
        // Stem conv: 3x3 stride 2 SAME on 224x224 → 112x112x32.
        let stem = g.stages[0].nodes[0]
        guard case .conv2d(let a) = stem.op else { Issue.record("first node is \(stem.op)"); return }
        #expect(a.stride == Size2D(2, 2) && a.activation == .relu6)
        #expect(a.padding == Padding(top: 0, bottom: 1, left: 0, right: 1))
        #expect(g.values[stem.output].shape == [1, 112, 112, 32])
        #expect(g.values[stem.inputs[1]].quant?.axis == 3)
        // 3.49 M parameters and 300.8 M MACs (MobileNetV2 1.0/224 is published as 3.4 M / 300 M).
        #expect(parameterCount(g) == 3_489_097)
        #expect(macs(g) == 300_775_552)
    }

    @Test("import time of each ML-zoo file is reported")
    func importTimes() throws {
        let clock = ContinuousClock()
        for rel in Shared.allModels {
            let bytes = try Shared.bytes(rel)
            let t = clock.measure { _ = try? TFLiteImporter.importModel(bytes: bytes, name: rel) }
            print("import \(rel.split(separator: "/").last!): \(bytes.count) bytes in \(t)")
        }
    }
}
