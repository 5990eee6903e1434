import EdgewiseTesting
import CMallocCounter
import Testing
@testable import EdgewiseCore

/// PAD: hand-computed values, optimised (block copies) vs reference (element by element) on random
/// shapes and amounts, shape errors, and zero allocations per run.
@Suite struct PadTests {
    static func padGraph(_ xs: Shape, _ a: PadAttributes) throws -> Graph {
        var b = GraphBuilder()
        let x = b.input("x", shape: xs)
        try b.exitHead("final") { b in try b.node(.pad(a), x) }
        b.endStage("main")
        return try b.build()
    }

    @Test func handComputedPaddingOfWidthAndChannels() throws {
        // x [1,1,2,2] = [[1,2],[3,4]] (two pixels of two channels); W: 1 before, 0 after; C: 0 before, 1 after; value 9.
        let g = try Self.padGraph([1, 1, 2, 2], PadAttributes(before: [0, 0, 1, 0], after: [0, 0, 0, 1], value: 9))
        #expect(g.values[g.stages[0].exit!.output].shape == [1, 1, 3, 3])
        for isa in [KernelISA.reference] + optimisedISAs {
            let out = try runAllExits(g, [1, 2, 3, 4], isa: isa).last!
            #expect(out == [9, 9, 9, 1, 2, 9, 3, 4, 9], "\(isa)")
        }
    }

    @Test(arguments: [1, 2, 3, 4, 5] as [UInt64])
    func optimisedMatchesReference(seed: UInt64) throws {
        var rng = SeededGenerator(seed: seed)
        let rank = Int.random(in: 1...4, using: &rng)
        let xs = Shape((0..<rank).map { _ in Int.random(in: 1...5, using: &rng) })
        let a = PadAttributes(before: (0..<rank).map { _ in Int.random(in: 0...3, using: &rng) },
                              after: (0..<rank).map { _ in Int.random(in: 0...3, using: &rng) }, value: Float(seed) - 2.5)
        let g = try Self.padGraph(xs, a)
        let input = rng.uniform(count: xs.elementCount)
        let ref = try runAllExits(g, input, isa: .reference).last!
        for isa in optimisedISAs { #expect(try runAllExits(g, input, isa: isa).last! == ref, "\(isa) \(xs) \(a)") }
        // Every input element appears, and the rest is the padding value.
        #expect(ref.filter { $0 == a.value }.count >= ref.count - input.count)
        #expect(ref.count == Shape(zip(xs.dims, zip(a.before, a.after)).map { $0 + $1.0 + $1.1 }).elementCount)
    }

    @Test func shapeErrors() throws {
        let op = Operator.pad(PadAttributes(before: [0, 1], after: [0, 1]))
        #expect(throws: GraphError.self) { try op.outputShape(inputs: [[1, 2, 3]], node: "p") }  // 2 amounts, rank 3
        #expect(throws: GraphError.self) {
            try Operator.pad(PadAttributes(before: [0, -1], after: [0, 0])).outputShape(inputs: [[1, 2]], node: "p")
        }
        #expect(throws: GraphError.self) {
            try Operator.pad(PadAttributes(before: [0, 1 << 30], after: [0, 0])).outputShape(inputs: [[1, 2]], node: "p")
        }
        #expect(throws: GraphError.self) {
            try Operator.pad(PadAttributes(before: [0, 0], after: [0, 0], value: .nan)).outputShape(inputs: [[1, 2]], node: "p")
        }
        #expect(try op.outputShape(inputs: [[1, 2]], node: "p") == [1, 4])
    }

    @Test(.enabled(if: isReleaseBuild, "zero-allocation inference is a release-build property"),
          arguments: KernelISA.allCases.filter(\.isAvailable))
    func runAllocatesNothing(isa: KernelISA) throws {
        let e = try Executor(graph: try Self.padGraph([1, 4, 5, 3], PadAttributes(before: [0, 1, 2, 0], after: [0, 1, 0, 1])), options: .init(isa: isa))
        e.runToEnd()
        ew_malloc_counter_start()
        for _ in 0..<20 { e.runToEnd() }
        #expect(ew_malloc_counter_stop() == 0)
    }
}

/// MEAN over the channel axis: hand-computed values, optimised (SIMD8 partial sums) vs reference,
/// keepDims, and shape errors.
@Suite struct ChannelMeanTests {
    static func meanGraph(_ xs: Shape, keepDims: Bool) throws -> Graph {
        var b = GraphBuilder()
        let x = b.input("x", shape: xs)
        try b.exitHead("final") { b in try b.node(.channelMean(keepDims: keepDims), x) }
        b.endStage("main")
        return try b.build()
    }

    @Test func handComputedMeans() throws {
        let g = try Self.meanGraph([1, 2, 3], keepDims: false)
        #expect(g.values[g.stages[0].exit!.output].shape == [1, 2])
        for isa in [KernelISA.reference] + optimisedISAs {
            #expect(try runAllExits(g, [1, 2, 6, -3, 0, 0], isa: isa).last! == [3, -1], "\(isa)")
        }
        let k = try Self.meanGraph([2, 4], keepDims: true)
        #expect(k.values[k.stages[0].exit!.output].shape == [2, 1])
    }

    @Test(arguments: [1, 2, 3] as [UInt64])
    func optimisedMatchesReference(seed: UInt64) throws {
        var rng = SeededGenerator(seed: seed)
        // Channel counts around the SIMD width: tails of every length.
        let c = [1, 7, 8, 9, 17, 31, 64, 100][Int.random(in: 0..<8, using: &rng)]
        let xs: Shape = [Int.random(in: 1...3, using: &rng), Int.random(in: 1...6, using: &rng), c]
        let g = try Self.meanGraph(xs, keepDims: seed == 2)
        let input = rng.uniform(count: xs.elementCount)
        let ref = try runAllExits(g, input, isa: .reference).last!
        for isa in optimisedISAs { #expect(maxAbsDiff(try runAllExits(g, input, isa: isa).last!, ref) < 1e-5, "\(isa) \(xs)") }
    }

    @Test func shapeErrors() {
        #expect(throws: GraphError.self) { try Operator.channelMean(keepDims: false).outputShape(inputs: [[5]], node: "m") }
        #expect(throws: GraphError.self) { try Operator.channelMean(keepDims: false).outputShape(inputs: [[5], [5]], node: "m") }
    }
}
