import EdgewiseArchitectures
import EdgewiseCore
import Foundation

/// Runs a graph forward and backward on batches, holding the parameters, their gradients, the
/// activations and whatever the backward pass needs.
///
/// Every float32 constant of the graph is a parameter, kept as a float buffer per ``ValueID``.
/// The trainable ones (by default every constant except batch-norm running means and variances)
/// collect gradients. ``forward(_:)`` runs every node in execution order (all exits), saving
/// pre-activations, batch statistics and dropout masks; ``backward(seeds:)`` runs the nodes in
/// reverse order and accumulates a gradient per value. ``exportGraph()`` writes the parameters
/// (and the running batch-norm statistics) back into the batch-1 graph for the inference executor.
///
/// ```swift
/// let s = try TrainingSession(graph: DSCNN.build(), batchSize: 32)
/// s.forward(batch)                               // 32 × 490 floats
/// s.backward(seeds: [(s.exitLogits[1], dLogits)])     // dLoss/dlogits, 32 × 12 floats
/// ```
public final class TrainingSession {
    /// The graph with batch dimension ``batchSize``.
    public let graph: Graph
    /// The graph as given (batch 1 in the usual case); ``exportGraph()`` fills its constants.
    public let template: Graph
    public let batchSize: Int
    public let kernels: TrainingKernels
    /// Training mode: batch norms use (and update) batch statistics and dropout drops. In inference
    /// mode batch norms use the running statistics and dropout is the identity.
    public var isTraining = true
    /// Weight of the new batch in the running batch-norm statistics (PyTorch's `momentum`).
    public var batchNormMomentum: Float = 0.1
    /// Seed of this step's dropout masks (the trainer derives it from the run seed and the step).
    public var dropoutSeed: UInt64 = 0
    /// Whether ``backward(seeds:)`` also computes the gradient of the model input.
    public var computesInputGradient = false { didSet { updateNeedsGrad() } }
    /// Every float32 constant, in ``ValueID`` order.
    public let parameterIDs: [ValueID]
    /// The logits of each exit, in exit order: the input of the exit's final softmax when it ends
    /// in one, else the exit output itself. Losses apply here.
    public let exitLogits: [ValueID]
    /// Parameters that receive gradients and are updated.
    public var trainable: Set<ValueID> { didSet { updateNeedsGrad() } }

    let nodes: [Node]
    var store: [FloatBuffer?]
    var grad: [FloatBuffer?]
    var hasGrad: [Bool]
    var needsGrad: [Bool] = []
    /// Per node: the pre-activation (fused activations), dropout mask, or attention caches.
    var saved: [FloatBuffer?]
    /// Per node: batch-norm mean and 1/σ used in the forward pass.
    var stats: [FloatBuffer?]
    /// Per convolution node: the im2col matrix of the last forward pass, reused by the backward pass.
    var columns: [FloatBuffer?]
    var batchStatsUsed: [Bool]
    var dropoutActive: [Bool]
    var scratch = ScratchPool()

    /// Prepares `graph` for training with batches of `batchSize`.
    public init(graph source: Graph, batchSize: Int, kernels: TrainingKernels = .best) throws {
        try source.validate()
        guard kernels.isAvailable else { throw TrainingError.invalidArgument("kernel family \(kernels) is not available on this CPU") }
        for v in source.values where v.dtype != .float32 { throw TrainingError.notFloat32(value: v.name) }
        template = source
        graph = try source.withBatchSize(batchSize)
        self.batchSize = batchSize
        self.kernels = kernels
        nodes = graph.nodesInExecutionOrder.map(\.node)
        for n in nodes {
            // Operators with a hand-written pass below (saved pre-activations, batch statistics, GEMM
            // paths), or any operator whose file conforms to DifferentiableOperator.
            guard TrainingSession.hasBuiltInPass(n.op) || n.op.definition is any DifferentiableOperator else {
                throw TrainingError.unsupportedOperator(node: n.name, op: n.op.kindName)
            }
        }
        parameterIDs = graph.constants.keys.sorted()
        var running = Set<ValueID>()
        for n in nodes { if case .batchNorm = n.op { running.insert(n.inputs[3]); running.insert(n.inputs[4]) } }
        trainable = Set(parameterIDs).subtracting(running)
        var producer: [ValueID: Node] = [:]
        for n in nodes { producer[n.output] = n }
        exitLogits = graph.exits.map { e in
            if let p = producer[e.head.output], case .softmax = p.op { return p.inputs[0] }
            return e.head.output
        }
        let g = graph
        store = g.values.indices.map { id in
            if let c = g.constants[id] { return FloatBuffer(c.toArray(of: Float.self)) }
            return FloatBuffer(count: g.values[id].shape.elementCount)
        }
        grad = Array(repeating: nil, count: graph.values.count)
        hasGrad = Array(repeating: false, count: graph.values.count)
        saved = Array(repeating: nil, count: nodes.count)
        stats = Array(repeating: nil, count: nodes.count)
        batchStatsUsed = Array(repeating: false, count: nodes.count)
        columns = Array(repeating: nil, count: nodes.count)
        dropoutActive = Array(repeating: false, count: nodes.count)
        updateNeedsGrad()
    }

