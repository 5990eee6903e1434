import CEdgewiseKernels
import EdgewiseCore
import EdgewiseModel
import Foundation

/// Options of a ``Trainer`` run that are not part of the recipe.
public struct TrainerOptions: Sendable {
    /// Continue from the checkpoints in the output directory when they exist (a finished phase is
    /// not trained again).
    public var resume: Bool
    /// Stop once this many optimiser steps are done in the current phase, after writing a
    /// checkpoint (to test or schedule interruptions). nil: run to the end.
    public var stopAfterSteps: Int?
    /// Called after every step (see ``ConsoleProgressBar``).
    public var progress: (@Sendable (TrainingProgress) -> Void)?
    /// Write checkpoints, logs and the learning curve.
    public var writeFiles: Bool

    public init(resume: Bool = true, stopAfterSteps: Int? = nil, progress: (@Sendable (TrainingProgress) -> Void)? = nil, writeFiles: Bool = true) {
        self.resume = resume; self.stopAfterSteps = stopAfterSteps; self.progress = progress; self.writeFiles = writeFiles
    }
}

/// The outcome of ``Trainer/run(recipe:train:validation:initialGraph:options:)``.
public struct TrainingResult: Sendable {
    /// The trained graph (batch 1; batch norms hold their running statistics, folded by the executor).
    public var graph: Graph
    /// The graph with labels and metadata (recipe, accuracy), ready for `ModelFile.write`.
    public var model: Model
    public var history: [EpochRecord]
    /// The teacher's log when the recipe has a teacher.
    public var teacherHistory: [EpochRecord]
    /// Validation accuracy per exit after the last epoch.
    public var validationAccuracy: [Float]
    /// False when ``TrainerOptions/stopAfterSteps`` stopped the run early.
    public var completed: Bool
    /// Where the model file belongs (`<outputDirectory>/<name>.edgewise`, next to the logs).
    public var modelPath: String
    /// Files written (logs, curves, checkpoints).
    public var outputFiles: [String]
}

/// Trains models from a ``TrainingRecipe``: multi-exit joint loss with per-exit weights,
/// self-distillation, frozen-backbone head training, teacher → student distillation, checkpoints
/// and resume, progress, logs and learning curves.
public enum Trainer {
    /// Runs the recipe. With any `data.source` but `"synthetic"`, `train` and `validation` are required;
    /// with `"synthetic"` they are generated from the recipe's seed. `initialGraph` replaces the
    /// freshly initialised model (e.g. a trained model whose heads ``TrainingRecipe/freezeBackbone``
    /// retrains).
    public static func run(recipe: TrainingRecipe, train: (any Dataset)? = nil, validation: (any Dataset)? = nil,
                           initialGraph: Graph? = nil, options: TrainerOptions = .init()) throws -> TrainingResult {
        try recipe.validate()
        let (trainSet, valSet, labels) = try datasets(recipe, train, validation)
        let base = (recipe.outputDirectory as NSString).appendingPathComponent(recipe.name)
        if options.writeFiles { try FileManager.default.createDirectory(atPath: recipe.outputDirectory, withIntermediateDirectories: true) }
        var files: [String] = []

        var teacherGraph: Graph? = nil
        var teacherHistory: [EpochRecord] = []
        if let t = recipe.teacher {
            let phase = try Phase(name: "teacher", recipe: recipe, spec: t.model, graph: try t.model.build(seed: mixSeed(recipe.seed, 0x7EAC)),
                                  epochs: t.epochs ?? recipe.epochs, teacher: nil, distillation: nil, freezeBackbone: false,
                                  train: trainSet, validation: valSet, base: base + ".teacher", options: options)
            let out = try phase.run()
            files += out.files
            teacherHistory = out.history
            guard out.completed else {
                return TrainingResult(graph: out.graph, model: Model(graph: out.graph, labels: labels), history: [], teacherHistory: out.history,
                                      validationAccuracy: out.history.last?.validationAccuracy ?? [], completed: false,
                                      modelPath: base + ".edgewise", outputFiles: files)
            }
            teacherGraph = out.graph
        }
        let graph = try initialGraph ?? recipe.model.build(seed: recipe.seed)
        let phase = try Phase(name: "model", recipe: recipe, spec: recipe.model, graph: graph, epochs: recipe.epochs, teacher: teacherGraph,
                              distillation: recipe.teacher?.distillation, freezeBackbone: recipe.freezeBackbone,
                              train: trainSet, validation: valSet, base: base, options: options)
        let out = try phase.run()
        files += out.files
        let acc = out.history.last?.validationAccuracy ?? []
        var meta = ["recipe": recipe.json(), "trainer": "EdgewiseTrain",
                    "validation_accuracy": acc.map { String(format: "%.4f", $0) }.joined(separator: ",")]
        if let t = teacherHistory.last { meta["teacher_validation_accuracy"] = t.validationAccuracy.map { String(format: "%.4f", $0) }.joined(separator: ",") }
        let model = Model(graph: out.graph, labels: labels, metadata: meta)
        return TrainingResult(graph: out.graph, model: model, history: out.history, teacherHistory: teacherHistory,
                              validationAccuracy: acc, completed: out.completed, modelPath: base + ".edgewise", outputFiles: files)
    }

