extension Operator {
    /// Output shape for the given input shapes; throws ``GraphError`` naming `node` when they do not
    /// fit. The operator's own file (``definition``) does the work.
    public func outputShape(inputs s: [Shape], node: String) throws -> Shape {
        let def = definition
        guard def.inputArity.contains(s.count) else {
            throw GraphError.wrongInputCount(node: node, op: def.kindName, expected: "\(def.inputArity.lowerBound)…\(def.inputArity.upperBound)", got: s.count)
        }
        return try def.outputShape(inputs: s, check: ShapeCheck(node: node))
    }
}

extension Graph {
    /// Checks the whole graph once, at load: ids, topological order, input counts, shapes, dtypes and
    /// constant sizes. The executor relies on this and does not re-check on every call.
    public func validate() throws {
        guard !stages.isEmpty else { throw GraphError.emptyGraph }
        guard stages.last?.exit != nil else { throw GraphError.noFinalExit }
        guard values.indices.contains(input) else { throw GraphError.invalidValue(node: "<input>", id: input) }
        for (id, data) in constants {
            guard values.indices.contains(id) else { throw GraphError.invalidValue(node: "<constant>", id: id) }
            let v = values[id]
            guard let n = v.shape.checkedElementCount, let bytes = v.dtype.byteCount(for: n) else {
                throw GraphError.shapeMismatch(node: v.name, detail: "shape \(v.shape) is negative or too large")
            }
            guard bytes == data.byteCount else { throw GraphError.constantSizeMismatch(value: v.name, expectedBytes: bytes, gotBytes: data.byteCount) }
        }
        for v in values {
            // Zero-size dimensions are rejected (no operator computes anything useful on them and
            // kernels divide by them); every dimension fits the C kernels' 32-bit axis arithmetic.
            guard v.shape.dims.allSatisfy({ $0 >= 1 && $0 <= OperatorLimits.maxDimension }) else {
                throw GraphError.shapeMismatch(node: v.name, detail: "shape \(v.shape) has a dimension outside 1…\(OperatorLimits.maxDimension)")
            }
            guard let n = v.shape.checkedElementCount, v.dtype.byteCount(for: n) != nil else {
                throw GraphError.shapeMismatch(node: v.name, detail: "shape \(v.shape) is too large")
            }
            if let problem = v.quant?.problem(dtype: v.dtype, shape: v.shape) {
                throw GraphError.dtypeMismatch(node: v.name, detail: problem)
            }
        }
        var written = Set<ValueID>(constants.keys)
        written.insert(input)
        var trunkWritten = written
        var totalMACs = 0
        for (node, _, inHead) in nodesInExecutionOrder {
            for i in node.inputs {
                guard values.indices.contains(i) else { throw GraphError.invalidValue(node: node.name, id: i) }
                // Trunk nodes may read only trunk values: stopping at an exit must leave them computable.
                guard (inHead ? written : trunkWritten).contains(i) else {
                    throw GraphError.notTopological(node: node.name, reads: values[i].name)
                }
            }
            guard values.indices.contains(node.output) else { throw GraphError.invalidValue(node: node.name, id: node.output) }
            guard !written.contains(node.output) else { throw GraphError.writtenTwice(value: values[node.output].name) }
            let inferred = try node.op.outputShape(inputs: node.inputs.map { values[$0].shape }, node: node.name)
            guard inferred == values[node.output].shape else {
                throw GraphError.shapeMismatch(node: node.name, detail: "output '\(values[node.output].name)' is declared \(values[node.output].shape) but the operator gives \(inferred)")
            }
            try checkDTypes(node)
            // Counting and planning must not overflow either: checked here, once.
            let def = node.op.definition, inShapes = node.inputs.map { values[$0].shape }
            guard let m = def.macs(inputs: inShapes, output: inferred), let t = checkedSum(totalMACs, m) else {
                throw GraphError.shapeMismatch(node: node.name, detail: "its multiply-accumulate count overflows")
            }
            totalMACs = t
            guard def.scratchBytes(inputs: inShapes, output: inferred) != nil else {
                throw GraphError.shapeMismatch(node: node.name, detail: "its scratch buffer size overflows")
            }
            written.insert(node.output)
            if !inHead { trunkWritten.insert(node.output) }
        }
        for (_, head) in exits {
            guard written.contains(head.output) else { throw GraphError.invalidValue(node: "exit '\(head.name)'", id: head.output) }
        }
    }

    /// Each operator's dtype rules live in its file (``OperatorDefinition/checkDTypes(inputs:output:check:)``).
    private func checkDTypes(_ node: Node) throws {
        try node.op.definition.checkDTypes(inputs: node.inputs.map { values[$0] }, output: values[node.output],
                                           check: DTypeCheck(node: node.name))
    }
}
