import EdgewiseArchitectures
import Foundation
import Testing
@testable import EdgewiseCore

@Suite struct GraphTests {
    @Test func dscnnSmallHasTheMLZooShapeAndMACs() throws {
        let g = try DSCNN.build(.small)
        // ML-zoo DS-CNN-S: conv 320,000 + depthwise 288,000 + pointwise 2,048,000 + fc 768 MACs.
        // This graph has one more FC (the early exit's), so 768 more.
        #expect(g.totalMACs == 320_000 + 288_000 + 2_048_000 + 768 * 2)
        #expect(g.exits.map(\.head.name) == ["early", "final"])
        #expect(g.cumulativeMACsPerExit[0].macs == 320_000 + 72_000 + 512_000 + 768)
        #expect(g.values[g.exits[1].head.output].shape == [1, 12])
    }

    @Test func sameAndValidPaddingFollowTensorFlow() {
        // 49 rows, kernel 10, stride 2 → 25 rows, total padding 9 (4 before, 5 after).
        let p = Padding.same(input: 49, kernel: 10, stride: 2, dilation: 1)
        #expect(p.before == 4 && p.after == 5)
        let q = Padding.same(input: 10, kernel: 4, stride: 2, dilation: 1)
        #expect(q.before == 1 && q.after == 1)
    }

    @Test func shapeErrorsNameTheNode() throws {
        var b = GraphBuilder()
        let x = b.input("x", shape: [1, 8, 8, 3])
        #expect {
            try b.conv2d(x, weights: [Float](repeating: 0, count: 3 * 3 * 4 * 2), shape: [3, 3, 4, 2], name: "badconv")
        } throws: { e in
            String(describing: e).contains("badconv") && String(describing: e).contains("4 input channels")
        }
    }

    @Test func validationRejectsBrokenGraphs() throws {
        var g = try DSCNN.build(.small)
        // Declared output shape that the operator does not produce.
        var bad = g
        let out = bad.stages[0].nodes[0].output
        bad.values[out].shape = [1, 24, 5, 64]
        #expect(throws: GraphError.self) { try bad.validate() }
        // A trunk node reading a value only an exit head writes: stopping at the exit would break it.
        bad = g
        let headValue = bad.stages[0].exit!.nodes[0].output
        bad.stages[1].nodes[0].inputs[0] = headValue
        #expect(throws: GraphError.self) { try bad.validate() }
        // A constant whose bytes do not match its shape.
        bad = g
        let w = bad.stages[0].nodes[0].inputs[1]
        bad.constants[w] = TensorData(copying: [Float](repeating: 0, count: 3))
        #expect(throws: GraphError.constantSizeMismatch(value: bad.values[w].name, expectedBytes: 10 * 4 * 64 * 4, gotBytes: 12)) { try bad.validate() }
        // No final exit.
        g.stages[1].exit = nil
        #expect(throws: GraphError.noFinalExit) { try g.validate() }
    }

    @Test func foldingRemovesEveryBatchNorm() throws {
        var c = DSCNN.Config.small
        c.batchNorm = true
        let g = try DSCNN.build(c)
        let f = g.finalized()
        #expect(g.nodesInExecutionOrder.contains { if case .batchNorm = $0.node.op { return true }; return false })
        #expect(!f.nodesInExecutionOrder.contains { if case .batchNorm = $0.node.op { return true }; return false })
        // The ReLUs after the folded batch norms are fused into the convolutions too.
        #expect(!f.nodesInExecutionOrder.contains { if case .activation = $0.node.op { return true }; return false })
        try f.validate()
    }
}

@Suite struct GraphHardeningTests {
    /// Attributes read from files can be hostile: validation throws instead of trapping on overflow.
    @Test func hugeAttributesThrowInsteadOfTrapping() throws {
        var g = try DSCNN.build(.small)
        guard case .conv2d(var a) = g.stages[0].nodes[0].op else { Issue.record("expected conv"); return }
        a.dilation = Size2D(Int.max / 2, 1)
        g.stages[0].nodes[0].op = .conv2d(a)
        #expect(throws: GraphError.self) { try g.validate() }
        a = ConvAttributes(padding: Padding(top: Int.max, bottom: Int.max))
        g.stages[0].nodes[0].op = .conv2d(a)
        #expect(throws: GraphError.self) { try g.validate() }
        var h = try DSCNN.build(.small)
        h.values[h.input].shape = [Int.max, 2, 2, 2]
        #expect(throws: GraphError.self) { try h.validate() }
    }

    @Test func floatLayersRejectQuantisedWeights() throws {
        var g = try DSCNN.build(.small)
        let w = g.stages[0].nodes[0].inputs[1]
        g.values[w].dtype = .int8
        g.constants[w] = TensorData(copying: [Int8](repeating: 0, count: g.values[w].shape.elementCount))
        #expect { try g.validate() } throws: { String(describing: $0).contains("cannot take int8 weights") }
    }
}

/// Batch-norm folding rewrites a layer's weights and bias; it must not change what any other node computes.
@Suite struct BatchNormFoldingTests {
    static let x: [Float] = [0.5, -1.25, 2, 0.75]
    static let w: [Float] = (0..<12).map { Float($0 % 5) * 0.3 - 0.6 }

