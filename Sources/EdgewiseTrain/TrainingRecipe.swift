import EdgewiseArchitectures
import EdgewiseCore
import Foundation

/// The model a recipe trains: a multi-exit DS-CNN (``DSCNN``) of a given size.
public struct ModelSpec: Codable, Equatable, Sendable {
    /// Only `"dscnn"` today.
    public var architecture: String
    public var inputFrames: Int, inputCoefficients: Int, classes: Int
    public var channels: Int, blocks: Int
    /// First convolution kernel and stride, `[h, w]`.
    public var firstKernel: [Int], firstStride: [Int]
    /// Attach an early exit after this many blocks (nil: single exit).
    public var earlyExitAfterBlock: Int?
    /// Batch norm after every convolution (trained with batch statistics, folded at inference).
    public var batchNorm: Bool
    /// Dropout rate before each exit's classifier (0: none).
    public var dropout: Float

    public init(architecture: String = "dscnn", inputFrames: Int = 49, inputCoefficients: Int = 10, classes: Int = 12,
                channels: Int = 64, blocks: Int = 4, firstKernel: [Int] = [10, 4], firstStride: [Int] = [2, 2],
                earlyExitAfterBlock: Int? = 1, batchNorm: Bool = true, dropout: Float = 0) {
        self.architecture = architecture; self.inputFrames = inputFrames; self.inputCoefficients = inputCoefficients
        self.classes = classes; self.channels = channels; self.blocks = blocks; self.firstKernel = firstKernel
        self.firstStride = firstStride; self.earlyExitAfterBlock = earlyExitAfterBlock; self.batchNorm = batchNorm
        self.dropout = dropout
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let d = ModelSpec()
        architecture = try c.decodeIfPresent(String.self, forKey: .architecture) ?? d.architecture
        inputFrames = try c.decodeIfPresent(Int.self, forKey: .inputFrames) ?? d.inputFrames
        inputCoefficients = try c.decodeIfPresent(Int.self, forKey: .inputCoefficients) ?? d.inputCoefficients
        classes = try c.decodeIfPresent(Int.self, forKey: .classes) ?? d.classes
        channels = try c.decodeIfPresent(Int.self, forKey: .channels) ?? d.channels
        blocks = try c.decodeIfPresent(Int.self, forKey: .blocks) ?? d.blocks
        firstKernel = try c.decodeIfPresent([Int].self, forKey: .firstKernel) ?? d.firstKernel
        firstStride = try c.decodeIfPresent([Int].self, forKey: .firstStride) ?? d.firstStride
        earlyExitAfterBlock = c.contains(.earlyExitAfterBlock) ? try c.decodeIfPresent(Int.self, forKey: .earlyExitAfterBlock) : d.earlyExitAfterBlock
        batchNorm = try c.decodeIfPresent(Bool.self, forKey: .batchNorm) ?? d.batchNorm
        dropout = try c.decodeIfPresent(Float.self, forKey: .dropout) ?? d.dropout
    }

    /// DS-CNN-S as in ``DSCNN/Config/small``, with batch norm.
    public static var dscnnSmall: ModelSpec { ModelSpec() }

    /// Builds the batch-1 graph with weights initialised from `seed` (batch norms start at
    /// γ = 1, β = 0, running mean 0, running variance 1).
    public func build(seed: UInt64) throws -> Graph {
        guard architecture == "dscnn" else { throw TrainingError.badRecipe("unknown architecture '\(architecture)' (known: dscnn)") }
        guard firstKernel.count == 2, firstStride.count == 2 else { throw TrainingError.badRecipe("firstKernel and firstStride are [h, w]") }
        guard dropout >= 0 && dropout < 1 else { throw TrainingError.badRecipe("dropout must be in [0, 1)") }
        var c = DSCNN.Config()
        c.inputFrames = inputFrames; c.inputCoefficients = inputCoefficients; c.classes = classes
        c.channels = channels; c.blocks = blocks
        c.firstKernel = Size2D(firstKernel[0], firstKernel[1]); c.firstStride = Size2D(firstStride[0], firstStride[1])
        if let e = earlyExitAfterBlock, !(1..<blocks).contains(e) {
            throw TrainingError.badRecipe("earlyExitAfterBlock must be in 1..<\(blocks), got \(e)")
        }
        c.earlyExitAfterBlock = earlyExitAfterBlock
        c.batchNorm = batchNorm
        var g: Graph
        do { g = try DSCNN.build(c, seed: seed) } catch { throw TrainingError.badRecipe("model: \(error)") }
        for n in g.nodesInExecutionOrder.map(\.node) {
            if case .batchNorm = n.op {
                for (k, v) in zip(1...4, [Float(1), 0, 0, 1]) {
                    g.constants[n.inputs[k]] = TensorData(copying: [Float](repeating: v, count: g.values[n.inputs[k]].shape.elementCount))
                }
            }
        }
        return dropout > 0 ? try g.insertingDropoutBeforeClassifiers(rate: dropout) : g
    }

