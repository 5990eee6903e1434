import EdgewiseArchitectures
import EdgewiseCore
import Foundation
import Testing
@testable import EdgewiseTrain

/// End-to-end training: the synthetic multi-exit task learns, resume is bit-exact, heads train on
/// a frozen backbone, teacher → student distillation runs, and the trained graph runs in the
/// inference executor with the same predictions.
@Suite(.serialized) struct TrainerTests {
    /// Done-when: a small multi-exit model learns the synthetic waveform task. Release: 3000
    /// samples × 10 epochs, final exit ≥ 85 % and early exit ≥ 75 % (chance 20 %) in under a
    /// minute; debug builds run a third of the work with lower bars.
    @Test func syntheticMultiExitTaskLearns() throws {
        let dir = temporaryDirectory("learn")
        var r = syntheticRecipe(name: "signals", dir: dir, trainCount: isReleaseBuild ? 3000 : 1000, epochs: isReleaseBuild ? 10 : 6)
        r.exitWeights = [0.5, 1]
        r.selfDistillation = SelfDistillation(weight: 0.5, temperature: 3)
        let t0 = Date()
        let res = try Trainer.run(recipe: r)
        let seconds = Date().timeIntervalSince(t0)
        let acc = res.validationAccuracy
        print("synthetic task: validation accuracy early \(acc[0]) final \(acc[1]) in \(String(format: "%.1f", seconds)) s")
        #expect(acc[1] >= (isReleaseBuild ? 0.85 : 0.6), "final exit accuracy \(acc[1])")
        #expect(acc[0] >= (isReleaseBuild ? 0.75 : 0.5), "early exit accuracy \(acc[0])")
        if isReleaseBuild { #expect(seconds < 60) }
        #expect(res.history.count == r.epochs && res.completed)
        for ext in ["csv", "json", "svg"] { #expect(FileManager.default.fileExists(atPath: "\(dir)/signals.training.\(ext)")) }
        let csv = try String(contentsOfFile: "\(dir)/signals.training.csv", encoding: .utf8)
        #expect(csv.hasPrefix("phase,epoch,step,learning_rate,train_loss,train_accuracy,validation_loss,validation_accuracy_early,validation_accuracy_final"))
        #expect(try String(contentsOfFile: "\(dir)/signals.training.svg", encoding: .utf8).contains("<polyline"))

        // The exported graph runs in the inference executor (batch norms folded) with the same accuracy.
        let val = try r.data.synthetic!.make(count: 300, seed: 1234)
        let e = try Executor(graph: res.graph)
        var correct = 0
        for i in 0..<val.count {
            let s = val.sample(at: i)
            let p = try e.predict(s.features)
            if p.indices.max(by: { p[$0] < p[$1] }) == s.label { correct += 1 }
        }
        let trainerAcc = try Trainer.evaluate(graph: res.graph, dataset: val, batchSize: 7).accuracy.last!
        #expect(abs(Float(correct) / 300 - trainerAcc) < 0.005, "executor \(correct)/300 vs trainer \(trainerAcc)")
        // A second run with the same seed resumes the finished checkpoint and trains nothing.
        let again = try Trainer.run(recipe: r)
        #expect(again.history == res.history)
    }

    static func stripTiming(_ h: [EpochRecord]) -> [EpochRecord] {
        h.map { var r = $0; r.samplesPerSecond = 0; r.seconds = 0; return r }
    }

    /// Done-when: stopping mid-epoch and resuming from the checkpoint gives bit-identical
    /// parameters, optimiser state and log to the uninterrupted run (dropout, augmentation and
    /// shuffling included).
    @Test func resumeReproducesUninterruptedRunBitForBit() throws {
        var r = syntheticRecipe(name: "resume", dir: temporaryDirectory("resume-a"), trainCount: 320, epochs: 3)
        r.model.dropout = 0.2
        r.data.augmentation = AugmentationSpec(maxShift: 8, rowLength: 1, gain: 0.1, noise: 0.05)
        r.selfDistillation = SelfDistillation()
        let full = try Trainer.run(recipe: r)
        r.outputDirectory = temporaryDirectory("resume-b")
        let stopped = try Trainer.run(recipe: r, options: .init(stopAfterSteps: 13))   // epoch 2, batch 3 of 10
        #expect(!stopped.completed)
        let resumed = try Trainer.run(recipe: r)
        #expect(resumed.completed)
        for (id, c) in full.graph.constants {
            #expect(c.toArray(of: UInt32.self) == resumed.graph.constants[id]!.toArray(of: UInt32.self), "\(full.graph.values[id].name) differs")
        }
        #expect(Self.stripTiming(full.history) == Self.stripTiming(resumed.history))
        // A different seed gives a different model (the comparison above can fail).
        r.seed = 8; r.outputDirectory = temporaryDirectory("resume-c")
        let other = try Trainer.run(recipe: r)
        #expect(other.graph.constants.contains { id, c in c.toArray(of: UInt32.self) != full.graph.constants[id]!.toArray(of: UInt32.self) })
    }

    /// A checkpoint that exists but is corrupt, truncated or unreadable stops the run with an error naming it;
    /// it never silently restarts from scratch. Only a missing checkpoint starts a fresh run.
    @Test func corruptOrUnreadableCheckpointIsAnError() throws {
        var r = syntheticRecipe(name: "corrupt", dir: temporaryDirectory("corrupt"), trainCount: 96, epochs: 2)
        r.data.validationCount = 32
        let stopped = try Trainer.run(recipe: r, options: .init(stopAfterSteps: 2))
        #expect(!stopped.completed)
        let path = r.outputDirectory + "/corrupt.checkpoint.json"
        let good = try Data(contentsOf: URL(fileURLWithPath: path))
        // No temporary files are left beside it.
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: r.outputDirectory).filter { $0.contains(".tmp") }
        #expect(leftovers.isEmpty, "\(leftovers)")
        for (what, bytes) in [("truncated", good.prefix(good.count / 2)), ("garbage", Data("not json at all".utf8)), ("empty", Data())] {
            try bytes.write(to: URL(fileURLWithPath: path))
            do {
                _ = try Trainer.run(recipe: r)
                Issue.record("a \(what) checkpoint did not stop the run")
            } catch {
                #expect("\(error)".contains(path) && "\(error)".contains("corrupt"), "\(what): \(error)")
            }
        }
        // Parameters of the wrong length (a hand-edited or foreign checkpoint).
        var json = try #require(try JSONSerialization.jsonObject(with: good) as? [String: Any])
        var params = try #require(json["parameters"] as? [String: String])
        let first = try #require(params.keys.sorted().first)
        params[first] = Data([1, 2, 3]).base64EncodedString()
        json["parameters"] = params
        try JSONSerialization.data(withJSONObject: json).write(to: URL(fileURLWithPath: path))
        #expect { try Trainer.run(recipe: r) } throws: { "\($0)".contains(first) && "\($0)".contains("3 bytes") }
        // Unreadable (a directory where the file should be): an error, not a fresh start.
        try FileManager.default.removeItem(atPath: path)
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: false)
        #expect { try Trainer.run(recipe: r) } throws: { "\($0)".contains(path) && "\($0)".contains("cannot be read") }
        // Missing: a fresh run, which completes.
        try FileManager.default.removeItem(atPath: path)
        #expect(try Trainer.run(recipe: r).completed)
    }

