import Foundation
import Testing
@testable import EdgewiseTrain

/// The training benchmark's report is consistent with its own measurements (timings themselves are not
/// asserted; `edgewise train --benchmark` prints the full run). One repeat, every build.
@Test func trainingBenchmarkReportIsConsistent() throws {
    let r = try TrainingBenchmark.run(repeats: 1)
    #expect(r.layers.count == 6)
    #expect(r.measuredPeakGFLOPS > 0 && r.measuredPeakGFLOPS.isFinite)
    for l in r.layers {
        #expect(l.macs > 0 && l.milliseconds > 0, "\(l.name)")
        // GFLOP/s = 2 FLOPs per MAC over the measured time, and the fraction of the measured peak.
        let gflops = 2 * Double(l.macs) / (l.milliseconds * 1e-3) / 1e9
        #expect(abs(l.gflops - gflops) <= 1e-9 * gflops, "\(l.name): \(l.gflops) vs \(gflops)")
        #expect(abs(l.fractionOfPeak - l.gflops / r.measuredPeakGFLOPS) <= 1e-12, "\(l.name)")
        #expect(r.render().contains(l.name))
    }
    #expect(r.dscnnBatch > 0 && r.dscnnSamplesPerSecond > 0 && r.dscnnGFLOPS > 0)
}
