import EdgewiseCore
import Foundation

/// Exit heads attached to an existing (e.g. imported, pretrained) model, trained on its frozen backbone:
/// `edgewise exits add`.
public enum ExitRetrofit {
    /// The head architectures `edgewise exits add --head` offers.
    public enum Head: String, CaseIterable, Sendable {
        /// Global average pool → dense → softmax (C × classes weights).
        case poolDense = "pool-dense"
        /// Global average pool → dense (64, ReLU) → dense → softmax: a little more capacity on shallow features.
        case poolDenseDense = "pool-dense-dense"
    }

    /// `graph` with an exit head after each trunk node named in `after` (in execution order). Each named
    /// node must be a trunk node producing a `[N,H,W,C]` (or `[N,W,C]`) activation and must not be the
    /// last trunk node. Stages are split at those nodes; existing exits are kept. New heads are named
    /// `exit@NODE` and initialised from `seed`.
    public static func addingExits(to graph: Graph, after nodes: [String], head: Head = .poolDense, classes: Int? = nil,
                                   seed: UInt64 = 1) throws -> Graph {
        guard !nodes.isEmpty else { throw TrainingError.invalidArgument("name at least one node to attach an exit after") }
        var g = graph
        let finalOut = g.values[g.exits.last!.head.output]
        let classCount = classes ?? finalOut.shape.last
        var rng = SeededGenerator(seed: seed)
        for name in nodes {
            guard let si = g.stages.firstIndex(where: { $0.nodes.contains { $0.name == name } }) else {
                let trunk = g.stages.flatMap { $0.nodes.map(\.name) }
                throw TrainingError.invalidArgument("no trunk node named '\(name)' (trunk nodes: \(trunk.joined(separator: ", ")))")
            }
            let stage = g.stages[si]
            let ni = stage.nodes.firstIndex { $0.name == name }!
            guard ni < stage.nodes.count - 1 else {
                throw TrainingError.invalidArgument("'\(name)' ends stage '\(stage.name)', which already has \(stage.exit.map { "exit '\($0.name)'" } ?? "no exit"); attach after an inner node")
            }
            let src = stage.nodes[ni].output
            let shape = g.values[src].shape
            guard shape.rank >= 3 else { throw TrainingError.invalidArgument("'\(name)' outputs \(shape), not a feature map [N,(H,)W,C]") }
            let c = shape.last
            let exitName = "exit@\(name)"
            func value(_ n: String, _ s: Shape) -> ValueID { g.values.append(Value(name: n, shape: s)); return g.values.count - 1 }
            func constant(_ n: String, _ s: Shape, _ f: [Float]) -> ValueID {
                let id = value(n, s); g.constants[id] = TensorData(copying: f); return id
            }
            func he(_ fanIn: Int, _ count: Int) -> [Float] {
                let a = (6 / Float(fanIn)).squareRoot()
                return rng.uniform(count: count, -a...a)
            }
            var headNodes: [Node] = []
            let pooled = value("\(exitName).pool", [shape[0], c])
            headNodes.append(Node(name: "\(exitName).pool", op: .globalAveragePool, inputs: [src], output: pooled))
            var x = pooled, width = c
            if head == .poolDenseDense {
                let hidden = 64
                let w = constant("\(exitName).fc1.weights", [width, hidden], he(width, width * hidden))
                let b = constant("\(exitName).fc1.bias", [hidden], [Float](repeating: 0, count: hidden))
                let y = value("\(exitName).fc1", [shape[0], hidden])
                headNodes.append(Node(name: "\(exitName).fc1", op: .dense(activation: .relu), inputs: [x, w, b], output: y))
                x = y; width = hidden
            }
            let w = constant("\(exitName).fc.weights", [width, classCount], he(width, width * classCount))
            let b = constant("\(exitName).fc.bias", [classCount], [Float](repeating: 0, count: classCount))
            let logits = value("\(exitName).fc", [shape[0], classCount])
            headNodes.append(Node(name: "\(exitName).fc", op: .dense(activation: .none), inputs: [x, w, b], output: logits))
            let probs = value("\(exitName).softmax", [shape[0], classCount])
            headNodes.append(Node(name: "\(exitName).softmax", op: .softmax, inputs: [logits], output: probs))
            let first = Stage(name: "\(stage.name).to.\(name)", nodes: Array(stage.nodes[...ni]), exit: ExitHead(name: exitName, nodes: headNodes, output: probs))
            let rest = Stage(name: stage.name, nodes: Array(stage.nodes[(ni + 1)...]), exit: stage.exit)
            g.stages.replaceSubrange(si...si, with: [first, rest])
        }
        try g.validate()
        return g
    }