    /// Exit heads train on a frozen backbone: trunk weights and batch-norm statistics stay bit-exact.
    @Test func headsTrainOnFrozenBackbone() throws {
        let r0 = syntheticRecipe(name: "base", dir: temporaryDirectory("frozen"), trainCount: 640, epochs: 2)
        let base = try Trainer.run(recipe: r0, options: .init(writeFiles: false))
        var r = r0
        r.name = "heads"; r.freezeBackbone = true; r.epochs = 2
        let heads = try Trainer.run(recipe: r, initialGraph: base.graph, options: .init(writeFiles: false))
        var headValues = Set<ValueID>()
        for (_, h) in base.graph.exits { for n in h.nodes { headValues.formUnion(n.inputs) } }
        var changedHead = false
        for (id, c) in base.graph.constants {
            let before = c.toArray(of: UInt32.self), after = heads.graph.constants[id]!.toArray(of: UInt32.self)
            if headValues.contains(id) { changedHead = changedHead || before != after } else {
                #expect(before == after, "trunk parameter \(base.graph.values[id].name) changed")
            }
        }
        #expect(changedHead)
    }

    /// Teacher → student: the teacher trains first, then the student with the distillation loss.
    @Test func teacherStudentDistillationRuns() throws {
        var r = syntheticRecipe(name: "student", dir: temporaryDirectory("kd"), trainCount: 640, epochs: 2, channels: 8)
        r.teacher = TeacherSpec(model: ModelSpec(inputFrames: 128, inputCoefficients: 1, classes: 5, channels: 24, blocks: 3,
                                                 firstKernel: [16, 1], firstStride: [4, 1], earlyExitAfterBlock: 1),
                                epochs: 2, distillation: DistillationLoss(temperature: 4, alpha: 0.7))
        let res = try Trainer.run(recipe: r)
        #expect(res.teacherHistory.count == 2 && res.history.count == 2)
        #expect(res.validationAccuracy.last! > 0.3)
        #expect(FileManager.default.fileExists(atPath: r.outputDirectory + "/student.teacher.training.csv"))
        #expect(res.model.metadata["teacher_validation_accuracy"] != nil)
    }