    private func updateNeedsGrad() {
        var needs = [Bool](repeating: false, count: graph.values.count)
        for id in trainable { needs[id] = true }
        needs[graph.input] = computesInputGradient
        for n in nodes { needs[n.output] = n.inputs.contains { needs[$0] } }
        needsGrad = needs
        for id in graph.values.indices where needs[id] && grad[id] == nil {
            grad[id] = FloatBuffer(count: graph.values[id].shape.elementCount)
        }
    }

    // MARK: - Access

    /// Number of floats in one input sample.
    public var inputSize: Int { graph.values[graph.input].shape.elementCount / batchSize }

    /// The current contents of a value (activation after ``forward(_:)``, or parameter).
    public func values(_ id: ValueID) -> UnsafeBufferPointer<Float> { store[id]!.ro }

    /// A copy of a parameter.
    public func parameter(_ id: ValueID) -> [Float] { store[id]!.array }

    /// Overwrites a parameter (same element count).
    public func setParameter(_ id: ValueID, _ v: [Float]) {
        precondition(v.count == store[id]!.count, "parameter '\(graph.values[id].name)' holds \(store[id]!.count) floats, got \(v.count)")
        _ = store[id]!.p.update(fromContentsOf: v)
    }

    /// A copy of the accumulated gradient of `id` (zeros when it has none).
    public func gradient(_ id: ValueID) -> [Float] {
        grad[id]?.array ?? [Float](repeating: 0, count: graph.values[id].shape.elementCount)
    }

    /// The parameter buffer and its gradient buffer, for optimisers.
    func parameterAndGradient(_ id: ValueID) -> (UnsafeMutableBufferPointer<Float>, UnsafeMutableBufferPointer<Float>) {
        (store[id]!.p, grad[id]!.p)
    }

    /// Zeroes the gradients of every parameter.
    public func zeroParameterGradients() {
        for id in parameterIDs { grad[id]?.zero() }
    }

    /// The graph as given, with the current parameters and running statistics as its constants.
    public func exportGraph() -> Graph {
        var g = template
        for id in parameterIDs { g.constants[id] = TensorData(copying: store[id]!.array) }
        return g
    }

    // MARK: - Forward

    /// Runs every node on `input` (`batchSize × inputSize` floats).
    public func forward(_ input: UnsafeBufferPointer<Float>) {
        precondition(input.count == store[graph.input]!.count, "forward: expected \(store[graph.input]!.count) input floats, got \(input.count)")
        _ = store[graph.input]!.p.update(fromContentsOf: input)
        for i in nodes.indices { forwardNode(i) }
    }

    /// Runs every node on `input`.
    public func forward(_ input: [Float]) { input.withUnsafeBufferPointer { forward($0) } }

    private func shape(_ id: ValueID) -> Shape { graph.values[id].shape }
    private func r(_ id: ValueID) -> UnsafeBufferPointer<Float> { store[id]!.ro }
    private func w(_ id: ValueID) -> UnsafeMutableBufferPointer<Float> { store[id]!.p }
    private func savedBuffer(_ i: Int, _ count: Int) -> UnsafeMutableBufferPointer<Float> {
        if saved[i] == nil || saved[i]!.count != count { saved[i] = FloatBuffer(count: count) }
        return saved[i]!.p
    }

