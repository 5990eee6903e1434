import EdgewiseCore
import EdgewiseTesting
import Foundation
import Testing
@testable import EdgewiseInterop

/// The TFLite seed corpus committed in `Fuzz/corpus/tflite/` so that CI's short fuzz runs start from
/// models that import, validate and run (reaching past the FlatBuffer header) without ../shared. The
/// seeds are written with ``TinyTFLite``; this test checks each one imports, validates and runs through
/// every exit, and that the committed files are exactly these bytes. `Scripts/make-fuzz-seeds.sh`
/// rewrites them (it runs this test with `EDGEWISE_WRITE_FUZZ_SEEDS=1`).
@Suite("Fuzz seed corpus (TFLite)")
struct FuzzSeedCorpusTests {
    typealias Code = TFLSchema.BuiltinOperator
    typealias Opt = TFLSchema.BuiltinOptionsType

    static func floats(_ n: Int, _ seed: UInt64) -> [Float] {
        var rng = SeededGenerator(seed: seed)
        return (0..<n).map { _ in Float.random(in: -0.5...0.5, using: &rng) }
    }

    /// A DS-CNN in miniature: conv (SAME, stride 2, ReLU) → depthwise (ReLU6) → pointwise → average pool →
    /// reshape → fully connected → softmax.
    static var dscnn: TinyTFLite {
        var m = TinyTFLite()
        let x = m.tensor("x", [1, 10, 4, 1])
        let w1 = m.tensor("conv.w", [8, 3, 3, 1], buffer: m.addFloatBuffer(floats(72, 1)))
        let b1 = m.tensor("conv.b", [8], buffer: m.addFloatBuffer(floats(8, 2)))
        let c1 = m.tensor("conv", [1, 5, 2, 8])
        m.op(Code.conv2d, [x, w1, b1], [c1], optionsType: Opt.conv2d, options: [
            TFLSchema.Conv2DOptions.padding: .i8(TFLSchema.Padding.same), TFLSchema.Conv2DOptions.strideW: .i32(2),
            TFLSchema.Conv2DOptions.strideH: .i32(2), TFLSchema.Conv2DOptions.activation: .i8(1)])
        let wd = m.tensor("dw.w", [1, 3, 3, 8], buffer: m.addFloatBuffer(floats(72, 3)))
        let bd = m.tensor("dw.b", [8], buffer: m.addFloatBuffer(floats(8, 4)))
        let d = m.tensor("dw", [1, 5, 2, 8])
        m.op(Code.depthwiseConv2d, [c1, wd, bd], [d], optionsType: Opt.depthwiseConv2d, options: [
            TFLSchema.DepthwiseConv2DOptions.padding: .i8(TFLSchema.Padding.same), TFLSchema.DepthwiseConv2DOptions.strideW: .i32(1),
            TFLSchema.DepthwiseConv2DOptions.strideH: .i32(1), TFLSchema.DepthwiseConv2DOptions.depthMultiplier: .i32(1),
            TFLSchema.DepthwiseConv2DOptions.activation: .i8(3)])
        let wp = m.tensor("pw.w", [8, 1, 1, 8], buffer: m.addFloatBuffer(floats(64, 5)))
        let p = m.tensor("pw", [1, 5, 2, 8])
        m.op(Code.conv2d, [d, wp, -1], [p], optionsType: Opt.conv2d, options: [
            TFLSchema.Conv2DOptions.padding: .i8(TFLSchema.Padding.valid), TFLSchema.Conv2DOptions.strideW: .i32(1),
            TFLSchema.Conv2DOptions.strideH: .i32(1)])
        let a = m.tensor("pool", [1, 1, 1, 8])
        m.op(Code.averagePool2d, [p], [a], optionsType: Opt.pool2d, options: [
            TFLSchema.Pool2DOptions.padding: .i8(TFLSchema.Padding.valid), TFLSchema.Pool2DOptions.strideW: .i32(1),
            TFLSchema.Pool2DOptions.strideH: .i32(1), TFLSchema.Pool2DOptions.filterW: .i32(2), TFLSchema.Pool2DOptions.filterH: .i32(5)])
        let r = m.tensor("flat", [1, 8])
        m.op(Code.reshape, [a], [r], optionsType: Opt.reshape, options: [TFLSchema.ReshapeOptions.newShape: .ints([1, 8])])
        let wf = m.tensor("fc.w", [4, 8], buffer: m.addFloatBuffer(floats(32, 6)))
        let bf = m.tensor("fc.b", [4], buffer: m.addFloatBuffer(floats(4, 7)))
        let y = m.tensor("logits", [1, 4])
        m.op(Code.fullyConnected, [r, wf, bf], [y], optionsType: Opt.fullyConnected, options: [:])
        let s = m.tensor("probs", [1, 4])
        m.op(Code.softmax, [y], [s], optionsType: Opt.softmax, options: [TFLSchema.SoftmaxOptions.beta: .f32(1)])
        m.inputs = [x]; m.outputs = [s]
        return m
    }

    /// Max pool (fused ReLU6) → concatenation → mean over H, W → fully connected (ReLU) → add → hard-swish → logistic.
    static var poolConcatMean: TinyTFLite {
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
        let w = m.tensor("w", [3, 4], buffer: m.addFloatBuffer(floats(12, 8)))
        let bias = m.tensor("b", [3], buffer: m.addFloatBuffer([1, 2, 3]))
        let y = m.tensor("y", [1, 3])
        m.op(Code.fullyConnected, [mean, w, bias], [y], optionsType: Opt.fullyConnected, options: [TFLSchema.FullyConnectedOptions.activation: .i8(1)])
        let sum = m.tensor("sum", [1, 3])
        m.op(Code.add, [y, y], [sum], optionsType: Opt.add, options: [:])
        let h = m.tensor("hs", [1, 3])
        m.op(Code.hardSwish, [sum], [h])
        let s = m.tensor("sig", [1, 3])
        m.op(Code.logistic, [h], [s])
        m.inputs = [x]; m.outputs = [s]
        return m
    }

    static func seed(_ name: String) -> TinyTFLite? {
        switch name {
        case "dscnn-tiny.tflite": dscnn
        case "pool-concat-mean.tflite": poolConcatMean
        default: nil
        }
    }
    static let corpus = SharedData.packageRoot.appendingPathComponent("Fuzz/corpus/tflite").path

    @Test(arguments: ["dscnn-tiny.tflite", "pool-concat-mean.tflite"])
    func seedImportsRunsAndIsCommitted(_ name: String) throws {
        let bytes = try #require(Self.seed(name)).bytes()
        let graph = try TFLiteImporter.importModel(bytes: bytes, name: name).graph
        try graph.validate()
        let executor = try Executor(graph: graph)
        let out = executor.runToEnd()
        #expect(out.isFinal && out.values.allSatisfy { $0.isFinite })
        let path = Self.corpus + "/" + name
        if ProcessInfo.processInfo.environment["EDGEWISE_WRITE_FUZZ_SEEDS"] == "1" {
            try FileManager.default.createDirectory(atPath: Self.corpus, withIntermediateDirectories: true)
            try Data(bytes).write(to: URL(fileURLWithPath: path))
        }
        let committed = FileManager.default.contents(atPath: path).map { [UInt8]($0) }
        #expect(committed == bytes, "\(path) is missing or stale: run Scripts/make-fuzz-seeds.sh")
    }
}