    /// Accuracy per exit and final-exit cross-entropy of `graph` on `dataset`, in inference mode.
    public static func evaluate(graph: Graph, dataset: any Dataset, batchSize: Int = 64, kernels: TrainingKernels = .best) throws -> (accuracy: [Float], loss: Float) {
        let s = try TrainingSession(graph: graph, batchSize: min(batchSize, max(1, dataset.count)), kernels: kernels)
        return evaluate(s, dataset)
    }

    static func evaluate(_ s: TrainingSession, _ data: any Dataset) -> (accuracy: [Float], loss: Float) {
        let wasTraining = s.isTraining
        s.isTraining = false
        defer { s.isTraining = wasTraining }
        let b = s.batchSize, f = s.inputSize
        let classes = s.graph.values[s.exitLogits.last!].shape.last
        var correct = [Int](repeating: 0, count: s.exitLogits.count)
        var lossSum: Double = 0
        var features = [Float](repeating: 0, count: b * f)
        var start = 0
        while start < data.count {
            let n = min(b, data.count - start)
            var labels: [Int] = []
            for k in 0..<b {
                if k < n {
                    let smp = data.sample(at: start + k)
                    features.replaceSubrange((k * f)..<((k + 1) * f), with: smp.features)
                    labels.append(smp.label)
                } else {
                    for j in (k * f)..<((k + 1) * f) { features[j] = 0 }
                }
            }
            s.forward(features)
            for (e, id) in s.exitLogits.enumerated() {
                let z = s.values(id)
                for k in 0..<n where argmax(z, k, classes) == labels[k] { correct[e] += 1 }
            }
            let z = s.values(s.exitLogits.last!)
            lossSum += Double(Loss().evaluate(logits: UnsafeBufferPointer(rebasing: z[0..<(n * classes)]), classes: classes, labels: labels)) * Double(n)
            start += n
        }
        return (correct.map { Float($0) / Float(max(1, data.count)) }, Float(lossSum / Double(max(1, data.count))))
    }

    @inline(__always)
    static func argmax(_ z: UnsafeBufferPointer<Float>, _ row: Int, _ c: Int) -> Int {
        var best = 0
        for j in 1..<c where z[row * c + j] > z[row * c + best] { best = j }
        return best
    }

