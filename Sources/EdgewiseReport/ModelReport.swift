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

    /// A text table of the layers, then the exits and totals.
    public func render() -> String {
        var t = TextTable([("layer", .left), ("op", .left), ("output", .left), ("params", .right), ("MACs", .right),
                           ("arena@", .right), ("bytes", .right), ("quantisation", .left)])
        var stage = ""
        for l in layers {
            let where_ = l.stage + (l.inHead ? " (exit head)" : "")
            if where_ != stage { t.addSection("-- " + where_); stage = where_ }
            var quant = ""
            if l.dtype != "float32" || l.weightQuantization != nil {
                quant = l.dtype + (l.quantization.map { " " + $0 } ?? "") + (l.weightQuantization.map { "; weights " + $0 } ?? "")
            }
            t.add([l.name, l.op, "[" + l.outputShape.map(String.init).joined(separator: ",") + "]", String(l.parameters), String(l.macs),
                   l.arenaOffset.map(String.init) ?? "-", String(l.outputBytes), quant])
        }
        var out = t.render()
        var e = TextTable([("exit", .left), ("cumulative MACs", .right), ("of the full model", .right)])
        for x in exits { e.add([x.name, String(x.cumulativeMACs), String(Int((x.fractionOfFull * 100).rounded())) + "%"]) }
        out += "\n" + e.render()
        out += "\ninput \(inputDescription)\n"
        if let arenaBytes, let unsharedBytes {
            out += "total MACs \(totalMACs), weights \(weightBytes) bytes, arena \(arenaBytes) bytes (unshared buffers would take \(unsharedBytes)), kernels: \(isa)\n"
        } else {
            out += "total MACs \(totalMACs), weights \(weightBytes) bytes, no arena plan: \(isa)\n"
        }
        return out
    }
}
