import EdgewiseArchitectures
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