    /// Where the pre-activation goes: the output itself without an activation, else a saved buffer.
    private func preActivation(_ i: Int, _ act: Activation) -> UnsafeMutableBufferPointer<Float> {
        act == .none ? w(nodes[i].output) : savedBuffer(i, store[nodes[i].output]!.count)
    }

    private func finishActivation(_ i: Int, _ act: Activation) {
        guard act != .none else { return }
        TrainingSession.activate(saved[i]!.ro, act, into: w(nodes[i].output))
    }

    /// Element-wise activation; ReLU and ReLU6 as plain vectorisable loops.
    static func activate(_ x: UnsafeBufferPointer<Float>, _ act: Activation, into y: UnsafeMutableBufferPointer<Float>) {
        let xp = x.baseAddress!, yp = y.baseAddress!
        switch act {
        case .relu: for j in 0..<x.count { yp[j] = max(xp[j], 0) }
        case .relu6: for j in 0..<x.count { yp[j] = min(max(xp[j], 0), 6) }
        default: ReferenceKernels.activation(x, act, into: y)
        }
    }

    func forwardNode(_ i: Int) {
        let node = nodes[i]
        let ins = node.inputs
        let xs = shape(ins[0]), ys = shape(node.output)
        let y = w(node.output)
        let bias: UnsafeBufferPointer<Float>? = ins.count > 2 ? r(ins[2]) : nil
        switch node.op {
        case .conv2d(let a):
            let z = preActivation(i, a.activation)
            var plain = a; plain.activation = .none
            if kernels == .reference {
                ReferenceKernels.conv2d(r(ins[0]), xs, weights: r(ins[1]), shape(ins[1]), bias: bias, plain, into: z, ys)
            } else {
                fastConvForward(i, x: r(ins[0]), xs, w: r(ins[1]), shape(ins[1]), bias: bias, a, z: z, ys)
            }
            finishActivation(i, a.activation)
        case .depthwiseConv2d(let a):
            let z = preActivation(i, a.activation)
            var plain = a; plain.activation = .none
            if kernels == .reference || a.depthMultiplier != 1 {
                ReferenceKernels.depthwiseConv2d(r(ins[0]), xs, weights: r(ins[1]), shape(ins[1]), bias: bias, plain, into: z, ys)
            } else {
                GEMMPathKernels.depthwiseForward(x: r(ins[0]), xs, w: r(ins[1]), shape(ins[1]), bias: bias, a, z: z, ys)
            }
            finishActivation(i, a.activation)
        case .dense(let act):
            let z = preActivation(i, act)
            let ws = shape(ins[1])
            if kernels == .reference {
                ReferenceKernels.dense(r(ins[0]), xs, weights: r(ins[1]), ws, bias: bias, activation: .none, into: z)
            } else {
                let k = ws[0], n = ws[1], m = xs.elementCount / k
                gemm(kernels, transA: false, transB: false, m: m, n: n, k: k, a: r(ins[0]).baseAddress!, lda: k,
                     b: r(ins[1]).baseAddress!, ldb: n, beta: 0, c: z.baseAddress!, ldc: n)
                if let bias { GEMMPathKernels.addBias(bias, rows: m, into: z) }
            }
            finishActivation(i, act)
        case .batchNorm(let eps):
            let c = xs.last
            if stats[i] == nil { stats[i] = FloatBuffer(count: 2 * c) }
            let st = stats[i]!.p
            let mean = UnsafeMutableBufferPointer(rebasing: st[0..<c]), inv = UnsafeMutableBufferPointer(rebasing: st[c..<(2 * c)])
            let train = isTraining && trainable.contains(ins[1])
            batchStatsUsed[i] = train
            if train {
                let unbiased = BackwardKernels.batchNormTrainingForward(r(ins[0]), channels: c, gamma: r(ins[1]), beta: r(ins[2]),
                                                                        epsilon: eps, y: y, mean: mean, invStd: inv)
                let rm = w(ins[3]), rv = w(ins[4]), m = batchNormMomentum
                for ch in 0..<c {
                    rm[ch] = (1 - m) * rm[ch] + m * mean[ch]
                    rv[ch] = (1 - m) * rv[ch] + m * unbiased[ch]
                }
            } else {
                let rm = r(ins[3]), rv = r(ins[4])
                for ch in 0..<c { mean[ch] = rm[ch]; inv[ch] = 1 / (rv[ch] + eps).squareRoot() }
                ReferenceKernels.batchNorm(r(ins[0]), channels: c, gamma: r(ins[1]), beta: r(ins[2]), mean: rm, variance: rv, epsilon: eps, into: y)
            }
        case .activation(let act):
            TrainingSession.activate(r(ins[0]), act, into: y)
        case .add(let act):
            let z = preActivation(i, act)
            let a = r(ins[0]), b = r(ins[1])
            for j in 0..<z.count { z[j] = a[j] + b[j] }
            finishActivation(i, act)
        case .matmul(let tb):
            if kernels == .reference {
                ReferenceKernels.matmul(r(ins[0]), xs, r(ins[1]), shape(ins[1]), transposeB: tb, into: y)
            } else {
                let m = xs[-2], k = xs[-1], n = ys[-1], batches = xs.elementCount / (m * k)
                let a = r(ins[0]).baseAddress!, b = r(ins[1]).baseAddress!
                for bt in 0..<batches {
                    gemm(kernels, transA: false, transB: tb, m: m, n: n, k: k, a: a + bt * m * k, lda: k, b: b + bt * k * n,
                         ldb: tb ? k : n, beta: 0, c: y.baseAddress! + bt * m * n, ldc: n)
                }
            }
        case .multiHeadSelfAttention(let heads):
            attentionForward(i, heads: heads)
        case .dropout(let rate):
            let x = r(ins[0])
            dropoutActive[i] = isTraining && rate > 0
            if dropoutActive[i] {
                let mask = savedBuffer(i, x.count)
                var rng = SeededGenerator(seed: mixSeed(dropoutSeed, UInt64(i)))
                let keep = 1 / (1 - rate)
                for j in 0..<x.count {
                    let u = Float(rng.next() >> 40) * 0x1p-24
                    mask[j] = u < rate ? 0 : keep
                    y[j] = x[j] * mask[j]
                }
            } else {
                _ = y.update(fromContentsOf: x)
            }
        default:
            // Checked at init: every other operator is a DifferentiableOperator.
            (node.op.definition as! any DifferentiableOperator).trainingForward(ins.map { r($0) }, ins.map { shape($0) }, into: y, ys)
        }
    }

