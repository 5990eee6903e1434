import EdgewiseCore

extension Graph {
    /// The same graph with batch dimension `n`: the input's first dimension and every reshape target's
    /// first dimension become `n`, and every activation shape is re-inferred with
    /// `Operator.outputShape`. Constants (weights) are shared, not copied.
    ///
    /// Reshapes must keep the batch as their first dimension (flatten `[N,H,W,C]` → `[N,H·W·C]`), which
    /// every graph built by Edgewise does.
    public func withBatchSize(_ n: Int) throws -> Graph {
        guard n >= 1 else { throw TrainingError.invalidArgument("batch size must be ≥ 1, got \(n)") }
        var g = self
        guard g.values[input].shape.rank >= 1 else { throw TrainingError.invalidArgument("the input has rank 0") }
        g.values[input].shape[0] = n
        for si in g.stages.indices {
            for ni in g.stages[si].nodes.indices {
                var node = g.stages[si].nodes[ni]
                try g.rebatch(&node, n)
                g.stages[si].nodes[ni] = node
            }
            if let head = g.stages[si].exit {
                for ni in head.nodes.indices {
                    var node = head.nodes[ni]
                    try g.rebatch(&node, n)
                    g.stages[si].exit!.nodes[ni] = node
                }
            }
        }
        try g.validate()
        return g
    }

    private mutating func rebatch(_ node: inout Node, _ n: Int) throws {
        if case .reshape(var target) = node.op {
            guard target.rank >= 1 else { throw TrainingError.invalidArgument("reshape '\(node.name)' has a rank-0 target") }
            target[0] = n
            node.op = .reshape(target)
        }
        values[node.output].shape = try node.op.outputShape(inputs: node.inputs.map { values[$0].shape }, node: node.name)
    }
}
