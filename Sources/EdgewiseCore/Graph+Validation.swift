extension Operator {
    /// The input count this operator accepts, as a range.
    var inputArity: ClosedRange<Int> {
        switch self {
        case .conv2d, .depthwiseConv2d, .dense: return 2...3
        case .batchNorm: return 5...5
        case .activation, .maxPool2d, .averagePool2d, .globalAveragePool, .reshape, .softmax, .dropout, .quantize, .dequantize: return 1...1
        case .add: return 2...2
        case .concat: return 2...64
        case .layerNorm: return 3...3
        case .matmul: return 2...2
        case .multiHeadSelfAttention: return 9...9
        }
    }

    /// Output shape for the given input shapes; throws ``GraphError`` naming `node` when they do not fit.
    public func outputShape(inputs s: [Shape], node: String) throws -> Shape {
        func fail(_ d: String) -> GraphError { .shapeMismatch(node: node, detail: d) }
        guard inputArity.contains(s.count) else {
            throw GraphError.wrongInputCount(node: node, op: kindName, expected: "\(inputArity.lowerBound)…\(inputArity.upperBound)", got: s.count)
        }
        /// Spatial input as (N, H, W, C) from NHWC or NWC.
        func spatial(_ x: Shape) throws -> (Int, Int, Int, Int) {
            switch x.rank {
            case 4: return (x[0], x[1], x[2], x[3])
            case 3: return (x[0], 1, x[1], x[2])
            default: throw fail("expects an [N,H,W,C] or [N,W,C] input, got \(x)")
            }
        }
        func outSize(_ input: Int, _ k: Int, _ stride: Int, _ dil: Int, _ padBefore: Int, _ padAfter: Int) throws -> Int {
            guard k >= 1, stride >= 1, dil >= 1, padBefore >= 0, padAfter >= 0 else { throw fail("kernel, stride and dilation must be ≥ 1 and padding ≥ 0") }
            // Attributes come from files: every step is overflow-checked.
            let (kd, o1) = (k - 1).multipliedReportingOverflow(by: dil)
            let (padded, o2) = input.addingReportingOverflow(padBefore)
            let (padded2, o3) = padded.addingReportingOverflow(padAfter)
            guard !o1, !o2, !o3, kd < Int.max else { throw fail("window or padding too large") }
            let eff = kd + 1
            let span = padded2 - eff
            guard span >= 0 else { throw fail("window \(eff) is larger than the padded input \(input + padBefore + padAfter)") }
            return span / stride + 1
        }
        func rebuild(_ x: Shape, n: Int, h: Int, w: Int, c: Int) -> Shape { x.rank == 4 ? [n, h, w, c] : [n, w, c] }

        switch self {
        case .conv2d(let a):
            let (n, h, w, c) = try spatial(s[0])
            let wt = s[1]
            guard wt.rank == 4 else { throw fail("conv weights must be [KH,KW,Cin,Cout], got \(wt)") }
            guard wt[2] == c else { throw fail("conv weights expect \(wt[2]) input channels, input has \(c)") }
            if s[0].rank == 3 && wt[0] != 1 { throw fail("a 1-D conv needs KH = 1, weights are \(wt)") }
            if s.count == 3 && s[2] != [wt[3]] { throw fail("bias must be [\(wt[3])], got \(s[2])") }
            let oh = try outSize(h, wt[0], a.stride.h, a.dilation.h, a.padding.top, a.padding.bottom)
            let ow = try outSize(w, wt[1], a.stride.w, a.dilation.w, a.padding.left, a.padding.right)
            return rebuild(s[0], n: n, h: oh, w: ow, c: wt[3])
        case .depthwiseConv2d(let a):
            let (n, h, w, c) = try spatial(s[0])
            let wt = s[1]
            guard a.depthMultiplier >= 1 else { throw fail("depth multiplier must be ≥ 1") }
            let (cm, overflow) = c.multipliedReportingOverflow(by: a.depthMultiplier)
            guard !overflow, wt.rank == 3, wt[2] == cm else { throw fail("depthwise weights must be [KH,KW,\(c * a.depthMultiplier)], got \(wt)") }
            if s[0].rank == 3 && wt[0] != 1 { throw fail("a 1-D depthwise conv needs KH = 1, weights are \(wt)") }
            if s.count == 3 && s[2] != [wt[2]] { throw fail("bias must be [\(wt[2])], got \(s[2])") }
            let oh = try outSize(h, wt[0], a.stride.h, a.dilation.h, a.padding.top, a.padding.bottom)
            let ow = try outSize(w, wt[1], a.stride.w, a.dilation.w, a.padding.left, a.padding.right)
            return rebuild(s[0], n: n, h: oh, w: ow, c: wt[2])
        case .dense:
            guard s[0].rank >= 1, s[1].rank == 2, s[1][0] == s[0].last else { throw fail("dense weights must be [\(s[0].last), Out], got \(s[1])") }
            if s.count == 3 && s[2] != [s[1][1]] { throw fail("bias must be [\(s[1][1])], got \(s[2])") }
            var o = s[0]; o[-1] = s[1][1]; return o
        case .batchNorm:
            let c = s[0].last
            for p in s.dropFirst() where p != [c] { throw fail("batch-norm parameters must be [\(c)], got \(p)") }
            return s[0]
        case .dropout(let rate):
            guard rate >= 0 && rate < 1 else { throw fail("dropout rate must be in [0, 1), got \(rate)") }
            return s[0]
        case .activation, .softmax, .quantize, .dequantize:
            return s[0]
        case .maxPool2d(let a), .averagePool2d(let a):
            let (n, h, w, c) = try spatial(s[0])
            let oh = try outSize(h, a.window.h, a.stride.h, 1, a.padding.top, a.padding.bottom)
            let ow = try outSize(w, a.window.w, a.stride.w, 1, a.padding.left, a.padding.right)
            return rebuild(s[0], n: n, h: oh, w: ow, c: c)
        case .globalAveragePool:
            let (n, _, _, c) = try spatial(s[0])
            return [n, c]
        case .add:
            guard s[0] == s[1] else { throw fail("add needs equal shapes, got \(s[0]) and \(s[1])") }
            return s[0]
        case .concat(let axis):
            let r = s[0].rank
            let ax = axis < 0 ? r + axis : axis
            guard ax >= 0 && ax < r else { throw fail("concat axis \(axis) out of range for rank \(r)") }
            var o = s[0]
            for t in s.dropFirst() {
                guard t.rank == r else { throw fail("concat inputs differ in rank") }
                for d in 0..<r where d != ax && t[d] != o[d] { throw fail("concat inputs differ in dimension \(d): \(o) vs \(t)") }
                let (sum, overflow) = o[ax].addingReportingOverflow(t[ax])
                guard !overflow else { throw fail("concat size overflows") }
                o[ax] = sum
            }
            return o
        case .reshape(let target):
            guard let a = s[0].checkedElementCount, let b = target.checkedElementCount, a == b else {
                throw fail("reshape from \(s[0]) to \(target) changes the element count")
            }
            return target
        case .layerNorm:
            let d = s[0].last
            guard s[1] == [d], s[2] == [d] else { throw fail("layer-norm gamma and beta must be [\(d)]") }
            return s[0]
        case .matmul(let tb):
            let a = s[0], b = s[1]
            guard a.rank >= 2, b.rank == a.rank else { throw fail("matmul needs equal ranks ≥ 2, got \(a) and \(b)") }
            guard Array(a.dims.dropLast(2)) == Array(b.dims.dropLast(2)) else { throw fail("matmul batch dims differ: \(a) vs \(b)") }
            let k = a[-1]
            let (bk, bn) = tb ? (b[-1], b[-2]) : (b[-2], b[-1])
            guard k == bk else { throw fail("matmul inner dims differ: \(a) × \(b)\(tb ? "ᵀ" : "")") }
            var o = a; o[-1] = bn; return o
        case .multiHeadSelfAttention(let heads):
            let x = s[0]
            guard x.rank == 3 else { throw fail("attention input must be [N,T,D], got \(x)") }
            let d = x[2]
            guard heads >= 1, d % heads == 0 else { throw fail("model width \(d) is not divisible by \(heads) heads") }
            for w in s[1...4] where w != [d, d] { throw fail("attention projections must be [\(d),\(d)], got \(w)") }
            for b in s[5...8] where b != [d] { throw fail("attention biases must be [\(d)], got \(b)") }
            return x
        }
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
            guard let n = v.shape.checkedElementCount, v.dtype.byteCount(for: n) != nil else {
                throw GraphError.shapeMismatch(node: v.name, detail: "shape \(v.shape) is negative or too large")
            }
        }
        var written = Set<ValueID>(constants.keys)
        written.insert(input)
        var trunkWritten = written
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
