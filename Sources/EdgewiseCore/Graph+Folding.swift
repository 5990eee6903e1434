extension Graph {
    /// The graph with every inference-mode batch norm folded into the convolution or dense layer that
    /// feeds it, when that layer has no fused activation and feeds nothing else. Other batch norms stay.
    /// Folding rescales the producer's weights per output channel and rewrites its bias:
    /// `w' = w·γ/√(σ²+ε)`, `b' = (b − μ)·γ/√(σ²+ε) + β`.
    /// Weights or a bias that another node (or an exit) also reads are not rescaled in place: the folded
    /// copy becomes a new constant and the other readers keep the original. A layer whose bias is not a
    /// constant (computed at run time) is not folded, since its bias cannot be rewritten.
    public func foldingBatchNorms() -> Graph {
        var g = self
        var readers: [ValueID: Int] = [:]
        for (n, _, _) in nodesInExecutionOrder { for i in n.inputs { readers[i, default: 0] += 1 } }
        for (_, h) in exits { readers[h.output, default: 0] += 1 }
        var producer: [ValueID: (stage: Int, head: Bool, index: Int)] = [:]
        for (si, s) in stages.enumerated() {
            for (ni, n) in s.nodes.enumerated() { producer[n.output] = (si, false, ni) }
            if let e = s.exit { for (ni, n) in e.nodes.enumerated() { producer[n.output] = (si, true, ni) } }
        }
        var removals: [(stage: Int, head: Bool, index: Int)] = []
        for (si, s) in stages.enumerated() {
            let lists: [(Bool, [Node])] = [(false, s.nodes)] + (s.exit.map { [(true, $0.nodes)] } ?? [])
            for (isHead, nodes) in lists {
                for (ni, bn) in nodes.enumerated() {
                    guard case .batchNorm(let eps) = bn.op, let p = producer[bn.inputs[0]],
                          p.stage == si, p.head == isHead, readers[bn.inputs[0]] == 1,
                          bn.inputs[1...].allSatisfy({ constants[$0] != nil }) else { continue }
                    var prod = isHead ? g.stages[si].exit!.nodes[p.index] : g.stages[si].nodes[p.index]
                    let act: Activation
                    switch prod.op {
                    case .conv2d(let a), .depthwiseConv2d(let a): act = a.activation
                    case .dense(let a): act = a
                    default: continue
                    }
                    guard act == .none, values[prod.inputs[1]].dtype == .float32, constants[prod.inputs[1]] != nil else { continue }
                    // A bias computed at run time cannot absorb the batch norm's shift: leave this one unfolded.
                    let hasBias = prod.inputs.count > 2
                    if hasBias, constants[prod.inputs[2]] == nil || values[prod.inputs[2]].dtype != .float32 { continue }
                    let gamma = constants[bn.inputs[1]]!.toArray(of: Float.self), beta = constants[bn.inputs[2]]!.toArray(of: Float.self)
                    let mean = constants[bn.inputs[3]]!.toArray(of: Float.self), variance = constants[bn.inputs[4]]!.toArray(of: Float.self)
                    let c = gamma.count
                    var scale = [Float](repeating: 0, count: c)
                    for i in 0..<c { scale[i] = gamma[i] / (variance[i] + eps).squareRoot() }
                    // Every weight layout here keeps the output channel innermost.
                    var w = constants[prod.inputs[1]]!.toArray(of: Float.self)
                    for i in w.indices { w[i] *= scale[i % c] }
                    let oldBias: [Float]? = hasBias ? constants[prod.inputs[2]]!.toArray(of: Float.self) : nil
                    var bias = [Float](repeating: 0, count: c)
                    for i in 0..<c { bias[i] = ((oldBias?[i] ?? 0) - mean[i]) * scale[i] + beta[i] }
                    /// Writes `data` into input `k` of the producer: in place when this producer is its only
                    /// reader, else as a new constant (another node or exit still reads the original).
                    func rewrite(_ k: Int, _ data: [Float], suffix: String) {
                        if k < prod.inputs.count, readers[prod.inputs[k]] == 1 {
                            g.constants[prod.inputs[k]] = TensorData(copying: data)
                            return
                        }
                        let shape = k < prod.inputs.count ? g.values[prod.inputs[k]].shape : [c]
                        g.values.append(Value(name: prod.name + suffix, shape: shape))
                        g.constants[g.values.count - 1] = TensorData(copying: data)
                        if k < prod.inputs.count { prod.inputs[k] = g.values.count - 1 } else { prod.inputs.append(g.values.count - 1) }
                    }
                    rewrite(1, w, suffix: ".folded_weights")
                    rewrite(2, bias, suffix: hasBias ? ".folded_bias" : ".bias")
                    // The producer now writes the batch norm's output directly.
                    prod.output = bn.output
                    if isHead { g.stages[si].exit!.nodes[p.index] = prod } else { g.stages[si].nodes[p.index] = prod }
                    removals.append((si, isHead, ni))
                }
            }
        }
        for r in removals.sorted(by: { ($0.stage, $0.index) > ($1.stage, $1.index) }) {
            if r.head { g.stages[r.stage].exit!.nodes.remove(at: r.index) } else { g.stages[r.stage].nodes.remove(at: r.index) }
        }
        return g
    }
}

extension Graph {
    /// The graph with each clamp activation (ReLU, ReLU6) fused into the convolution or dense layer
    /// before it, when that layer has no activation of its own and feeds nothing else.
    public func fusingActivations() -> Graph {
        var g = self
        var readers: [ValueID: Int] = [:]
        for (n, _, _) in nodesInExecutionOrder { for i in n.inputs { readers[i, default: 0] += 1 } }
        for (_, h) in exits { readers[h.output, default: 0] += 1 }
        func fuse(_ nodes: inout [Node]) {
            var i = 1
            while i < nodes.count {
                let act = nodes[i], prev = nodes[i - 1]
                if case .activation(let a) = act.op, a.clampBounds != nil, act.inputs[0] == prev.output,
                   readers[prev.output] == 1, let fused = prev.op.withActivation(a) {
                    nodes[i - 1].op = fused
                    nodes[i - 1].output = act.output
                    nodes.remove(at: i)
                } else {
                    i += 1
                }
            }
        }
        for s in g.stages.indices {
            fuse(&g.stages[s].nodes)
            if g.stages[s].exit != nil { fuse(&g.stages[s].exit!.nodes) }
        }
        return g
    }

    /// Batch norms folded and clamp activations fused: the form the executor runs. Constants no node
    /// reads any more (the folded batch norms' parameters) are dropped.
    public func finalized() -> Graph {
        var g = foldingBatchNorms().fusingActivations()
        let read = Set(g.nodesInExecutionOrder.flatMap { $0.node.inputs })
        g.constants = g.constants.filter { read.contains($0.key) }
        return g
    }
}

extension Operator {
    /// This operator with `activation` fused, if it is a conv/dense without an activation of its own.
    func withActivation(_ activation: Activation) -> Operator? {
        switch self {
        case .conv2d(var a) where a.activation == .none: a.activation = activation; return .conv2d(a)
        case .depthwiseConv2d(var a) where a.activation == .none: a.activation = activation; return .depthwiseConv2d(a)
        case .dense(.none): return .dense(activation: activation)
        default: return nil
        }
    }
}
