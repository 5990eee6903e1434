extension Graph {
    /// Multiply-accumulates one run of `node` performs (0 for operators without products).
    public func macs(of node: Node) -> Int {
        let out = values[node.output].shape
        switch node.op {
        case .conv2d:
            let w = values[node.inputs[1]].shape
            return out.elementCount * w[0] * w[1] * w[2]
        case .depthwiseConv2d:
            let w = values[node.inputs[1]].shape
            return out.elementCount * w[0] * w[1]
        case .dense:
            return out.elementCount * values[node.inputs[1]].shape[0]
        case .matmul:
            return out.elementCount * values[node.inputs[0]].shape[-1]
        case .multiHeadSelfAttention:
            let x = values[node.inputs[0]].shape
            let (n, t, d) = (x[0], x[1], x[2])
            return n * (4 * t * d * d + 2 * t * t * d)
        default:
            return 0
        }
    }

    /// Number of constant (weight) elements `node` reads.
    public func parameterCount(of node: Node) -> Int {
        node.inputs.filter { constants[$0] != nil }.reduce(0) { $0 + values[$1].shape.elementCount }
    }

    /// Total multiply-accumulates of every node, heads included.
    public var totalMACs: Int { nodesInExecutionOrder.reduce(0) { $0 + macs(of: $1.node) } }

    /// Cumulative MACs at each exit: everything executed up to and including that exit's head.
    public var cumulativeMACsPerExit: [(name: String, macs: Int)] {
        var total = 0
        var out: [(String, Int)] = []
        for s in stages {
            for n in s.nodes { total += macs(of: n) }
            if let e = s.exit {
                for n in e.nodes { total += macs(of: n) }
                out.append((e.name, total))
            }
        }
        return out
    }
}
