extension Graph {
    /// Multiply-accumulates one run of `node` performs (0 for operators without products); saturates at
    /// `Int.max` instead of overflowing (``validate()`` rejects graphs whose counts overflow).
    public func macs(of node: Node) -> Int {
        node.op.definition.macs(inputs: node.inputs.map { values[$0].shape }, output: values[node.output].shape) ?? .max
    }

    /// Number of constant (weight) elements `node` reads.
    public func parameterCount(of node: Node) -> Int {
        node.inputs.filter { constants[$0] != nil }.reduce(0) { Graph.saturatingAdd($0, values[$1].shape.checkedElementCount ?? .max) }
    }

    /// Total multiply-accumulates of every node, heads included.
    public var totalMACs: Int { nodesInExecutionOrder.reduce(0) { Graph.saturatingAdd($0, macs(of: $1.node)) } }

    static func saturatingAdd(_ a: Int, _ b: Int) -> Int { let (s, o) = a.addingReportingOverflow(b); return o ? .max : s }

    /// Cumulative MACs at each exit: everything executed up to and including that exit's head.
    public var cumulativeMACsPerExit: [(name: String, macs: Int)] {
        var total = 0
        var out: [(String, Int)] = []
        for s in stages {
            for n in s.nodes { total = Graph.saturatingAdd(total, macs(of: n)) }
            if let e = s.exit {
                for n in e.nodes { total = Graph.saturatingAdd(total, macs(of: n)) }
                out.append((e.name, total))
            }
        }
        return out
    }
}
