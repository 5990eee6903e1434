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

    private func checkDTypes(_ node: Node) throws {
        let out = values[node.output]
        switch node.op {
        case .quantize:
            guard values[node.inputs[0]].dtype == .float32, out.dtype.isQuantized, out.quant != nil else {
                throw GraphError.dtypeMismatch(node: node.name, detail: "quantize takes float32 to a quantised type with parameters")
            }
        case .dequantize:
            guard values[node.inputs[0]].dtype.isQuantized, out.dtype == .float32 else {
                throw GraphError.dtypeMismatch(node: node.name, detail: "dequantize takes a quantised type to float32")
            }
        default:
            let x = values[node.inputs[0]].dtype
            guard out.dtype == x else {
                throw GraphError.dtypeMismatch(node: node.name, detail: "output is \(out.dtype) but input is \(x)")
            }
        }
        // Weights and biases of the layers with parameters: float layers take float32 parameters;
        // quantised layers take quantised weights and int32 biases.
        switch node.op {
        case .conv2d, .depthwiseConv2d, .dense:
            let x = values[node.inputs[0]].dtype, w = values[node.inputs[1]].dtype
            let b = node.inputs.count > 2 ? values[node.inputs[2]].dtype : nil
            let ok = x == .float32 ? (w == .float32 && (b == nil || b == .float32))
                                   : (w.isQuantized && (b == nil || b == .int32))
            guard ok else {
                throw GraphError.dtypeMismatch(node: node.name, detail: "a \(x) layer cannot take \(w) weights\(b.map { " and \($0) bias" } ?? "")")
            }
        case .batchNorm, .layerNorm, .multiHeadSelfAttention:
            for i in node.inputs.dropFirst() where values[i].dtype != .float32 {
                throw GraphError.dtypeMismatch(node: node.name, detail: "parameter '\(values[i].name)' must be float32, is \(values[i].dtype)")
            }
        default: break
        }
    }
}