    /// Trains the heads of `graph` that are not its final exit on a frozen backbone (the final exit's
    /// weights are restored afterwards, so its answers do not change), optionally distilled from the
    /// final exit (`distillation`: weight and temperature of the KL term). Returns the trained graph
    /// and the validation accuracy per exit.
    public static func trainHeads(_ graph: Graph, train: any Dataset, validation: any Dataset, epochs: Int = 20, batchSize: Int = 32,
                                  learningRate: Float = 0.005, distillation: SelfDistillation? = SelfDistillation(weight: 0.5, temperature: 3),
                                  seed: UInt64 = 1, progress: (@Sendable (TrainingProgress) -> Void)? = nil) throws -> (graph: Graph, validationAccuracy: [Float]) {
        let exits = graph.exits.count
        guard exits >= 2 else { throw TrainingError.invalidArgument("the model has no early exit to train") }
        let inputSize = graph.values[graph.input].shape.elementCount / max(1, graph.values[graph.input].shape[0])
        var recipe = TrainingRecipe(name: "exit-heads", seed: seed,
                                    model: ModelSpec(inputFrames: inputSize, inputCoefficients: 1, classes: graph.values[graph.exits.last!.head.output].shape.last),
                                    data: DataSpec(source: "given", synthetic: nil), epochs: epochs, batchSize: batchSize,
                                    optimizer: OptimizerConfig(.adamW, learningRate: learningRate, weightDecay: 0, clipGradientNorm: 5),
                                    schedule: LearningRateSchedule(warmupSteps: 20, decay: .cosine), outputDirectory: NSTemporaryDirectory())
        recipe.freezeBackbone = true
        recipe.exitWeights = (0..<exits).map { $0 == exits - 1 ? 0 : 1 }
        recipe.selfDistillation = distillation
        let result = try Trainer.run(recipe: recipe, train: train, validation: validation, initialGraph: graph,
                                     options: TrainerOptions(resume: false, progress: progress, writeFiles: false))
        var out = result.graph
        // The final head is the model's own classifier: keep it bit-exact.
        for n in graph.stages.last!.exit!.nodes { for i in n.inputs where graph.constants[i] != nil { out.constants[i] = graph.constants[i] } }
        let acc = try Trainer.evaluate(graph: out, dataset: validation).accuracy
        return (out, acc)
    }

