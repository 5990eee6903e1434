import EdgewiseArchitectures
import EdgewiseTesting
import CMallocCounter
import Testing
@testable import EdgewiseCore

@Suite struct ExecutorTests {
    static let features: [Float] = {
        var rng = SeededGenerator(seed: 7)
        return rng.uniform(count: 490, -30...10)
    }()

    @Test(arguments: optimisedISAs)
    func optimisedKernelsMatchReferenceOnDSCNN(isa: KernelISA) throws {
        let g = try DSCNN.build(.small)
        let ref = try runAllExits(g, Self.features, isa: .reference)
        let opt = try runAllExits(g, Self.features, isa: isa)
        #expect(ref.count == opt.count && zip(ref, opt).allSatisfy { $0.count == $1.count }, "\(isa): output lengths differ")
        for (r, o) in zip(ref, opt) { #expect(maxAbsDiff(r, o) < 1e-5) }
        // Probabilities: each exit sums to 1.
        for r in ref { #expect(abs(r.reduce(0, +) - 1) < 1e-5) }
    }

    /// A graph exercising every float operator, run by the reference and every optimised family.
    /// The comparison can fail only where the families run different code: convolutions, depthwise,
    /// dense, matmul and attention's projections and scores (the C GEMM/conv tables), max/average/global
    /// pooling (C pool table), batch norm (scale-shift), add with a clamp and concat (ChannelLastKernels).
    /// Standalone activations, softmax, layer norm, add without a clamp and attention's softmax run the
    /// Swift reference on every ISA (README "Optimised kernels"): for them this only checks the wiring,
    /// and their own tests are the reference-kernel tests, not this comparison.
    static func everyOperatorGraph(seed: UInt64) throws -> Graph {
        var rng = SeededGenerator(seed: seed)
        var b = GraphBuilder()
        let x = b.input("x", shape: [1, 9, 7, 3])
        var h = try b.conv2d(x, weights: rng.uniform(count: 3 * 2 * 3 * 8), shape: [3, 2, 3, 8], bias: rng.uniform(count: 8),
                             .init(stride: .init(2, 1), dilation: .init(1, 2), padding: .init(top: 1, bottom: 2, left: 0, right: 1), activation: .relu6), name: "c1")
        let d = try b.depthwiseConv2d(h, weights: rng.uniform(count: 9 * 16), shape: [3, 3, 16], bias: rng.uniform(count: 16),
                                      .init(padding: .same(inputHW: (5, 6), kernelHW: (3, 3), strideHW: (1, 1)), activation: .hardSwish, depthMultiplier: 2), name: "dw")
        let p = try b.conv2d(d, weights: rng.uniform(count: 16 * 8), shape: [1, 1, 16, 8], .init(activation: .gelu), name: "pw")
        h = try b.node(.add(activation: .relu), h, p)
        let mp = try b.node(.maxPool2d(.init(window: .init(2, 2), stride: .init(1, 1), padding: .init(bottom: 1, right: 1))), h)
        let ap = try b.node(.averagePool2d(.init(window: .init(3, 3), stride: .init(2, 2), padding: .init(top: 1, bottom: 1, left: 1, right: 1))), h)
        try b.exitHead("early") { b in
            let g = try b.node(.globalAveragePool, ap)
            let l = try b.dense(g, weights: rng.uniform(count: 8 * 4), outputs: 4, bias: rng.uniform(count: 4), activation: .sigmoid, name: "e.fc")
            return try b.node(.softmax, l)
        }
        b.endStage("stem")
        let cat = try b.node(.concat(axis: -1), mp, h)                       // [1,5,6,16]
        let seq = try b.node(.reshape([1, 30, 16]), cat)                    // tokens
        let ln = try b.node(.layerNorm(epsilon: 1e-5), inputs: [seq, b.constant("g", shape: [16], floats: rng.uniform(count: 16, 0.5...1.5)),
                                                                 b.constant("be", shape: [16], floats: rng.uniform(count: 16))])
        var att = [ln]
        for i in 0..<4 { att.append(b.constant("w\(i)", shape: [16, 16], floats: rng.uniform(count: 256, -0.3...0.3))) }
        for i in 0..<4 { att.append(b.constant("b\(i)", shape: [16], floats: rng.uniform(count: 16))) }
        let a = try b.node(.multiHeadSelfAttention(heads: 4), inputs: att)
        let mm = try b.node(.matmul(transposeB: false), inputs: [a, b.constant("m", shape: [1, 16, 5], floats: rng.uniform(count: 80))])
        let mt = try b.node(.matmul(transposeB: true), inputs: [mm, b.constant("mt", shape: [1, 6, 5], floats: rng.uniform(count: 30))])
        let s = try b.node(.activation(.sigmoid), mt)
        try b.exitHead("final") { b in
            let f = try b.node(.reshape([1, 180]), s)
            return try b.node(.softmax, try b.dense(f, weights: rng.uniform(count: 180 * 3, -0.2...0.2), outputs: 3, name: "f.fc"))
        }
        b.endStage("body")
        return try b.build()
    }

    @Test(arguments: [1, 2, 3] as [UInt64])
    func everyOperatorMatchesReference(seed: UInt64) throws {
        let g = try Self.everyOperatorGraph(seed: seed)
        var rng = SeededGenerator(seed: seed + 100)
        let input = rng.uniform(count: 9 * 7 * 3)
        let ref = try runAllExits(g, input, isa: .reference)
        for isa in optimisedISAs {
            let opt = try runAllExits(g, input, isa: isa)
            #expect(ref.count == opt.count && zip(ref, opt).allSatisfy { $0.count == $1.count }, "\(isa): output lengths differ")
            for (r, o) in zip(ref, opt) { #expect(maxAbsDiff(r, o) < 1e-4, "\(isa)") }
        }
        #expect(ref[1].count == 3 && abs(ref[1].reduce(0, +) - 1) < 1e-5)
    }

    /// Pooling kernels (the C table's, every ISA) vs the reference over random windows, strides, paddings
    /// and channel counts that are not multiples of the vector width, 2-D and 1-D, max, average and global.
    @Test(arguments: 0..<24)
    func poolingMatchesReference(seed: Int) throws {
        var rng = SeededGenerator(seed: UInt64(1000 + seed))
        let oneD = seed % 4 == 3
        let c = Int.random(in: 1...37, using: &rng), h = oneD ? 1 : Int.random(in: 1...9, using: &rng), w = Int.random(in: 1...11, using: &rng)
        let wh = oneD ? 1 : Int.random(in: 1...min(4, h + 1), using: &rng), ww = Int.random(in: 1...min(4, w + 1), using: &rng)
        let pad = Padding(top: oneD ? 0 : Int.random(in: 0..<wh, using: &rng), bottom: oneD ? 0 : Int.random(in: 0..<wh, using: &rng),
                          left: Int.random(in: 0..<ww, using: &rng), right: Int.random(in: 0..<ww, using: &rng))
        guard h + pad.top + pad.bottom >= wh, w + pad.left + pad.right >= ww else { return }
        let attrs = PoolAttributes(window: Size2D(wh, ww), stride: Size2D(Int.random(in: 1...3, using: &rng), Int.random(in: 1...3, using: &rng)), padding: pad)
        let shape: Shape = oneD ? [2, w, c] : [2, h, w, c]
        for op in [Operator.maxPool2d(attrs), .averagePool2d(attrs), .globalAveragePool] {
            var b = GraphBuilder()
            let x = b.input("x", shape: shape)
            try b.exitHead("final") { b in try b.node(op, x) }
            b.endStage("only")
            let g = try b.build()
            let input = rng.uniform(count: shape.elementCount)
            let ref = try runAllExits(g, input, isa: .reference)
            for isa in optimisedISAs {
                #expect(maxAbsDiff(ref[0], try runAllExits(g, input, isa: isa)[0]) < 1e-5, "\(op.kindName) \(isa) \(shape) \(attrs)")
            }
        }
    }

    @Test func stoppingAtAnExitSkipsEverythingAfterIt() throws {
        let e = try Executor(graph: try DSCNN.build(.small))
        _ = e.input.update(fromContentsOf: Self.features)
        let early = e.run { _ in .stop }
        #expect(early.name == "early" && !early.isFinal)
        #expect(early.cumulativeMACs == 320_000 + 72_000 + 512_000 + 768)
        let executed = e.lastRunStepCount
        let final = e.run { _ in .continue }
        #expect(final.isFinal && final.name == "final")
        #expect(executed < e.lastRunStepCount)
        // The early exit computed only the stem and its head: conv0, block1 dw+pw, pool, fc, softmax.
        #expect(executed == 6)
    }

    @Test func foldedBatchNormsGiveTheSameOutputs() throws {
        var c = DSCNN.Config.small
        c.batchNorm = true
        let g = try DSCNN.build(c)
        let unfolded = try runAllExits(g, Self.features, isa: .reference, finalize: false)
        let folded = try runAllExits(g, Self.features, isa: .reference, finalize: true)
        for (u, f) in zip(unfolded, folded) { #expect(maxAbsDiff(u, f) < 1e-5) }
        // Unfolded batch norms on the optimised path (precomputed scale and shift).
        for isa in optimisedISAs {
            let opt = try runAllExits(g, Self.features, isa: isa, finalize: false)
            for (u, o) in zip(unfolded, opt) { #expect(maxAbsDiff(u, o) < 1e-5, "\(isa)") }
        }
    }

    /// 1-D signals run as NWC end to end: strided, dilated and padded conv, depthwise, pooling, exits.
    @Test func oneDimensionalSignalGraph() throws {
        var rng = SeededGenerator(seed: 11)
        var b = GraphBuilder()
        let x = b.input("ecg", shape: [1, 360, 2])
        var h = try b.conv2d(x, weights: rng.uniform(count: 7 * 2 * 16), shape: [1, 7, 2, 16], bias: rng.uniform(count: 16),
                             .init(stride: .init(1, 2), dilation: .init(1, 2), padding: .init(left: 6, right: 5), activation: .relu), name: "c")
        h = try b.depthwiseConv2d(h, weights: rng.uniform(count: 5 * 16), shape: [1, 5, 16],
                                  .init(padding: .init(left: 2, right: 2), activation: .relu6), name: "dw")
        try b.exitHead("early") { b in try b.node(.softmax, try b.dense(try b.node(.globalAveragePool, h), weights: rng.uniform(count: 16 * 5), outputs: 5, name: "e")) }
        b.endStage("stem")
        h = try b.node(.maxPool2d(.init(window: .init(1, 3), stride: .init(1, 3))), h)
        try b.exitHead("final") { b in try b.node(.softmax, try b.dense(try b.node(.globalAveragePool, h), weights: rng.uniform(count: 16 * 5), outputs: 5, name: "f")) }
        b.endStage("body")
        let g = try b.build()
        #expect(g.values[g.stages[0].nodes[0].output].shape == [1, 180, 16])
        let input = rng.uniform(count: 720)
        let ref = try runAllExits(g, input, isa: .reference)
        for isa in optimisedISAs {
            for (r, o) in zip(ref, try runAllExits(g, input, isa: isa)) { #expect(maxAbsDiff(r, o) < 1e-5, "\(isa)") }
        }
    }

    @Test func threadsGiveTheSameOutputs() throws {
        let g = try DSCNN.build(.small)
        let one = try runAllExits(g, Self.features, isa: .best, threads: 1)
        let two = try runAllExits(g, Self.features, isa: .best, threads: 2)
        for (a, b) in zip(one, two) { #expect(maxAbsDiff(a, b) < 1e-6) }
    }

    /// Debug builds call unspecialised generic code that allocates; the claim is about release builds,
    /// which `make test` uses.
    @Test(.enabled(if: isReleaseBuild, "zero-allocation inference is a release-build property; run swift test -c release"),
          arguments: KernelISA.allCases.filter(\.isAvailable))
    func steadyStateInferenceAllocatesNothing(isa: KernelISA) throws {
        let e = try Executor(graph: try DSCNN.build(.small), options: .init(isa: isa))
        _ = e.input.update(fromContentsOf: Self.features)
        e.runToEnd()  // warm-up
        ew_malloc_counter_start()
        for i in 0..<50 { e.run { $0.values[0] > 2 || i < 0 ? .stop : .continue } }
        let mallocs = ew_malloc_counter_stop()
        #expect(mallocs == 0, "\(mallocs) heap allocations in 50 inferences with \(isa)")
    }

    @Test func mallocCounterCountsAllocations() {
        // The zero-allocation test above is only meaningful if the counter sees allocations.
        ew_malloc_counter_start()
        let a = [Int](repeating: 1, count: Int.random(in: 100...200))
        let n = ew_malloc_counter_stop()
        #expect(a.count >= 100 && n >= 1)
    }

    @Test func oversizedArenaIsRefusedAtLoad() throws {
        let g = try DSCNN.build(.small)
        let error = #expect(throws: ExecutorError.self) {
            try Executor(graph: g, options: .init(isa: .reference, maxArenaBytes: 4096))
        }
        guard case .arenaTooLarge(let bytes, let limit)? = error else { Issue.record("expected arenaTooLarge, got \(String(describing: error))"); return }
        #expect(limit == 4096)
        // Independent of the planner: DS-CNN-S is a chain whose largest step reads and writes [1,25,5,64]
        // floats (the depthwise and pointwise layers), so both must be live at once: 2 × 25·5·64 × 4 B =
        // 64000 bytes is a lower bound on any arena, and an optimal chain plan needs no more than that
        // plus alignment (64 B per buffer). The same bound, computed from the graph's shapes:
        let lower = Self.largestStepBytes(g)
        #expect(lower == 64_000)
        #expect(bytes >= lower && bytes <= lower + 2 * 64, "arena \(bytes) B, lower bound \(lower) B")
    }

    /// The largest, over nodes, of the bytes of the node's non-constant inputs plus its output: all of
    /// them are live while it runs, so no arena can be smaller.
    static func largestStepBytes(_ g: Graph) -> Int {
        g.nodesInExecutionOrder.map { n, _, _ in
            (n.inputs.filter { g.constants[$0] == nil && $0 != n.output } + [n.output]).reduce(0) { $0 + g.values[$1].shape.elementCount * 4 }
        }.max() ?? 0
    }

    @Test func wrongInputSizeAndUnknownISAAreErrors() throws {
        let e = try Executor(graph: try DSCNN.build(.small))
        #expect(throws: ExecutorError.inputSize(expected: 490, got: 3)) { try e.predict([1, 2, 3]) }
        #expect(throws: ExecutorError.unknownISA("sse9")) { try KernelISA.resolve("sse9") }
    }
}