    /// Adds a batch norm over 3 channels with non-trivial parameters after `v`.
    static func batchNorm(_ b: inout GraphBuilder, _ v: ValueID, _ tag: String) throws -> ValueID {
        let gamma = b.constant("\(tag).gamma", shape: [3], floats: [1.5, -0.5, 2])
        let beta = b.constant("\(tag).beta", shape: [3], floats: [0.1, 0.2, -0.3])
        let mean = b.constant("\(tag).mean", shape: [3], floats: [0.4, -0.2, 1])
        let variance = b.constant("\(tag).var", shape: [3], floats: [0.25, 4, 1.5])
        return try b.node(.batchNorm(epsilon: 1e-3), v, gamma, beta, mean, variance)
    }

    /// The graph's output run as built (no folding, reference semantics) and as the executor runs it (folded).
    static func outputs(_ g: Graph) throws -> (unfolded: [Float], folded: [Float]) {
        let plain = try Executor(graph: g, options: .init(finalizeGraph: false))
        let folded = try Executor(graph: g)
        return (try plain.predict(x), try folded.predict(x))
    }

    static func batchNormCount(_ g: Graph) -> Int {
        g.nodesInExecutionOrder.filter { if case .batchNorm = $0.node.op { return true }; return false }.count
    }

    @Test func sharedWeightsAreNotRescaledUnderTheOtherReader() throws {
        var b = GraphBuilder()
        let input = b.input("x", shape: [1, 4])
        let weights = b.constant("shared.w", shape: [4, 3], floats: Self.w)
        let bias = b.constant("shared.b", shape: [3], floats: [0.05, -0.1, 0.2])
        // Two dense layers read the same weights and bias; only the first is followed by a batch norm.
        let d1 = try b.node(.dense(activation: .none), inputs: [input, weights, bias], name: "d1")
        let bn = try Self.batchNorm(&b, d1, "bn")
        let d2 = try b.node(.dense(activation: .none), inputs: [input, weights, bias], name: "d2")
        try b.exitHead("final") { b in try b.node(.concat(axis: 1), bn, d2) }
        b.endStage("all")
        let g = try b.build()
        let f = g.foldingBatchNorms()
        #expect(Self.batchNormCount(f) == 0, "the batch norm is still folded, into a copy of the weights")
        #expect(f.constants[weights]!.toArray(of: Float.self) == Self.w, "the shared weights were rescaled in place")
        #expect(f.constants[bias]!.toArray(of: Float.self) == [0.05, -0.1, 0.2], "the shared bias was rewritten in place")
        try f.validate()
        let (unfolded, folded) = try Self.outputs(g)
        #expect(unfolded.count == 6 && folded.count == 6)
        for i in 0..<6 { #expect(abs(unfolded[i] - folded[i]) <= 1e-5 * max(1, abs(unfolded[i])), "output \(i): \(unfolded) vs \(folded)") }
        // The second layer (d2) is exactly its unscaled self.
        let d2Expected = (0..<3).map { j in (0..<4).reduce(Float(0)) { $0 + Self.x[$1] * Self.w[$1 * 3 + j] } + [0.05, -0.1, 0.2][j] }
        for j in 0..<3 { #expect(abs(folded[3 + j] - d2Expected[j]) <= 1e-5, "d2[\(j)] = \(folded[3 + j]), expected \(d2Expected[j])") }
    }

    @Test func aBiasComputedAtRunTimeIsKept() throws {
        var b = GraphBuilder()
        let input = b.input("x", shape: [1, 4])
        let weights = b.constant("w", shape: [4, 3], floats: Self.w)
        let rawBias = b.constant("raw.b", shape: [3], floats: [0.5, -2, 1])
        let runtimeBias = try b.node(.activation(.sigmoid), rawBias, name: "bias")   // not a constant
        let d = try b.node(.dense(activation: .none), inputs: [input, weights, runtimeBias], name: "d")
        let bn = try Self.batchNorm(&b, d, "bn")
        b.exitHead("final") { _ in bn }
        b.endStage("all")
        let g = try b.build()
        let f = g.foldingBatchNorms()
        // Not folded (its bias cannot absorb the shift), so the run-time bias still feeds the layer.
        #expect(Self.batchNormCount(f) == 1)
        #expect(f.nodesInExecutionOrder.contains { $0.node.inputs.contains(runtimeBias) })
        let (unfolded, folded) = try Self.outputs(g)
        // Independent expectation: dense + sigmoid bias, then the batch norm formula.
        let gamma: [Float] = [1.5, -0.5, 2], beta: [Float] = [0.1, 0.2, -0.3], mean: [Float] = [0.4, -0.2, 1], variance: [Float] = [0.25, 4, 1.5]
        for j in 0..<3 {
            let pre = (0..<4).reduce(Float(0)) { $0 + Self.x[$1] * Self.w[$1 * 3 + j] } + 1 / (1 + exp(-[0.5, -2, 1][j]))
            let want = (pre - mean[j]) * gamma[j] / (variance[j] + 1e-3).squareRoot() + beta[j]
            #expect(abs(unfolded[j] - want) <= 1e-5 && abs(folded[j] - want) <= 1e-5, "channel \(j): \(unfolded[j]), \(folded[j]), want \(want)")
        }
    }
}
