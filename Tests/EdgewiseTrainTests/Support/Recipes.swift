import EdgewiseTesting
import EdgewiseCore
import Foundation
@testable import EdgewiseTrain


/// The synthetic multi-exit task used across tests: 5 waveform classes, 128 samples, a DS-CNN with
/// 16 channels, 3 blocks and an early exit after block 1.
func syntheticRecipe(name: String, dir: String, trainCount: Int = 3000, epochs: Int = 10, channels: Int = 16, seed: UInt64 = 7) -> TrainingRecipe {
    TrainingRecipe(name: name, seed: seed,
                   model: ModelSpec(inputFrames: 128, inputCoefficients: 1, classes: 5, channels: channels, blocks: 3,
                                    firstKernel: [16, 1], firstStride: [4, 1], earlyExitAfterBlock: 1),
                   data: DataSpec(synthetic: SyntheticSignals(length: 128), trainCount: trainCount, validationCount: 1000),
                   epochs: epochs, batchSize: 32,
                   optimizer: OptimizerConfig(.adamW, learningRate: 0.01, weightDecay: 1e-4, clipGradientNorm: 5),
                   schedule: LearningRateSchedule(warmupSteps: 20, decay: .cosine),
                   outputDirectory: dir)
}

/// A fresh temporary directory.
func temporaryDirectory(_ name: String) -> String {
    let d = NSTemporaryDirectory() + "edgewise-train-tests-\(name)-\(UUID().uuidString)"
    try? FileManager.default.createDirectory(atPath: d, withIntermediateDirectories: true)
    return d
}