    /// Whether `op` has its training pass written out in this file rather than through ``DifferentiableOperator``.
    static func hasBuiltInPass(_ op: Operator) -> Bool {
        switch op {
        case .conv2d, .depthwiseConv2d, .dense, .batchNorm, .activation, .add, .matmul, .multiHeadSelfAttention, .dropout:
            return true
        default:
            return false
        }
    }

    // MARK: - Backward

    /// Backpropagates from `seeds` (gradients of the loss with respect to some values, usually the
    /// ``exitLogits``). Parameter gradients are **added** to what they hold (call
    /// ``zeroParameterGradients()`` between steps); activation gradients start from zero.
    public func backward(seeds: [(ValueID, [Float])]) {
        for id in graph.values.indices where !graph.isConstant(id) {
            if hasGrad[id] { grad[id]?.zero() }
            hasGrad[id] = false
        }
        for (id, g) in seeds where needsGrad[id] {
            let d = grad[id]!.p
            precondition(g.count == d.count, "seed for '\(graph.values[id].name)' has \(g.count) floats, expected \(d.count)")
            for j in 0..<g.count { d[j] += g[j] }
            hasGrad[id] = true
        }
        for i in nodes.indices.reversed() where hasGrad[nodes[i].output] && needsGrad[nodes[i].output] {
            backwardNode(i)
        }
    }

    /// The gradient buffer of `id` to accumulate into, or nil when `id` needs no gradient.
    private func g(_ id: ValueID) -> UnsafeMutableBufferPointer<Float>? {
        guard needsGrad[id] else { return nil }
        hasGrad[id] = true
        return grad[id]!.p
    }

