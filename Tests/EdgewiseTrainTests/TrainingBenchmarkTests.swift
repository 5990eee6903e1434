import Foundation
import Testing
@testable import EdgewiseTrain

/// Prints the training benchmark (`EDGEWISE_TRAIN_BENCH=1`, release build); otherwise checks only
/// that it runs on a tiny repeat count. Never fails on a timing.
@Test func trainingBenchmarkRuns() throws {
    let full = ProcessInfo.processInfo.environment["EDGEWISE_TRAIN_BENCH"] != nil
    guard full || isReleaseBuild else { return }
    let r = try TrainingBenchmark.run(repeats: full ? 20 : 1)
    if full { print(r.render()) }
    #expect(r.layers.count == 6 && r.dscnnSamplesPerSecond > 0)
}
