import EdgewiseArchitectures
import EdgewiseCore
import Foundation
import Testing
import EdgewiseTrain

/// `edgewise exits add`: heads attached to a trained single-exit model learn on the frozen backbone,
/// and the model's own answers do not change.
@Suite struct ExitRetrofitTests {
    func singleExitModel() throws -> Graph {
        var c = DSCNN.Config()
        c.inputFrames = 128; c.inputCoefficients = 1; c.classes = 5; c.channels = 16; c.blocks = 3
        c.firstKernel = Size2D(16, 1); c.firstStride = Size2D(4, 1); c.earlyExitAfterBlock = nil
        return try DSCNN.build(c, seed: 3)
    }

    @Test func attachesHeadsAndSplitsStages() throws {
        let g = try singleExitModel()
        let trunk = g.stages.flatMap { $0.nodes.map(\.name) }
        let out = try ExitRetrofit.addingExits(to: g, after: ["block1.pw", "block2.pw"], head: .poolDenseDense)
        #expect(out.exits.map(\.head.name) == ["exit@block1.pw", "exit@block2.pw", "final"])
        #expect(out.stages.flatMap { $0.nodes.map(\.name) } == trunk)
        #expect(throws: TrainingError.self) { try ExitRetrofit.addingExits(to: g, after: ["nope"]) }
        #expect(throws: TrainingError.self) { try ExitRetrofit.addingExits(to: g, after: [trunk.last!]) }
    }

    @Test func headsLearnAndTheFinalExitIsUntouched() throws {
        let g = try ExitRetrofit.addingExits(to: try singleExitModel(), after: ["block1.pw"], head: .poolDense)
        let data = try SyntheticSignals(length: 128, noise: 0.3).make(count: 400, seed: 5)
        let val = try SyntheticSignals(length: 128, noise: 0.3).make(count: 200, seed: 6)
        let before = try Executor(graph: g)
        let x = val.sample(at: 0).features
        let finalBefore = try before.predict(x)
        let untrained = try Trainer.evaluate(graph: g, dataset: val).accuracy[0]
        let (trained, acc) = try ExitRetrofit.trainHeads(g, train: data, validation: val, epochs: 4, batchSize: 32, learningRate: 0.02, distillation: nil)
        #expect(try Executor(graph: trained).predict(x) == finalBefore)
        // The untrained head is near chance (20 %); trained on the random-but-fixed backbone it does better.
        #expect(acc[0] > untrained, "early-exit validation accuracy \(acc[0]), untrained \(untrained)")
        // The cached-feature path trains the same heads from one forward pass.
        let (fast, fastAcc) = try ExitRetrofit.trainHeadsOnCachedFeatures(g, train: data, validation: val, epochs: 8, learningRate: 0.02)
        #expect(try Executor(graph: fast).predict(x) == finalBefore)
        #expect(fastAcc[0] > 0.3, "early-exit validation accuracy \(fastAcc[0]) (cached features)")
    }
}