    /// The gradient at the pre-activation: dy itself, or dy·f'(z) in scratch slot 9.
    private func preActivationGradient(_ i: Int, _ act: Activation) -> UnsafeBufferPointer<Float> {
        let dy = grad[nodes[i].output]!.ro
        if act == .none { return dy }
        let dz = UnsafeMutableBufferPointer(start: scratch.get(9, dy.count), count: dy.count)
        BackwardKernels.activationBackward(z: saved[i]!.ro, act, dy: dy, into: dz)
        return UnsafeBufferPointer(dz)
    }

    func backwardNode(_ i: Int) {
        let node = nodes[i]
        let ins = node.inputs
        let xs = shape(ins[0]), ys = shape(node.output)
        let dy = grad[node.output]!.ro
        switch node.op {
        case .conv2d(let a):
            let dz = preActivationGradient(i, a.activation)
            let dx = g(ins[0]), dw = g(ins[1]), db = ins.count > 2 ? g(ins[2]) : nil
            if kernels == .reference {
                BackwardKernels.conv2dBackward(x: r(ins[0]), xs, weights: r(ins[1]), shape(ins[1]), dz: dz, ys, a, dx: dx, dw: dw, db: db)
            } else {
                fastConvBackward(i, x: r(ins[0]), xs, w: r(ins[1]), shape(ins[1]), a, dz: dz, ys, dx: dx, dw: dw, db: db)
            }
        case .depthwiseConv2d(let a):
            let dz = preActivationGradient(i, a.activation)
            let dx = g(ins[0]), dw = g(ins[1]), db = ins.count > 2 ? g(ins[2]) : nil
            if kernels == .reference || a.depthMultiplier != 1 {
                BackwardKernels.depthwiseConv2dBackward(x: r(ins[0]), xs, weights: r(ins[1]), shape(ins[1]), dz: dz, ys, a, dx: dx, dw: dw, db: db)
            } else {
                GEMMPathKernels.depthwiseBackward(x: r(ins[0]), xs, w: r(ins[1]), shape(ins[1]), a, dz: dz, ys, dx: dx, dw: dw, db: db)
            }
        case .dense(let act):
            let dz = preActivationGradient(i, act)
            let dx = g(ins[0]), dw = g(ins[1]), db = ins.count > 2 ? g(ins[2]) : nil
            let ws = shape(ins[1])
            if kernels == .reference {
                BackwardKernels.denseBackward(x: r(ins[0]), weights: r(ins[1]), ws, dz: dz, dx: dx, dw: dw, db: db)
            } else {
                let k = ws[0], n = ws[1], m = xs.elementCount / k
                if let db { GEMMPathKernels.columnSums(dz, rows: m, into: db) }
                if let dw {
                    gemm(kernels, transA: true, transB: false, m: k, n: n, k: m, a: r(ins[0]).baseAddress!, lda: k,
                         b: dz.baseAddress!, ldb: n, beta: 1, c: dw.baseAddress!, ldc: n)
                }
                if let dx {
                    gemm(kernels, transA: false, transB: true, m: m, n: k, k: n, a: dz.baseAddress!, lda: n,
                         b: r(ins[1]).baseAddress!, ldb: n, beta: 1, c: dx.baseAddress!, ldc: k)
                }
            }
        case .batchNorm:
            let c = xs.last, st = stats[i]!.ro
            BackwardKernels.batchNormBackward(x: r(ins[0]), channels: c, gamma: r(ins[1]),
                                              mean: UnsafeBufferPointer(rebasing: st[0..<c]), invStd: UnsafeBufferPointer(rebasing: st[c..<(2 * c)]),
                                              batchStatistics: batchStatsUsed[i], dy: dy, dx: g(ins[0]), dgamma: g(ins[1]), dbeta: g(ins[2]))
        case .activation(let act):
            guard let dx = g(ins[0]) else { return }
            let x = r(ins[0]).baseAddress!, gy = dy.baseAddress!, d = dx.baseAddress!
            // Load dy unconditionally: a conditional load compiles to a branch that mispredicts on
            // random signs (5 ns/element); this form is a select and vectorises.
            if act == .relu { for j in 0..<dy.count { let gv = gy[j]; d[j] += x[j] > 0 ? gv : 0 } }
            else { for j in 0..<dy.count { d[j] += gy[j] * BackwardKernels.derivative(x[j], act) } }
        case .add(let act):
            let dz = preActivationGradient(i, act)
            for id in ins { if let d = g(id)?.baseAddress { let src = dz.baseAddress!; for j in 0..<dz.count { d[j] += src[j] } } }
        case .matmul(let tb):
            let da = g(ins[0]), db = g(ins[1])
            if kernels == .reference {
                BackwardKernels.matmulBackward(a: r(ins[0]), xs, b: r(ins[1]), shape(ins[1]), transposeB: tb, dy: dy, da: da, db: db)
            } else {
                let m = xs[-2], k = xs[-1], n = ys[-1], batches = xs.elementCount / (m * k)
                let a = r(ins[0]).baseAddress!, b = r(ins[1]).baseAddress!
                for bt in 0..<batches {
                    let dyb = dy.baseAddress! + bt * m * n
                    if let da {
                        // dA[M,K] += dY[M,N] · op(B)ᵀ
                        gemm(kernels, transA: false, transB: !tb, m: m, n: k, k: n, a: dyb, lda: n, b: b + bt * k * n,
                             ldb: tb ? k : n, beta: 1, c: da.baseAddress! + bt * m * k, ldc: k)
                    }
                    if let db {
                        if tb {  // dB[N,K] += dYᵀ · A
                            gemm(kernels, transA: true, transB: false, m: n, n: k, k: m, a: dyb, lda: n, b: a + bt * m * k,
                                 ldb: k, beta: 1, c: db.baseAddress! + bt * k * n, ldc: k)
                        } else {  // dB[K,N] += Aᵀ · dY
                            gemm(kernels, transA: true, transB: false, m: k, n: n, k: m, a: a + bt * m * k, lda: k, b: dyb,
                                 ldb: n, beta: 1, c: db.baseAddress! + bt * k * n, ldc: n)
                        }
                    }
                }
            }
        case .multiHeadSelfAttention(let heads):
            attentionBackward(i, heads: heads)
        case .dropout:
            guard let dx = g(ins[0]) else { return }
            if dropoutActive[i] {
                let mask = saved[i]!.ro
                for j in 0..<dy.count { dx[j] += dy[j] * mask[j] }
            } else {
                for j in 0..<dy.count { dx[j] += dy[j] }
            }
        default:
            (node.op.definition as! any DifferentiableOperator).backward(ins.map { r($0) }, ins.map { shape($0) }, output: r(node.output), ys,
                                                                     dy: dy, dx: ins.map { g($0) })
        }
    }