    @Test func recipeDecodesWithDefaultsAndRejectsBadValues() throws {
        let json = #"{ "model": { "inputFrames": 128, "inputCoefficients": 1, "classes": 5, "channels": 8, "blocks": 2, "firstKernel": [8, 1], "firstStride": [2, 1] }, "data": { "synthetic": { "noise": 0.2 } }, "optimizer": { "kind": "sgd", "learningRate": 0.05 }, "schedule": { "decay": "step", "stepEvery": 100 } }"#
        let r = try JSONDecoder().decode(TrainingRecipe.self, from: Data(json.utf8))
        #expect(r.epochs == 10 && r.batchSize == 32 && r.optimizer.kind == .sgd && r.optimizer.momentum == 0.9)
        #expect(r.data.synthetic?.noise == 0.2 && r.data.synthetic?.length == 128 && r.schedule.decay == .step)
        #expect(try JSONDecoder().decode(TrainingRecipe.self, from: Data(r.json().utf8)) == r)
        #expect(throws: TrainingError.badRecipe("the recipe has no 'model'")) { try JSONDecoder().decode(TrainingRecipe.self, from: Data("{}".utf8)) }
        var bad = r; bad.epochs = 0
        #expect(throws: TrainingError.badRecipe("epochs must be ≥ 1")) { try bad.validate() }
        #expect(try JSONDecoder().decode(TrainingRecipe.self, from: Data(TrainingRecipe.example.json().utf8)) == TrainingRecipe.example)
        var mismatch = r; mismatch.data.synthetic?.length = 100
        #expect(throws: TrainingError.self) { try Trainer.run(recipe: mismatch, options: .init(writeFiles: false)) }
    }
}

/// Imbalanced data (75 % one class, as in ECG): balanced class weights reach the loss and
/// class-balanced sampling trains.
@Test func imbalancedDataUsesBalancedWeights() throws {
    var r = syntheticRecipe(name: "imbalanced", dir: temporaryDirectory("imbalanced"), trainCount: 640, epochs: 1)
    r.data.synthetic?.classProportions = [0.75, 0.1, 0.05, 0.05, 0.05]
    r.balancedClassWeights = true
    r.data.sampling = .classBalanced
    r.loss.labelSmoothing = 0.1
    let train = try r.data.synthetic!.make(count: 640, seed: 1)
    let phase = try Phase(name: "model", recipe: r, spec: r.model, graph: try r.model.build(seed: 1), epochs: 1, teacher: nil, distillation: nil,
                          freezeBackbone: false, train: train, validation: train, base: r.outputDirectory + "/x", options: .init(writeFiles: false))
    let w = phase.loss.classWeights!
    #expect(w.count == 5 && w[0] < 0.5 && w[1] > 1)
    #expect(try phase.run().completed)
}

/// Binary cross-entropy (one-hot targets) and MSE also train the multi-exit model, with SGD and a
/// step schedule.
@Test(arguments: [Loss.Kind.binaryCrossEntropy, .meanSquaredError])
func otherLossesTrain(kind: Loss.Kind) throws {
    var r = syntheticRecipe(name: "loss", dir: temporaryDirectory("loss"), trainCount: 960, epochs: 3)
    r.loss = Loss(kind)
    r.optimizer = OptimizerConfig(.sgd, learningRate: kind == .meanSquaredError ? 0.05 : 0.2, momentum: 0.9, nesterov: true, weightDecay: 1e-4)
    r.schedule = LearningRateSchedule(warmupSteps: 10, decay: .step, stepEvery: 60, stepFactor: 0.5)
    let res = try Trainer.run(recipe: r, options: .init(writeFiles: false))
    print("\(kind): validation accuracy \(res.validationAccuracy)")
    #expect(res.validationAccuracy.last! > 0.45, "\(kind): \(res.validationAccuracy)")
}

