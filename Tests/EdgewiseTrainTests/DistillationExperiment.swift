import EdgewiseCore
import Foundation
import Testing
@testable import EdgewiseTrain

/// The distillation measurement on the synthetic task (run with `EDGEWISE_TRAIN_EXPERIMENTS=1`,
/// release build): a wide teacher, the small student alone, and the same student distilled from
/// that teacher, all for the same epochs on the same data, over several seeds. Prints a table;
/// asserts nothing about the outcome (it is a measurement, not a test).
@Test func distillationExperiment() throws {
    guard ProcessInfo.processInfo.environment["EDGEWISE_TRAIN_EXPERIMENTS"] != nil else { return }
    let env = ProcessInfo.processInfo.environment
    let seeds = (env["EW_SEEDS"] ?? "1,2,3").split(separator: ",").map { UInt64($0)! }
    let epochs = Int(env["EW_EPOCHS"] ?? "10")!, trainCount = Int(env["EW_TRAIN"] ?? "2000")!
    let studentChannels = Int(env["EW_STUDENT"] ?? "8")!, teacherChannels = Int(env["EW_TEACHER"] ?? "64")!
    let temperature = Float(env["EW_T"] ?? "4")!, alpha = Float(env["EW_ALPHA"] ?? "0.7")!
    let noise = Float(env["EW_NOISE"] ?? "0.3")!
    func recipe(_ name: String, _ dir: String, _ seed: UInt64) -> TrainingRecipe {
        var r = syntheticRecipe(name: name, dir: dir, trainCount: trainCount, epochs: epochs, channels: studentChannels, seed: seed)
        r.data.synthetic?.noise = noise
        return r
    }
    var rows: [(UInt64, Float, Float, Float)] = []
    for seed in seeds {
        let dir = temporaryDirectory("distill-\(seed)")
        let teacherModel = ModelSpec(inputFrames: 128, inputCoefficients: 1, classes: 5, channels: teacherChannels, blocks: 3,
                                     firstKernel: [16, 1], firstStride: [4, 1], earlyExitAfterBlock: 1)
        // Student alone.
        let alone = try Trainer.run(recipe: recipe("alone", dir, seed), options: .init(resume: false))
        // Student distilled from the teacher (the teacher trains first, same epochs, same data).
        var r = recipe("distilled", dir, seed)
        r.teacher = TeacherSpec(model: teacherModel, epochs: epochs, distillation: DistillationLoss(temperature: temperature, alpha: alpha))
        let distilled = try Trainer.run(recipe: r, options: .init(resume: false))
        let teacherAcc = distilled.teacherHistory.last!.validationAccuracy.last!
        rows.append((seed, teacherAcc, alone.validationAccuracy.last!, distilled.validationAccuracy.last!))
        print(String(format: "seed %llu: teacher (%d ch) %.3f | student (%d ch) alone %.3f | student distilled %.3f | early exit alone %.3f distilled %.3f",
                     seed, teacherChannels, teacherAcc, studentChannels, alone.validationAccuracy.last!, distilled.validationAccuracy.last!,
                     alone.validationAccuracy[0], distilled.validationAccuracy[0]))
    }
    let n = Float(rows.count)
    print("T \(temperature) alpha \(alpha) train \(trainCount) epochs \(epochs) noise \(noise)")
    print(String(format: "mean over %d seeds: teacher %.3f | student alone %.3f | student distilled %.3f",
                 rows.count, rows.map(\.1).reduce(0, +) / n, rows.map(\.2).reduce(0, +) / n, rows.map(\.3).reduce(0, +) / n))
}
