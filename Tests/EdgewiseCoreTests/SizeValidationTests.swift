import EdgewiseArchitectures
import Testing
@testable import EdgewiseCore

/// Sizes from files: overflow, zero-size dimensions and attribute caps are errors, never traps.
@Suite struct SizeValidationTests {
    /// A graph built by hand (no builder checks): one node from `x` to `y`.
    static func oneNode(_ op: Operator, x: Shape, y: Shape, consts: [(Shape, [Float])] = []) -> Graph {
        var values = [Value(name: "x", shape: x)]
        var constants: [ValueID: TensorData] = [:]
        for (i, c) in consts.enumerated() {
            values.append(Value(name: "c\(i)", shape: c.0))
            constants[values.count - 1] = TensorData(copying: c.1)
        }
        values.append(Value(name: "y", shape: y))
        let node = Node(name: "n", op: op, inputs: Array(0..<(1 + consts.count)), output: values.count - 1)
        return Graph(values: values, constants: constants, input: 0,
                     stages: [Stage(name: "s", nodes: [], exit: ExitHead(name: "final", nodes: [node], output: values.count - 1))])
    }

    @Test("a [1,2^30,2^30,1] input into a 1×1 conv is refused by the arena limit, not a trap in the planner")
    func hugeInputIntoPointwiseConv() throws {
        let g = Self.oneNode(.conv2d(.init()), x: [1, 1 << 30, 1 << 30, 1], y: [1, 1 << 30, 1 << 30, 1], consts: [([1, 1, 1, 1], [1])])
        try g.validate()  // a valid graph, just too big
        #expect(throws: ExecutorError.self) { try Executor(graph: g, options: .init(isa: .reference)) }
        #expect(throws: ExecutorError.self) { try Executor(graph: g, options: .init(isa: .reference, maxArenaBytes: .max)) }
    }

    @Test("attention on [1, 2^31-1, 1] is an invalid graph, not a trap in the executor")
    func hugeAttention() {
        let t = Int(Int32.max)
        let consts: [(Shape, [Float])] = (0..<4).map { _ in ([1, 1], [1]) } + (0..<4).map { _ in ([1], [0]) }
        let g = Self.oneNode(.multiHeadSelfAttention(heads: 1), x: [1, t, 1], y: [1, t, 1], consts: consts)
        #expect(throws: GraphError.self) { try g.validate() }
        #expect(throws: ExecutorError.self) { try Executor(graph: g, options: .init(isa: .reference)) }
        #expect(g.totalMACs > 0)  // counted without a trap (the scratch size is what overflows)
    }

    @Test("MAC counting of an unvalidated int8 graph saturates instead of trapping")
    func macsNeverTrap() {
        var g = Self.oneNode(.dense(activation: .none), x: [1 << 40, 1 << 20], y: [1 << 40, 1 << 20], consts: [([1 << 20, 1 << 20], [])])
        for i in g.values.indices { g.values[i].dtype = .int8 }
        #expect(g.macs(of: g.stages[0].exit!.nodes[0]) == .max)
        #expect(g.totalMACs == .max && g.cumulativeMACsPerExit[0].macs == .max)
    }

    @Test func zeroSizeDimensionsAreRejected() {
        // conv with Cout = 0
        let conv = Self.oneNode(.conv2d(.init()), x: [1, 2, 2, 1], y: [1, 2, 2, 0], consts: [([1, 1, 1, 0], [])])
        #expect(throws: GraphError.self) { try conv.validate() }
        // dense with K = 0
        let dense = Self.oneNode(.dense(activation: .none), x: [1, 0], y: [1, 3], consts: [([0, 3], [])])
        #expect(throws: GraphError.self) { try dense.validate() }
        // softmax over an empty axis
        #expect(throws: GraphError.self) { try Self.oneNode(.softmax, x: [1, 0], y: [1, 0]).validate() }
    }

    @Test("stride, dilation and padding are capped so the C kernels' 32-bit index arithmetic cannot overflow")
    func attributeCaps() {
        let w: [Float] = Array(repeating: 1, count: 9)
        // A 3×3 depthwise with dilation 2^30 (signed-overflow UB in 32-bit C before).
        let dil = Self.oneNode(.depthwiseConv2d(.init(dilation: .init(1 << 30, 1 << 30))), x: [1, 4, 4, 1], y: [1, 1, 1, 1], consts: [([3, 3, 1], w)])
        #expect(throws: GraphError.self) { try dil.validate() }
        let stride = Self.oneNode(.conv2d(.init(stride: .init(1 << 25, 1))), x: [1, 4, 4, 1], y: [1, 1, 4, 1], consts: [([1, 1, 1, 1], [1])])
        #expect(throws: GraphError.self) { try stride.validate() }
        // Padding within the cap but a padded axis beyond Int32.
        let pad = Self.oneNode(.maxPool2d(.init(window: .one, stride: .one, padding: .init(top: 1 << 24, bottom: 1 << 24))),
                               x: [1, Int(Int32.max) - 10, 1, 1], y: [1, Int(Int32.max) - 10 + (1 << 25), 1, 1])
        #expect(throws: GraphError.self) { try pad.validate() }
        // Within every cap: fine.
        let ok = Self.oneNode(.depthwiseConv2d(.init(dilation: .init(2, 2))), x: [1, 5, 5, 1], y: [1, 1, 1, 1], consts: [([3, 3, 1], w)])
        #expect(throws: Never.self) { try ok.validate() }
    }

    @Test("the executor is not Sendable: the documented pattern is one executor per thread over a shared graph")
    func oneExecutorPerThread() async throws {
        let g = try DSCNN.build(.small)
        var rng = SeededGenerator(seed: 5)
        let input = rng.uniform(count: 490)
        let expected = try Executor(graph: g).predict(input)
        let results = await withTaskGroup(of: [Float]?.self) { group in
            for _ in 0..<4 {
                group.addTask { try? Executor(graph: g).predict(input) }  // Graph is Sendable; each task owns its executor
            }
            var out: [[Float]?] = []
            for await r in group { out.append(r) }
            return out
        }
        #expect(results.count == 4 && results.allSatisfy { $0 == expected })
    }
}
