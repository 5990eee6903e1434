import Testing
import EdgewiseCore
@testable import EdgewiseInterop

/// PAD, PADV2 and MEAN over the last axis, imported from small models written with ``TinyTFLite``.
@Suite("TFLite import of PAD, PADV2 and channel MEAN")
struct TFLitePadMeanTests {
    typealias Code = TFLSchema.BuiltinOperator
    typealias Opt = TFLSchema.BuiltinOptionsType

    static func int32Bytes(_ v: [Int32]) -> [UInt8] { v.flatMap { withUnsafeBytes(of: $0.littleEndian, Array.init) } }

    @Test func padThenChannelMean() throws {
        var m = TinyTFLite()
        let x = m.tensor("x", [1, 3, 2, 4])
        let paddings = m.tensor("paddings", [4, 2], type: 2, buffer: m.addBuffer(Self.int32Bytes([0, 0, 1, 2, 0, 1, 0, 0])))
        let p = m.tensor("pad", [1, 6, 3, 4])
        m.op(Code.pad, [x, paddings], [p])
        let axes = m.tensor("axes", [1], type: 2, buffer: m.addBuffer(Self.int32Bytes([-1])))
        let y = m.tensor("mean", [1, 6, 3, 1])
        m.op(Code.mean, [p, axes], [y], optionsType: Opt.reducer, options: [TFLSchema.ReducerOptions.keepDims: .bool(true)])
        m.inputs = [x]; m.outputs = [y]
        let g = try TFLiteImporter.importModel(bytes: m.bytes(), name: "pad.tflite").graph
        #expect(kinds(g) == ["pad", "channel_mean"])
        #expect(g.stages[0].nodes[0].op == .pad(PadAttributes(before: [0, 1, 0, 0], after: [0, 2, 1, 0], value: 0)))
        #expect(g.stages[0].nodes[1].op == .channelMean(keepDims: true))
        // It runs: the padded rows are all zero, so their means are zero.
        let e = try Executor(graph: g)
        let out = try e.predict((0..<24).map { Float($0 + 1) })
        #expect(out.count == 18 && out[0...2] == [0, 0, 0] && out[3] == 2.5)
    }

    @Test func padV2TakesItsConstant() throws {
        var m = TinyTFLite()
        let x = m.tensor("x", [1, 2])
        let paddings = m.tensor("paddings", [2, 2], type: 2, buffer: m.addBuffer(Self.int32Bytes([0, 0, 1, 1])))
        let c = m.tensor("c", [], buffer: m.addFloatBuffer([7]))
        let y = m.tensor("y", [1, 4])
        m.op(Code.padV2, [x, paddings, c], [y])
        m.inputs = [x]; m.outputs = [y]
        let g = try TFLiteImporter.importModel(bytes: m.bytes(), name: "padv2.tflite").graph
        #expect(try Executor(graph: g).predict([1, 2]) == [7, 1, 2, 7])
    }

    @Test func badPaddingsAreErrorsNamingTheFile() throws {
        var m = TinyTFLite()
        let x = m.tensor("x", [1, 2])
        let paddings = m.tensor("paddings", [2, 2], type: 2, buffer: m.addBuffer(Self.int32Bytes([0, 0, -1, 1])))
        let y = m.tensor("y", [1, 2])
        m.op(Code.pad, [x, paddings], [y])
        m.inputs = [x]; m.outputs = [y]
        #expect { try TFLiteImporter.importModel(bytes: m.bytes(), name: "badpad.tflite") } throws: { "\($0)".contains("badpad.tflite") }
    }

    @Test("a .tflite with input [1,0] is refused at import (it crashed bench before)")
    func zeroSizeInput() throws {
        var m = TinyTFLite()
        let x = m.tensor("x", [1, 0])
        let y = m.tensor("y", [1, 0])
        m.op(Code.softmax, [x], [y], optionsType: Opt.softmax, options: [TFLSchema.SoftmaxOptions.beta: .f32(1)])
        m.inputs = [x]; m.outputs = [y]
        #expect(throws: (any Error).self) { try TFLiteImporter.importModel(bytes: m.bytes(), name: "empty.tflite") }
    }
}