    // MARK: - GEMM convolution paths

    private func isPointwise(_ ws: Shape, _ a: ConvAttributes) -> Bool {
        ws[0] == 1 && ws[1] == 1 && a.stride == .one && a.padding == .valid
    }

    private func fastConvForward(_ i: Int, x: UnsafeBufferPointer<Float>, _ xs: Shape, w: UnsafeBufferPointer<Float>, _ ws: Shape,
                                 bias: UnsafeBufferPointer<Float>?, _ a: ConvAttributes, z: UnsafeMutableBufferPointer<Float>, _ ys: Shape) {
        let cout = ws[3], kdim = ws[0] * ws[1] * ws[2], m = ys.elementCount / cout
        let lhs: UnsafePointer<Float>
        if isPointwise(ws, a) {
            lhs = x.baseAddress!
        } else {
            if columns[i] == nil || columns[i]!.count != m * kdim { columns[i] = FloatBuffer(count: m * kdim) }
            let col = columns[i]!.base
            GEMMPathKernels.im2col(x, xs, ws, a, ys, into: col)
            lhs = UnsafePointer(col)
        }
        gemm(kernels, transA: false, transB: false, m: m, n: cout, k: kdim, a: lhs, lda: kdim, b: w.baseAddress!, ldb: cout,
             beta: 0, c: z.baseAddress!, ldc: cout)
        if let bias { GEMMPathKernels.addBias(bias, rows: m, into: z) }
    }