    /// The fast path for heads that start with a global average pool (both ``Head`` kinds): the pooled
    /// trunk features each head sees are computed once, with the inference executor, and each head's
    /// remaining layers are trained as a small classifier on them (labels only). On a frozen backbone this
    /// is the same optimisation problem as ``trainHeads(_:train:validation:epochs:batchSize:learningRate:distillation:seed:progress:)``
    /// without distillation, at the cost of one forward pass instead of one per epoch.
    public static func trainHeadsOnCachedFeatures(_ graph: Graph, train: any Dataset, validation: any Dataset, epochs: Int = 40,
                                                  batchSize: Int = 32, learningRate: Float = 0.01, seed: UInt64 = 1,
                                                  progress: (@Sendable (TrainingProgress) -> Void)? = nil) throws -> (graph: Graph, validationAccuracy: [Float]) {
        let early = graph.exits.dropLast()
        guard !early.isEmpty else { throw TrainingError.invalidArgument("the model has no early exit to train") }
        for (_, h) in early where h.nodes.first.map({ if case .globalAveragePool = $0.op { return false } else { return true } }) ?? true {
            throw TrainingError.invalidArgument("exit '\(h.name)' does not start with a global average pool; train it with trainHeads")
        }
        // 1. Pooled features: the same graph with every early head cut after its pool.
        var aux = graph
        for si in aux.stages.indices where si < aux.stages.count - 1 {
            if let h = aux.stages[si].exit { aux.stages[si].exit = ExitHead(name: h.name, nodes: [h.nodes[0]], output: h.nodes[0].output) }
        }
        let exec = try Executor(graph: aux)
        func pooled(_ data: any Dataset) -> [[(features: [Float], label: Int)]] {
            var out = [[(features: [Float], label: Int)]](repeating: [], count: early.count)
            for i in 0..<data.count {
                let s = data.sample(at: i)
                _ = exec.input.update(fromContentsOf: s.features)
                var k = 0
                exec.run { o in out[k].append((Array(o.values), s.label)); k += 1; return .continue }
            }
            return out
        }
        let trainFeatures = pooled(train), valFeatures = pooled(validation)
        // 2. Each head without its pool, as a graph of its own, trained on those features.
        var result = graph
        for (k, (_, h)) in early.enumerated() {
            let small = try headGraph(graph, head: h)
            let classes = graph.values[h.output].shape.last
            let width = graph.values[h.nodes[0].output].shape.last
            let recipe = TrainingRecipe(name: "exit-head-\(k)", seed: seed &+ UInt64(k),
                                        model: ModelSpec(inputFrames: width, inputCoefficients: 1, classes: classes),
                                        data: DataSpec(source: "given", synthetic: nil), epochs: epochs, batchSize: batchSize,
                                        optimizer: OptimizerConfig(.adamW, learningRate: learningRate, weightDecay: 1e-4, clipGradientNorm: 5),
                                        schedule: LearningRateSchedule(warmupSteps: 20, decay: .cosine), outputDirectory: NSTemporaryDirectory())
            let r = try Trainer.run(recipe: recipe, train: ArrayDataset(trainFeatures[k], classCount: classes),
                                    validation: ArrayDataset(valFeatures[k], classCount: classes), initialGraph: small,
                                    options: TrainerOptions(resume: false, progress: progress, writeFiles: false))
            var byName: [String: TensorData] = [:]
            for (id, c) in r.graph.constants { byName[r.graph.values[id].name] = c }
            for n in h.nodes { for i in n.inputs where graph.constants[i] != nil { result.constants[i] = byName[graph.values[i].name] ?? graph.constants[i] } }
        }
        let acc = try Trainer.evaluate(graph: result, dataset: validation).accuracy
        return (result, acc)
    }

    /// `head` minus its first node (the pool), as a graph whose input is the pooled value.
    static func headGraph(_ g: Graph, head: ExitHead) throws -> Graph {
        let nodes = Array(head.nodes.dropFirst())
        var map: [ValueID: ValueID] = [:], values: [Value] = [], constants: [ValueID: TensorData] = [:]
        func id(_ v: ValueID) -> ValueID {
            if let m = map[v] { return m }
            values.append(g.values[v]); map[v] = values.count - 1
            if let c = g.constants[v] { constants[values.count - 1] = c }
            return values.count - 1
        }
        let input = id(head.nodes[0].output)
        let remapped = nodes.map { n in Node(name: n.name, op: n.op, inputs: n.inputs.map(id), output: id(n.output)) }
        let trunk = Array(remapped.dropLast()), exit = [remapped.last!]
        let graph = Graph(values: values, constants: constants, input: input,
                          stages: [Stage(name: "head", nodes: trunk, exit: ExitHead(name: head.name, nodes: exit, output: map[head.output]!))])
        try graph.validate()
        return graph
    }
}