    private static func datasets(_ r: TrainingRecipe, _ train: (any Dataset)?, _ validation: (any Dataset)?) throws -> (any Dataset, any Dataset, [String]) {
        let t: any Dataset, v: any Dataset
        var labels: [String]
        if r.data.source == "synthetic" {
            let s = r.data.synthetic!
            guard s.length == r.model.inputSize else {
                throw TrainingError.badRecipe("synthetic signals have \(s.length) samples, the model input takes \(r.model.inputFrames)×\(r.model.inputCoefficients)")
            }
            t = try s.make(count: r.data.trainCount, seed: mixSeed(r.seed, 0xDA7A))
            v = try s.make(count: r.data.validationCount, seed: mixSeed(r.seed, 0x7A1D))
            labels = s.labelNames
        } else {
            guard let train, let validation else { throw TrainingError.badRecipe("data.source is '\(r.data.source)' but no training/validation datasets were passed") }
            t = train; v = validation
            labels = train.labelNames
        }
        guard t.classCount <= r.model.classes else { throw TrainingError.badRecipe("the data has \(t.classCount) classes, the model \(r.model.classes)") }
        try t.validate(featureCount: r.model.inputSize, classes: r.model.classes)
        try v.validate(featureCount: r.model.inputSize, classes: r.model.classes)
        if labels.count < r.model.classes { labels += (labels.count..<r.model.classes).map { "class\($0)" } }
        return (t, v, labels)
    }
}

/// One training phase (the teacher, or the model).
final class Phase {
    let name: String, recipe: TrainingRecipe, epochs: Int
    let session: TrainingSession
    let teacher: TrainingSession?
    let distillation: DistillationLoss?
    let loader: BatchLoader
    let validation: any Dataset
    let optimizer: Optimizer
    let loss: Loss
    let exitWeights: [Float]
    let base: String
    let options: TrainerOptions
    let seed: UInt64
    let classes: Int

    init(name: String, recipe: TrainingRecipe, spec: ModelSpec, graph: Graph, epochs: Int, teacher: Graph?, distillation: DistillationLoss?,
         freezeBackbone: Bool, train: any Dataset, validation: any Dataset, base: String, options: TrainerOptions) throws {
        self.name = name; self.recipe = recipe; self.epochs = epochs; self.base = base; self.options = options
        self.validation = validation; self.distillation = distillation
        seed = mixSeed(recipe.seed, name == "teacher" ? 1 : 2)
        let kernels = recipe.kernels ?? .best
        session = try TrainingSession(graph: graph, batchSize: recipe.batchSize, kernels: kernels)
        if freezeBackbone {
            var heads = Set<ValueID>()
            for (_, h) in graph.exits { for n in h.nodes { for i in n.inputs where session.trainable.contains(i) { heads.insert(i) } } }
            session.trainable = heads
        }
        if let teacher {
            let t = try TrainingSession(graph: teacher, batchSize: recipe.batchSize, kernels: kernels)
            t.isTraining = false
            t.trainable = []
            self.teacher = t
        } else {
            self.teacher = nil
        }
        classes = session.graph.values[session.exitLogits.last!].shape.last
        var l = recipe.loss
        if recipe.balancedClassWeights {
            let w = train.balancedClassWeights
            l.classWeights = w + [Float](repeating: 0, count: max(0, classes - w.count))
        }
        if let w = l.classWeights, w.count != classes { throw TrainingError.badRecipe("loss.classWeights has \(w.count) entries for \(classes) classes") }
        loss = l
        let exits = session.exitLogits.count
        exitWeights = recipe.exitWeights ?? [Float](repeating: 1, count: exits)
        guard exitWeights.count == exits else { throw TrainingError.badRecipe("exitWeights has \(exitWeights.count) entries, the model has \(exits) exits") }
        loader = try BatchLoader(dataset: train, batchSize: recipe.batchSize, sampling: recipe.data.sampling, seed: seed,
                                 augmentation: recipe.data.augmentation?.hook)
        optimizer = Optimizer(recipe.optimizer)
    }

    var checkpointPath: String { base + ".checkpoint.json" }

    struct Outcome { var graph: Graph; var history: [EpochRecord]; var completed: Bool; var files: [String] }

