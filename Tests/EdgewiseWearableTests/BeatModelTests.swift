import EdgewiseModel
import EdgewisePolicy
import Foundation
import Testing
@testable import EdgewiseWearable

@Suite struct BeatModelTests {
    @Test func classifiesWithFixedAndAdaptivePolicies() throws {
        let graph = try BeatModel.build(width: 8, seed: 3)
        var model = Model(graph: graph, labels: AAMIClass.allCases.map(\.letter))
        let (x, _) = syntheticECG(rate: 360, seconds: 30)
        let beats = BeatExtractor.extract(x, rate: 360)
        #expect(beats.count > 20)
        let fixed = try BeatClassifier(model: model, policy: FixedThresholdPolicy(threshold: 1.01))
        #expect(!fixed.isCalibrated)
        let d = fixed.classify(beats[3].input)
        #expect(d.exit == "final" && d.macs == fixed.fullMACs && d.confidence > 0 && d.confidence <= 1)
        let always = try BeatClassifier(model: model, policy: FixedThresholdPolicy(threshold: 0))
        #expect(always.classify(beats[3].input).exit == "early")
        let cal = try BeatClassifier.calibrate(model: &model, beats: beats, labels: beats.map { _ in 0 })
        #expect(cal.exitNames == ["early", "final"])
        let adaptive = try BeatClassifier(model: model)
        #expect(adaptive.isCalibrated)
        try adaptive.useAdaptivePolicy(mode: .performance, file: "test")
        #expect(adaptive.classify(beats[4].input).exit == "final")
        #expect(throws: PolicyError.self) { try fixed.useAdaptivePolicy(mode: .balanced, file: "uncalibrated") }
    }

    @Test func annotationOutputRoundTrips() throws {
        let beats = [ReplayBeat(record: "r", sample: 10, time: 0, class: "N", confidence: 1, exit: "early", heartRate: 60),
                     ReplayBeat(record: "r", sample: 400, time: 1, class: "V", confidence: 1, exit: "final", heartRate: 60)]
        let a = ECGStream.annotations(beats)
        #expect(a.map(\.symbol) == ["N", "V"] && a.map(\.sample) == [10, 400])
    }
}