    private func fastConvBackward(_ i: Int, x: UnsafeBufferPointer<Float>, _ xs: Shape, w: UnsafeBufferPointer<Float>, _ ws: Shape,
                                  _ a: ConvAttributes, dz: UnsafeBufferPointer<Float>, _ ys: Shape,
                                  dx: UnsafeMutableBufferPointer<Float>?, dw: UnsafeMutableBufferPointer<Float>?,
                                  db: UnsafeMutableBufferPointer<Float>?) {
        let cout = ws[3], cin = ws[2], kdim = ws[0] * ws[1] * cin, m = ys.elementCount / cout
        let pointwise = isPointwise(ws, a)
        if let db { GEMMPathKernels.columnSums(dz, rows: m, into: db) }
        if let dw {
            let lhs: UnsafePointer<Float>
            if pointwise { lhs = x.baseAddress! } else { lhs = UnsafePointer(columns[i]!.base) }  // im2col of the forward pass
            gemm(kernels, transA: true, transB: false, m: kdim, n: cout, k: m, a: lhs, lda: kdim, b: dz.baseAddress!, ldb: cout,
                 beta: 1, c: dw.baseAddress!, ldc: cout)
        }
        if let dx {
            if pointwise {
                gemm(kernels, transA: false, transB: true, m: m, n: cin, k: cout, a: dz.baseAddress!, lda: cout,
                     b: w.baseAddress!, ldb: cout, beta: 1, c: dx.baseAddress!, ldc: cin)
            } else {
                let dcol = scratch.get(1, m * kdim)
                gemm(kernels, transA: false, transB: true, m: m, n: kdim, k: cout, a: dz.baseAddress!, lda: cout,
                     b: w.baseAddress!, ldb: cout, beta: 0, c: dcol, ldc: kdim)
                GEMMPathKernels.col2imAdd(UnsafePointer(dcol), xs, ws, a, ys, into: dx)
            }
        }
    }

    // MARK: - Attention

    /// Saved: Q, K, V, context (each N·T·D) and the attention probabilities (N·heads·T·T).
    private func attentionForward(_ i: Int, heads: Int) {
        let ins = nodes[i].inputs
        let xs = shape(ins[0])
        let n = xs[0], t = xs[1], d = xs[2], hd = d / heads, td = t * d
        let buf = savedBuffer(i, 4 * n * td + n * heads * t * t).baseAddress!
        let q = buf, k = q + n * td, v = k + n * td, ctx = v + n * td, probs = ctx + n * td
        let x = r(ins[0]).baseAddress!
        let wts = (1...4).map { r(ins[$0]).baseAddress! }, bs = (5...8).map { r(ins[$0]) }
        let y = w(nodes[i].output).baseAddress!
        let scale = 1 / Float(hd).squareRoot()
        for b in 0..<n {
            let xb = x + b * td
            for (dst, j) in [(q, 0), (k, 1), (v, 2)] {
                gemm(kernels, transA: false, transB: false, m: t, n: d, k: d, a: xb, lda: d, b: wts[j], ldb: d, beta: 0, c: dst + b * td, ldc: d)
                GEMMPathKernels.addBias(bs[j], rows: t, into: UnsafeMutableBufferPointer(start: dst + b * td, count: td))
            }
            for h in 0..<heads {
                let off = b * td + h * hd, p = probs + (b * heads + h) * t * t
                gemm(kernels, transA: false, transB: true, m: t, n: t, k: hd, a: q + off, lda: d, b: k + off, ldb: d, beta: 0, c: p, ldc: t)
                for j in 0..<(t * t) { p[j] *= scale }
                let pb = UnsafeMutableBufferPointer(start: p, count: t * t)
                ReferenceKernels.softmax(UnsafeBufferPointer(pb), lastAxis: t, into: pb)
                gemm(kernels, transA: false, transB: false, m: t, n: hd, k: t, a: p, lda: t, b: v + off, ldb: d, beta: 0, c: ctx + off, ldc: d)
            }
            gemm(kernels, transA: false, transB: false, m: t, n: d, k: d, a: ctx + b * td, lda: d, b: wts[3], ldb: d, beta: 0, c: y + b * td, ldc: d)
            GEMMPathKernels.addBias(bs[3], rows: t, into: UnsafeMutableBufferPointer(start: y + b * td, count: td))
        }
    }

