import EdgewiseCore

/// The per-layer report of `edgewise info`: shapes, parameters, MACs and where each activation lives
/// in the arena, plus the exits with their cumulative cost.
public struct ModelReport: Sendable, Codable {
    /// One executed node.
    public struct Layer: Sendable, Codable {
        public var name: String
        public var op: String
        public var stage: String
        public var inHead: Bool
        public var outputShape: [Int]
        public var parameters: Int
        public var macs: Int
        public var arenaOffset: Int?
        public var outputBytes: Int
        public var dtype: String
        /// Quantisation of the output, if quantised.
        public var quantization: String?
        /// Quantisation of the weights, if quantised.
        public var weightQuantization: String?
    }
    /// One exit.
    public struct Exit: Sendable, Codable {
        public var name: String
        public var cumulativeMACs: Int
        public var fractionOfFull: Double
    }

    public var layers: [Layer] = []
    public var exits: [Exit] = []
    public var inputDescription: String
    /// Arena bytes, or `nil` when the graph was not planned (it cannot run in this build).
    public var arenaBytes: Int?
    public var unsharedBytes: Int?
    public var weightBytes: Int
    public var totalMACs: Int
    public var isa: String

    /// Builds the report of the graph as the executor runs it (batch norms folded), with its arena plan.
    public init(executor e: Executor) {
        self.init(graph: e.graph, plan: e.plan, isa: e.isa.rawValue)
    }

    /// Builds the report of a graph; without a plan (a graph this build cannot run yet, such as an
    /// int8 import) the arena columns are empty.
    public init(graph g: Graph, plan: MemoryPlan?, isa: String) {
        for (n, s, h) in g.nodesInExecutionOrder {
            let v = g.values[n.output]
            let weights = n.inputs.dropFirst().first.flatMap { g.constants[$0] != nil ? g.values[$0] : nil }
            layers.append(Layer(name: n.name, op: n.op.kindName, stage: g.stages[s].name, inHead: h, outputShape: v.shape.dims,
                                parameters: g.parameterCount(of: n), macs: g.macs(of: n), arenaOffset: plan?.valueOffsets[n.output],
                                outputBytes: v.dtype.byteCount(for: v.shape.elementCount) ?? 0,
                                dtype: v.dtype.rawValue, quantization: Self.describe(v.quant),
                                weightQuantization: weights.flatMap { w in w.quant.map { "\(w.dtype.rawValue) " + Self.describe($0)! } }))
        }
        let input = g.values[g.input]
        inputDescription = "\(input.name) \(input.dtype.rawValue) \(input.shape)" + (input.quant.map { " " + Self.describe($0)! } ?? "")
        totalMACs = g.totalMACs
        let full = max(1, g.cumulativeMACsPerExit.last?.macs ?? 1)
        exits = g.cumulativeMACsPerExit.map { Exit(name: $0.name, cumulativeMACs: $0.macs, fractionOfFull: Double($0.macs) / Double(full)) }
        arenaBytes = plan?.arenaBytes
        unsharedBytes = plan?.unsharedBytes
        weightBytes = g.constants.values.reduce(0) { $0 + $1.byteCount }
        self.isa = isa
    }

    /// `s=… z=…` for per-tensor parameters, `per-axis(axis a, n channels) s∈[lo,hi]` otherwise.
    static func describe(_ q: QuantParams?) -> String? {
        guard let q else { return nil }
        if q.isPerTensor, let s = q.scales.first, let z = q.zeroPoints.first { return "s=\(s) z=\(z)" }
        let lo = q.scales.min() ?? 0, hi = q.scales.max() ?? 0
        return "per-axis(axis \(q.axis ?? -1), \(q.scales.count) ch) s∈[\(lo), \(hi)]"
    }

    /// A fixed-width text table.
    public func render() -> String {
        func pad(_ s: String, _ w: Int, right: Bool = false) -> String {
            s.count >= w ? s : (right ? String(repeating: " ", count: w - s.count) + s : s + String(repeating: " ", count: w - s.count))
        }
        var out = pad("layer", 22) + pad("op", 20) + pad("output", 18) + pad("params", 9, right: true) + pad("MACs", 11, right: true) + pad("arena@", 9, right: true) + pad("bytes", 8, right: true) + "\n"
        var stage = ""
        for l in layers {
            let where_ = l.stage + (l.inHead ? " (exit head)" : "")
            if where_ != stage { out += "-- \(where_)\n"; stage = where_ }
            out += pad(l.name, 22) + pad(l.op, 20) + pad("[" + l.outputShape.map(String.init).joined(separator: ",") + "]", 18)
            out += pad(String(l.parameters), 9, right: true) + pad(String(l.macs), 11, right: true)
            out += pad(l.arenaOffset.map(String.init) ?? "-", 9, right: true) + pad(String(l.outputBytes), 8, right: true)
            if l.dtype != "float32" || l.weightQuantization != nil {
                out += "  " + l.dtype + (l.quantization.map { " " + $0 } ?? "") + (l.weightQuantization.map { "; weights " + $0 } ?? "")
            }
            out += "\n"
        }
        out += "\nexits:\n"
        for e in exits {
            out += "  " + pad(e.name, 12) + pad(String(e.cumulativeMACs), 12, right: true) + " MACs cumulative (" + String(Int((e.fractionOfFull * 100).rounded())) + "% of the full model)\n"
        }
        out += "\ninput \(inputDescription)\n"
        if let arenaBytes, let unsharedBytes {
            out += "total MACs \(totalMACs), weights \(weightBytes) bytes, arena \(arenaBytes) bytes (unshared buffers would take \(unsharedBytes)), kernels: \(isa)\n"
        } else {
            out += "total MACs \(totalMACs), weights \(weightBytes) bytes, no arena plan: \(isa)\n"
        }
        return out
    }
}
