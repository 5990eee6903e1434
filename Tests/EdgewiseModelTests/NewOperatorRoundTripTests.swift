import Testing
import EdgewiseCore
@testable import EdgewiseModel

/// The operators added through the one-file-per-operator route survive the model file, and their
/// integer attributes go through the file's range check.
@Suite struct NewOperatorRoundTripTests {
    func model(_ pad: PadAttributes) throws -> Model {
        var b = GraphBuilder()
        let x = b.input("x", shape: [1, 4, 3, 2])
        let p = try b.node(.pad(pad), x, name: "pad")
        try b.exitHead("final") { b in try b.node(.softmax, try b.node(.channelMean(keepDims: false), p, name: "mean")) }
        b.endStage("main")
        return Model(graph: try b.build(), labels: [], inputSpec: InputSpec(preprocessing: "none", parameters: [:]), exitCalibration: [:], metadata: [:])
    }

    @Test func padAndChannelMeanRoundTrip() throws {
        let m = try model(PadAttributes(before: [0, 1, 0, 0], after: [0, 2, 1, 3], value: -1.5))
        let back = try ModelFile.decode(try ModelFile.encode(m), name: "pad-mean.edgewise")
        expectSameModel(m, back)
        #expect(back.graph.stages[0].exit!.nodes.map(\.op.kindName) == ["channel_mean", "softmax"])
        #expect(back.graph.stages[0].nodes[0].op == .pad(PadAttributes(before: [0, 1, 0, 0], after: [0, 2, 1, 3], value: -1.5)))
    }

    @Test func padAmountsAreRangeChecked() throws {
        #expect(StructureCodec.integers(of: .pad(PadAttributes(before: [1, 2], after: [3, 4]))) == [1, 2, 3, 4])
        #expect(StructureCodec.integers(of: .channelMean(keepDims: true)) == [])
    }
}