    /// Floats per input sample.
    public var inputSize: Int { inputFrames * inputCoefficients }
}

extension Graph {
    /// Inserts a dropout node before the first dense layer of every exit head.
    public func insertingDropoutBeforeClassifiers(rate: Float) throws -> Graph {
        var g = self
        for si in g.stages.indices {
            guard var head = g.stages[si].exit, let di = head.nodes.firstIndex(where: { if case .dense = $0.op { return true }; return false }) else { continue }
            let x = head.nodes[di].inputs[0]
            g.values.append(Value(name: head.nodes[di].name + ".dropout", shape: g.values[x].shape))
            let out = g.values.count - 1
            head.nodes.insert(Node(name: head.nodes[di].name + ".dropout", op: .dropout(rate: rate), inputs: [x], output: out), at: di)
            head.nodes[di + 1].inputs[0] = out
            g.stages[si].exit = head
        }
        try g.validate()
        return g
    }
}

/// Where the training data comes from.
public struct DataSpec: Codable, Equatable, Sendable {
    /// `"synthetic"` (made from ``synthetic``), or the name of a dataset the caller loads and passes to
    /// ``Trainer/run(recipe:train:validation:initialGraph:options:)`` (`edgewise train` knows `speech-commands`).
    public var source: String
    public var synthetic: SyntheticSignals?
    /// Sizes of the synthetic training and validation sets.
    public var trainCount: Int, validationCount: Int
    public var sampling: Sampling
    /// Built-in augmentation of training samples (nil: none).
    public var augmentation: AugmentationSpec?

    public init(source: String = "synthetic", synthetic: SyntheticSignals? = SyntheticSignals(), trainCount: Int = 4000,
                validationCount: Int = 1000, sampling: Sampling = .shuffled, augmentation: AugmentationSpec? = nil) {
        self.source = source; self.synthetic = synthetic; self.trainCount = trainCount
        self.validationCount = validationCount; self.sampling = sampling; self.augmentation = augmentation
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let d = DataSpec()
        source = try c.decodeIfPresent(String.self, forKey: .source) ?? d.source
        synthetic = try c.decodeIfPresent(SyntheticSignals.self, forKey: .synthetic) ?? (source == "synthetic" ? SyntheticSignals() : nil)
        trainCount = try c.decodeIfPresent(Int.self, forKey: .trainCount) ?? d.trainCount
        validationCount = try c.decodeIfPresent(Int.self, forKey: .validationCount) ?? d.validationCount
        sampling = try c.decodeIfPresent(Sampling.self, forKey: .sampling) ?? d.sampling
        augmentation = try c.decodeIfPresent(AugmentationSpec.self, forKey: .augmentation)
    }
}

/// Built-in augmentations: a random circular shift along the first (time) axis, a random gain and
/// additive Gaussian noise.
public struct AugmentationSpec: Codable, Equatable, Sendable {
    /// Maximum shift in rows of `rowLength` floats (0: none).
    public var maxShift: Int
    /// Floats per time step (the input's coefficients).
    public var rowLength: Int
    /// Gain drawn uniformly from `1 ± gain`.
    public var gain: Float
    /// Noise standard deviation.
    public var noise: Float

    public init(maxShift: Int = 0, rowLength: Int = 1, gain: Float = 0, noise: Float = 0) {
        self.maxShift = maxShift; self.rowLength = rowLength; self.gain = gain; self.noise = noise
    }

    /// The augmentation as a hook for ``BatchLoader``.
    public var hook: FeatureAugmentation {
        let s = self
        return { x, rng in
            if s.maxShift > 0 {
                let rows = x.count / max(1, s.rowLength)
                let k = Int.random(in: -s.maxShift...s.maxShift, using: &rng)
                if k != 0 && rows > 0 {
                    let shift = ((k % rows) + rows) % rows * s.rowLength
                    x = Array(x[(x.count - shift)...] + x[..<(x.count - shift)])
                }
            }
            if s.gain > 0 { let gk = 1 + rng.uniform(-s.gain...s.gain); for i in x.indices { x[i] *= gk } }
            if s.noise > 0 {
                for i in x.indices {
                    let u1 = max(rng.uniform(0...1), 1e-7), u2 = rng.uniform(0...1)
                    x[i] += s.noise * (-2 * Foundation.log(u1)).squareRoot() * Foundation.cos(2 * .pi * u2)
                }
            }
        }
    }
}