    private func attentionBackward(_ i: Int, heads: Int) {
        let ins = nodes[i].inputs
        let xs = shape(ins[0])
        let n = xs[0], t = xs[1], d = xs[2], hd = d / heads, td = t * d
        let buf = saved[i]!.base
        let q = buf, k = q + n * td, v = k + n * td, ctx = v + n * td, probs = ctx + n * td
        let x = r(ins[0]).baseAddress!, dy = grad[nodes[i].output]!.base
        let wts = (1...4).map { r(ins[$0]).baseAddress! }
        let dws = (1...4).map { g(ins[$0]) }, dbs = (5...8).map { g(ins[$0]) }
        let dx = g(ins[0])
        let scale = 1 / Float(hd).squareRoot()
        let dctx = scratch.get(2, td), dq = scratch.get(3, td), dk = scratch.get(4, td), dv = scratch.get(5, td)
        let dp = scratch.get(6, t * t)
        for b in 0..<n {
            let xb = x + b * td, dyb = dy + b * td
            if let dbo = dbs[3] { GEMMPathKernels.columnSums(UnsafeBufferPointer(start: dyb, count: td), rows: t, into: dbo) }
            if let dwo = dws[3] {
                gemm(kernels, transA: true, transB: false, m: d, n: d, k: t, a: ctx + b * td, lda: d, b: dyb, ldb: d, beta: 1, c: dwo.baseAddress!, ldc: d)
            }
            gemm(kernels, transA: false, transB: true, m: t, n: d, k: d, a: dyb, lda: d, b: wts[3], ldb: d, beta: 0, c: dctx, ldc: d)
            for h in 0..<heads {
                let off = h * hd, boff = b * td + off, p = probs + (b * heads + h) * t * t
                // dP = dctx_h · V_hᵀ ; dV_h = Pᵀ · dctx_h
                gemm(kernels, transA: false, transB: true, m: t, n: t, k: hd, a: dctx + off, lda: d, b: v + boff, ldb: d, beta: 0, c: dp, ldc: t)
                gemm(kernels, transA: true, transB: false, m: t, n: hd, k: t, a: p, lda: t, b: dctx + off, ldb: d, beta: 0, c: dv + off, ldc: d)
                // dS = P ⊙ (dP − rowsum(dP ⊙ P)), times the score scale
                for row in 0..<t {
                    var dot: Float = 0
                    for j in 0..<t { dot += dp[row * t + j] * p[row * t + j] }
                    for j in 0..<t { dp[row * t + j] = p[row * t + j] * (dp[row * t + j] - dot) * scale }
                }
                gemm(kernels, transA: false, transB: false, m: t, n: hd, k: t, a: dp, lda: t, b: k + boff, ldb: d, beta: 0, c: dq + off, ldc: d)
                gemm(kernels, transA: true, transB: false, m: t, n: hd, k: t, a: dp, lda: t, b: q + boff, ldb: d, beta: 0, c: dk + off, ldc: d)
            }
            for (j, dm) in [dq, dk, dv].enumerated() {
                if let dw = dws[j] {
                    gemm(kernels, transA: true, transB: false, m: d, n: d, k: t, a: xb, lda: d, b: dm, ldb: d, beta: 1, c: dw.baseAddress!, ldc: d)
                }
                if let dbias = dbs[j] { GEMMPathKernels.columnSums(UnsafeBufferPointer(start: dm, count: td), rows: t, into: dbias) }
                if let dx {
                    gemm(kernels, transA: false, transB: true, m: t, n: d, k: d, a: dm, lda: d, b: wts[j], ldb: d, beta: 1, c: dx.baseAddress! + b * td, ldc: d)
                }
            }
        }
    }
}

/// Mixes two 64-bit values into a seed (SplitMix64 finaliser), for per-step and per-node streams.
@inline(__always)
func mixSeed(_ a: UInt64, _ b: UInt64) -> UInt64 {
    var z = a &+ 0x9E37_79B9_7F4A_7C15 &* (b &+ 1)
    z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
    z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
    return z ^ (z >> 31)
}