    func run() throws -> Outcome {
        // Denormal gradients are noise for training and cost ~100 cycles each on x86.
        let fpMode = ew_enable_flush_to_zero()
        defer { ew_restore_fp_mode(fpMode) }
        let perEpoch = loader.batchesPerEpoch, totalSteps = epochs * perEpoch
        var epoch = 0, nextBatch = 0, step = 0
        var lossSum: Double = 0, correct = 0, seen = 0, seconds: Double = 0
        var history: [EpochRecord] = []
        var files: [String] = []
        let exitNames = session.graph.exits.map(\.head.name)

        func save(complete: Bool) throws {
            guard options.writeFiles else { return }
            var params: [String: Data] = [:], m1: [String: Data] = [:], m2: [String: Data] = [:]
            for id in session.parameterIDs {
                let n = session.graph.values[id].name
                params[n] = Checkpoint.encode(session.parameter(id))
                if let m = optimizer.m[id] { m1[n] = Checkpoint.encode(m) }
                if let v = optimizer.v[id] { m2[n] = Checkpoint.encode(v) }
            }
            let c = Checkpoint(phase: name, seed: recipe.seed, complete: complete, epoch: epoch, nextBatch: nextBatch, step: step,
                               optimizerStep: optimizer.step, epochLossSum: lossSum, epochCorrect: correct, epochSeen: seen,
                               epochSeconds: seconds, parameters: params, firstMoments: m1, secondMoments: m2, history: history)
            try c.write(to: checkpointPath)
            if !files.contains(checkpointPath) { files.append(checkpointPath) }
        }

        if options.resume, let c = try Checkpoint.read(path: checkpointPath) {
            guard c.phase == name, c.seed == recipe.seed else { throw TrainingError.badCheckpoint("'\(checkpointPath)' belongs to another run (phase \(c.phase), seed \(c.seed))") }
            var ids: [String: ValueID] = [:]
            for id in session.parameterIDs { ids[session.graph.values[id].name] = id }
            for (n, d) in c.parameters {
                guard let id = ids[n] else { throw TrainingError.badCheckpoint("parameter '\(n)' is not in the model") }
                let v = try Checkpoint.decode(d, "parameter '\(n)'", in: checkpointPath)
                guard v.count == session.graph.values[id].shape.elementCount else { throw TrainingError.badCheckpoint("parameter '\(n)' has \(v.count) values") }
                session.setParameter(id, v)
            }
            for (moments, what) in [(c.firstMoments, "first moment"), (c.secondMoments, "second moment")] {
                for (n, d) in moments {
                    guard let id = ids[n] else { throw TrainingError.badCheckpoint("'\(checkpointPath)': \(what) of '\(n)', which is not in the model") }
                    let v = try Checkpoint.decode(d, "\(what) '\(n)'", in: checkpointPath)
                    guard v.count == session.graph.values[id].shape.elementCount else {
                        throw TrainingError.badCheckpoint("'\(checkpointPath)': \(what) '\(n)' has \(v.count) values")
                    }
                    if what == "first moment" { optimizer.m[id] = v } else { optimizer.v[id] = v }
                }
            }
            optimizer.step = c.optimizerStep
            epoch = c.epoch; nextBatch = c.nextBatch; step = c.step
            lossSum = c.epochLossSum; correct = c.epochCorrect; seen = c.epochSeen; seconds = c.epochSeconds
            history = c.history
            files.append(checkpointPath)
            if c.complete { return Outcome(graph: session.exportGraph(), history: history, completed: true, files: files) }
        }

        let b = recipe.batchSize, c = classes, exits = session.exitLogits.count
        var grads = [[Float]](repeating: [Float](repeating: 0, count: b * c), count: exits)
        let runStart = Date()
        var stepsThisRun = 0
        while epoch < epochs {
            for (index, batch) in loader.batches(epoch: epoch, from: nextBatch) {
                let t0 = Date()
                let lr = recipe.optimizer.learningRate * recipe.schedule.factor(step: step, totalSteps: totalSteps)
                session.isTraining = true
                session.dropoutSeed = mixSeed(seed, UInt64(step))
                session.forward(batch.features)
                var teacherLogits: [Float]? = nil
                if let teacher {
                    teacher.forward(batch.features)
                    teacherLogits = Array(teacher.values(teacher.exitLogits.last!))
                }
                let finalLogits = Array(session.values(session.exitLogits.last!))
                var total: Float = 0
                for e in 0..<exits {
                    for j in grads[e].indices { grads[e][j] = 0 }
                    let z = session.values(session.exitLogits[e])
                    let w = exitWeights[e]
                    grads[e].withUnsafeMutableBufferPointer { g in
                        if w > 0 {
                            if let teacherLogits, let distillation {
                                total += w * teacherLogits.withUnsafeBufferPointer {
                                    distillation.evaluate(student: z, teacher: $0, classes: c, labels: batch.labels, hard: loss, scale: w, gradient: g)
                                }
                            } else {
                                total += w * loss.evaluate(logits: z, classes: c, labels: batch.labels, targets: batch.targets, scale: w, gradient: g)
                            }
                        }
                        if let sd = recipe.selfDistillation, e < exits - 1, sd.weight > 0 {
                            let kd = DistillationLoss(temperature: sd.temperature, alpha: 1)
                            total += sd.weight * finalLogits.withUnsafeBufferPointer {
                                kd.divergence(student: z, teacher: $0, classes: c, scale: sd.weight, gradient: g)
                            }
                        }
                    }
                }
                guard total.isFinite else { throw TrainingError.diverged(step: step) }
                session.zeroParameterGradients()
                session.backward(seeds: grads.enumerated().map { e, g in (session.exitLogits[e], g) })
                optimizer.update(session, learningRate: lr)
                for k in 0..<b where Trainer.argmax(session.values(session.exitLogits.last!), k, c) == batch.labels[k] { correct += 1 }
                lossSum += Double(total) * Double(b); seen += b
                step += 1; stepsThisRun += 1
                nextBatch = index + 1
                seconds += Date().timeIntervalSince(t0)
                let rate = Float(Double(seen) / max(seconds, 1e-9))
                let elapsed = Date().timeIntervalSince(runStart)
                let eta = Float(elapsed / Double(stepsThisRun) * Double(totalSteps - step))
                var progress = TrainingProgress(phase: name, epoch: epoch + 1, epochs: epochs, batch: index + 1, batchesPerEpoch: perEpoch,
                                                loss: Float(lossSum / Double(max(1, seen))), accuracy: Float(correct) / Float(max(1, seen)),
                                                samplesPerSecond: rate, etaSeconds: eta, finishedEpoch: nil)
                if nextBatch == perEpoch {
                    let (acc, vloss) = Trainer.evaluate(session, validation)
                    let record = EpochRecord(phase: name, epoch: epoch + 1, step: step, learningRate: lr,
                                             trainLoss: Float(lossSum / Double(max(1, seen))), trainAccuracy: Float(correct) / Float(max(1, seen)),
                                             validationLoss: vloss, validationAccuracy: acc, samplesPerSecond: rate, seconds: Float(seconds))
                    history.append(record)
                    progress.finishedEpoch = record
                    epoch += 1; nextBatch = 0
                    lossSum = 0; correct = 0; seen = 0; seconds = 0
                    if options.writeFiles {
                        try TrainingLog.write(history, exitNames: exitNames, base: base)
                        for ext in ["csv", "json", "svg"] where !files.contains(base + ".training." + ext) { files.append(base + ".training." + ext) }
                    }
                    try save(complete: epoch == epochs)
                } else if let every = recipe.checkpointEverySteps, every > 0, step % every == 0 {
                    try save(complete: false)
                }
                options.progress?(progress)
                if let stop = options.stopAfterSteps, step >= stop, epoch < epochs {
                    if nextBatch != 0 { try save(complete: false) }
                    return Outcome(graph: session.exportGraph(), history: history, completed: false, files: files)
                }
            }
        }
        return Outcome(graph: session.exportGraph(), history: history, completed: true, files: files)
    }
}