/// Self-distillation inside a multi-exit model: each early exit also learns the final exit's
/// softened outputs (the final exit gets no gradient from this term).
public struct SelfDistillation: Codable, Equatable, Sendable {
    public var weight: Float
    public var temperature: Float
    public init(weight: Float = 0.5, temperature: Float = 3) { self.weight = weight; self.temperature = temperature }
}

/// Teacher → student distillation: first train `model` (wider) for `epochs`, then train the recipe's
/// model with `distillation` against the teacher's logits at every exit.
public struct TeacherSpec: Codable, Equatable, Sendable {
    public var model: ModelSpec
    /// Teacher epochs (nil: the recipe's epochs).
    public var epochs: Int?
    public var distillation: DistillationLoss
    public init(model: ModelSpec, epochs: Int? = nil, distillation: DistillationLoss = .init()) {
        self.model = model; self.epochs = epochs; self.distillation = distillation
    }
}

/// Everything that defines a training run, as JSON (`edgewise train recipe.json`).
///
/// ```json
/// { "name": "signals", "seed": 7, "epochs": 8, "batchSize": 32,
///   "model": { "inputFrames": 128, "inputCoefficients": 1, "classes": 5, "channels": 16, "blocks": 3,
///              "firstKernel": [8, 1], "firstStride": [2, 1], "earlyExitAfterBlock": 1 },
///   "data": { "source": "synthetic", "synthetic": { "length": 128, "noise": 0.6 } },
///   "optimizer": { "kind": "adamW", "learningRate": 0.003, "weightDecay": 0.01, "clipGradientNorm": 5 },
///   "schedule": { "warmupSteps": 50, "decay": "cosine" },
///   "loss": { "kind": "crossEntropy", "labelSmoothing": 0.05 },
///   "exitWeights": [0.5, 1], "selfDistillation": { "weight": 0.5, "temperature": 3 } }
/// ```
/// Every field but `model` has a default.
public struct TrainingRecipe: Codable, Equatable, Sendable {
    /// Names the output files (`<name>.training.csv`, …) in ``outputDirectory``.
    public var name: String
    /// Drives weight init, data order, dropout and augmentation.
    public var seed: UInt64
    public var model: ModelSpec
    public var data: DataSpec
    public var epochs: Int
    public var batchSize: Int
    public var optimizer: OptimizerConfig
    public var schedule: LearningRateSchedule
    public var loss: Loss
    /// Set the cross-entropy class weights to inverse class frequencies of the training set.
    public var balancedClassWeights: Bool
    /// Loss weight per exit, in exit order (nil: 1 for every exit).
    public var exitWeights: [Float]?
    public var selfDistillation: SelfDistillation?
    /// Train only the exit heads; the trunk (and its batch-norm statistics) stays as given.
    public var freezeBackbone: Bool
    public var teacher: TeacherSpec?
    /// Kernel family (nil: the best this CPU runs).
    public var kernels: TrainingKernels?
    /// Also write a checkpoint every this many steps (checkpoints are always written at epoch ends).
    public var checkpointEverySteps: Int?
    public var outputDirectory: String