/// The batch rewrite, the data pipeline and the GEMM training paths against the reference.
@Suite struct PipelineTests {
    @Test func withBatchSizeRewritesInputAndReshapes() throws {
        let g = try singleOpGraph([1, 4, 3]) { b, x in try b.node(.reshape([1, 12]), x) }
        let g8 = try g.withBatchSize(8)
        #expect(g8.values[g8.input].shape == [8, 4, 3])
        #expect(g8.values[g8.exits[0].head.output].shape == [8, 12])
        #expect(throws: TrainingError.self) { try g.withBatchSize(0) }
    }

    @Test func loaderIsDeterministicBalancedAndPrefetches() throws {
        let data = try SyntheticSignals(length: 16, classes: 4, classProportions: [0.75, 0.1, 0.1, 0.05]).make(count: 400, seed: 3)
        let counts = data.classCounts
        #expect(counts[0] > 250)
        let w = data.balancedClassWeights
        #expect(abs(zip(w, counts).map { $0 * Float($1) }.reduce(0, +) - 400) < 1e-3 && w[3] > w[0] * 5)
        let balanced = try BatchLoader(dataset: data, batchSize: 10, sampling: .classBalanced, seed: 1)
        var drawn = [0, 0, 0, 0]
        for i in balanced.order(epoch: 0) { drawn[data.sample(at: i).label] += 1 }
        #expect(drawn.allSatisfy { $0 > 70 && $0 < 130 }, "class-balanced draws \(drawn)")
        let shuffled = try BatchLoader(dataset: data, batchSize: 10, seed: 1, augmentation: AugmentationSpec(maxShift: 3, gain: 0.2).hook)
        #expect(shuffled.order(epoch: 0) == shuffled.order(epoch: 0) && shuffled.order(epoch: 0) != shuffled.order(epoch: 1))
        #expect(Set(shuffled.order(epoch: 2)) == Set(0..<400))
        // Prefetched batches equal batches assembled directly, from any start.
        let order = shuffled.order(epoch: 1)
        var n = 0
        for (index, batch) in shuffled.batches(epoch: 1, from: 5) {
            let direct = shuffled.batch(epoch: 1, index: index, order: order)
            #expect(batch.features == direct.features && batch.labels == direct.labels)
            n += 1
        }
        #expect(n == 35)
        #expect(throws: TrainingError.self) { try BatchLoader(dataset: data, batchSize: 500, seed: 1) }
    }

    /// One training step of a DS-CNN with batch norms: every gradient of the GEMM paths matches the
    /// reference kernels, for every family this CPU runs.
    /// Without batch norm the bound is 1e-5; batch statistics over a few rows amplify float
    /// rounding, so with batch norm it is 1e-3.
    @Test(arguments: TrainingKernels.allCases.filter { $0 != .reference && $0.isAvailable }, [false, true])
    func gemmPathsMatchReferenceOnDSCNN(kernels: TrainingKernels, batchNorm: Bool) throws {
        var spec = ModelSpec.dscnnSmall
        spec.channels = 8; spec.classes = 4; spec.blocks = 2; spec.dropout = 0.1; spec.batchNorm = batchNorm
        let g = try spec.build(seed: 3)
        var rng = SeededGenerator(seed: 9)
        let x = rng.uniform(count: 3 * 490, -2...2)
        func grads(_ k: TrainingKernels) throws -> [[Float]] {
            let s = try TrainingSession(graph: g, batchSize: 3, kernels: k)
            s.computesInputGradient = true
            s.forward(x)
            var seedRng = SeededGenerator(seed: 10)
            s.backward(seeds: s.exitLogits.map { ($0, seedRng.uniform(count: 12)) })
            return (s.parameterIDs + [s.graph.input]).map { s.gradient($0) } + s.exitLogits.map { Array(s.values($0)) }
        }
        let ref = try grads(.reference), fast = try grads(kernels)
        for (a, b) in zip(ref, fast) {
            let scale = max(1e-3, a.map { abs($0) }.max() ?? 0)
            let err = zip(a, b).map { abs($0 - $1) }.max()! / scale
            #expect(err < (batchNorm ? 1e-3 : 1e-5), "relative difference \(err)")
        }
    }
}