    public init(name: String = "model", seed: UInt64 = 42, model: ModelSpec, data: DataSpec = .init(), epochs: Int = 10,
                batchSize: Int = 32, optimizer: OptimizerConfig = .init(), schedule: LearningRateSchedule = .init(),
                loss: Loss = .init(), balancedClassWeights: Bool = false, exitWeights: [Float]? = nil,
                selfDistillation: SelfDistillation? = nil, freezeBackbone: Bool = false, teacher: TeacherSpec? = nil,
                kernels: TrainingKernels? = nil, checkpointEverySteps: Int? = nil, outputDirectory: String = "out/train") {
        self.name = name; self.seed = seed; self.model = model; self.data = data; self.epochs = epochs
        self.batchSize = batchSize; self.optimizer = optimizer; self.schedule = schedule; self.loss = loss
        self.balancedClassWeights = balancedClassWeights; self.exitWeights = exitWeights
        self.selfDistillation = selfDistillation; self.freezeBackbone = freezeBackbone; self.teacher = teacher
        self.kernels = kernels; self.checkpointEverySteps = checkpointEverySteps; self.outputDirectory = outputDirectory
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        guard let model = try c.decodeIfPresent(ModelSpec.self, forKey: .model) else { throw TrainingError.badRecipe("the recipe has no 'model'") }
        self.init(model: model)
        name = try c.decodeIfPresent(String.self, forKey: .name) ?? name
        seed = try c.decodeIfPresent(UInt64.self, forKey: .seed) ?? seed
        data = try c.decodeIfPresent(DataSpec.self, forKey: .data) ?? data
        epochs = try c.decodeIfPresent(Int.self, forKey: .epochs) ?? epochs
        batchSize = try c.decodeIfPresent(Int.self, forKey: .batchSize) ?? batchSize
        optimizer = try c.decodeIfPresent(OptimizerConfig.self, forKey: .optimizer) ?? optimizer
        schedule = try c.decodeIfPresent(LearningRateSchedule.self, forKey: .schedule) ?? schedule
        loss = try c.decodeIfPresent(Loss.self, forKey: .loss) ?? loss
        balancedClassWeights = try c.decodeIfPresent(Bool.self, forKey: .balancedClassWeights) ?? balancedClassWeights
        exitWeights = try c.decodeIfPresent([Float].self, forKey: .exitWeights)
        selfDistillation = try c.decodeIfPresent(SelfDistillation.self, forKey: .selfDistillation)
        freezeBackbone = try c.decodeIfPresent(Bool.self, forKey: .freezeBackbone) ?? freezeBackbone
        teacher = try c.decodeIfPresent(TeacherSpec.self, forKey: .teacher)
        kernels = try c.decodeIfPresent(TrainingKernels.self, forKey: .kernels)
        checkpointEverySteps = try c.decodeIfPresent(Int.self, forKey: .checkpointEverySteps)
        outputDirectory = try c.decodeIfPresent(String.self, forKey: .outputDirectory) ?? outputDirectory
    }

    /// The synthetic waveform task with a 16-channel multi-exit DS-CNN (early exit after block 1,
    /// self-distillation): trains to ≈ 90 % in a few seconds. `edgewise train --example-recipe`.
    public static var example: TrainingRecipe {
        var r = TrainingRecipe(name: "signals", seed: 7,
                               model: ModelSpec(inputFrames: 128, inputCoefficients: 1, classes: 5, channels: 16, blocks: 3,
                                                firstKernel: [16, 1], firstStride: [4, 1], earlyExitAfterBlock: 1),
                               data: DataSpec(synthetic: SyntheticSignals(length: 128), trainCount: 3000, validationCount: 1000),
                               epochs: 10, batchSize: 32,
                               optimizer: OptimizerConfig(.adamW, learningRate: 0.01, weightDecay: 1e-4, clipGradientNorm: 5),
                               schedule: LearningRateSchedule(warmupSteps: 20, decay: .cosine),
                               outputDirectory: "out/train")
        r.exitWeights = [0.5, 1]
        r.selfDistillation = SelfDistillation(weight: 0.5, temperature: 3)
        return r
    }

    /// Reads a recipe from a JSON file.
    public static func load(path: String) throws -> TrainingRecipe {
        guard let data = FileManager.default.contents(atPath: path) else { throw TrainingError.badRecipe("cannot read '\(path)'") }
        do { return try JSONDecoder().decode(TrainingRecipe.self, from: data) }
        catch let e as TrainingError { throw e }
        catch { throw TrainingError.badRecipe("'\(path)': \(error)") }
    }

    /// The recipe as pretty-printed JSON.
    public func json() -> String {
        let e = JSONEncoder()
        e.outputFormatting = [.prettyPrinted, .sortedKeys]
        return String(decoding: (try? e.encode(self)) ?? Data(), as: UTF8.self)
    }

    /// Checks ranges that decoding cannot.
    public func validate() throws {
        guard epochs >= 1 else { throw TrainingError.badRecipe("epochs must be ≥ 1") }
        guard batchSize >= 1 else { throw TrainingError.badRecipe("batchSize must be ≥ 1") }
        guard optimizer.learningRate > 0 else { throw TrainingError.badRecipe("optimizer.learningRate must be > 0") }
        guard loss.labelSmoothing >= 0 && loss.labelSmoothing < 1 else { throw TrainingError.badRecipe("loss.labelSmoothing must be in [0, 1)") }
        if let t = teacher, t.distillation.temperature <= 0 { throw TrainingError.badRecipe("teacher.distillation.temperature must be > 0") }
        if let s = selfDistillation, s.temperature <= 0 { throw TrainingError.badRecipe("selfDistillation.temperature must be > 0") }
        if data.source == "synthetic", data.synthetic == nil { throw TrainingError.badRecipe("data.source is synthetic but data.synthetic is missing") }
        guard !data.source.isEmpty else { throw TrainingError.badRecipe("data.source is empty: name 'synthetic' or a dataset the caller loads") }
    }
}
