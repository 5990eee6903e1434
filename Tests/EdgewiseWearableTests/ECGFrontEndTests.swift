import EdgewiseSignal
import EdgewiseSignalFiles
import EdgewiseTesting
import Foundation
import Testing
@testable import EdgewiseWearable

/// A synthetic ECG: Gaussian QRS complexes (and smaller T waves) at known R times, baseline wander and noise.
func syntheticECG(rate: Double, seconds: Double, rr: (Int) -> Double = { 0.8 + 0.1 * sin(Double($0)) }, noise: Float = 0.02) -> (x: [Float], r: [Int]) {
    let n = Int(rate * seconds)
    var x = [Float](repeating: 0, count: n)
    var r: [Int] = []
    var t = 0.6, k = 0
    while t < seconds - 0.5 { r.append(Int(t * rate)); t += rr(k); k += 1 }
    var state: UInt64 = 99
    for i in 0..<n {
        let ti = Double(i) / rate
        var v = 0.3 * sin(2 * .pi * 0.2 * ti)  // wander
        for p in r where abs(Double(p) / rate - ti) < 0.5 {
            let d = ti - Double(p) / rate
            v += 1.2 * exp(-d * d / (2 * 0.012 * 0.012)) - 0.2 * exp(-(d + 0.03) * (d + 0.03) / (2 * 0.01 * 0.01))
            v += 0.25 * exp(-(d - 0.25) * (d - 0.25) / (2 * 0.04 * 0.04))
        }
        state = state &* 6364136223846793005 &+ 1442695040888963407
        x[i] = Float(v) + noise * (Float((state >> 40) & 0xFFFF) / 65535 - 0.5)
    }
    return (x, r)
}

@Suite struct FilterTests {
    @Test func lowPassKeepsDCAndRemovesHighFrequency() {
        var lp = Biquad.lowPass(cutoff: 10, rate: 360)
        var y = 0.0
        for _ in 0..<2000 { y = lp(1) }
        #expect(abs(y - 1) < 1e-6)
        var lp2 = Biquad.lowPass(cutoff: 10, rate: 360)
        var peak = 0.0
        for i in 0..<2000 { let v = lp2(sin(2 * .pi * 100 * Double(i) / 360)); if i > 1000 { peak = max(peak, abs(v)) } }
        #expect(peak < 0.02)
        var hp = Biquad.highPass(cutoff: 5, rate: 360)
        for _ in 0..<4000 { y = hp(1) }
        #expect(abs(y) < 1e-6)
    }
}

@Suite struct QRSDetectorTests {
    @Test(arguments: [360.0, 250.0, 128.0, 500.0]) func findsEverySyntheticBeatAtAnyRate(rate: Double) {
        let (x, r) = syntheticECG(rate: rate, seconds: 60)
        let (det, delays) = QRSDetector.detectWithDelays(x, rate: rate)
        let (s, _) = QRSScore.match(reference: r, detections: det, window: Int(0.15 * rate))
        #expect(s.falseNegatives == 0 && s.falsePositives == 0, "\(s)")
        // Located within 40 ms of the true R peak; after the 2 s learning period, reported within 350 ms.
        for (d, t) in zip(det, r) { #expect(abs(d - t) <= Int(0.04 * rate)) }
        let steady = zip(det, delays).filter { Double($0.0) > 2.5 * rate }.map(\.1)
        #expect(Double(steady.max() ?? 0) / rate <= 0.35)
    }

    @Test func irregularRhythmAndPauses() {
        let (x, r) = syntheticECG(rate: 360, seconds: 90, rr: { k in k % 7 == 3 ? 2.2 : (k % 2 == 0 ? 0.55 : 0.95) })
        let (s, _) = QRSScore.match(reference: r, detections: QRSDetector.detect(x, rate: 360), window: 54)
        #expect(s.sensitivity > 0.99 && s.positivePredictivity > 0.99, "\(s)")
    }

    @Test func flatAndNoiseOnlySignalsDoNotCrash() {
        #expect(QRSDetector.detect([Float](repeating: 0, count: 5000), rate: 360).isEmpty)
        #expect(QRSDetector.detect([], rate: 360).isEmpty)
        _ = QRSDetector.detect((0..<20000).map { Float(($0 * 7919) % 101) / 100 }, rate: 360)
    }
}

@Suite struct MatchingTests {
    @Test func bxbStyleMatching() {
        let (s, m) = QRSScore.match(reference: [100, 400, 700, 1000], detections: [110, 395, 460, 1200], window: 54)
        #expect(s.truePositives == 2 && s.falseNegatives == 2 && s.falsePositives == 2)
        #expect(m == [0, 1, nil, nil])
        let (e, _) = QRSScore.match(reference: [100, 400], detections: [100, 700], window: 54, excluded: [600..<800])
        #expect(e.truePositives == 1 && e.falseNegatives == 1 && e.falsePositives == 0)
    }
}

@Suite struct BeatExtractorTests {
    @Test func rrFeaturesAndWindows() {
        let (x, r) = syntheticECG(rate: 360, seconds: 40, rr: { _ in 0.75 })
        let beats = BeatExtractor.extract(x, rate: 360)
        #expect(beats.count == r.count)
        for b in beats.dropFirst(2) {
            #expect(abs(b.preRR - 0.75) < 0.01 && abs(b.postRR - 0.75) < 0.01 || b.sample == beats.last!.sample)
            #expect(b.input.count == BeatExtractor.inputSize)
            // Window peak at the R position (point 32), normalised to about 1.
            let ecg = stride(from: 0, to: b.input.count, by: BeatExtractor.channels).map { b.input[$0] }
            #expect(abs((ecg.indices.max { ecg[$0] < ecg[$1] } ?? 0) - BeatExtractor.pointsBeforeR) <= 3)
        }
        // A premature beat: short pre-RR, long post-RR relative to the average.
        let (y, _) = syntheticECG(rate: 360, seconds: 40, rr: { k in k == 20 ? 0.45 : (k == 21 ? 1.05 : 0.75) })
        let pb = BeatExtractor.extract(y, rate: 360)
        let premature = pb[21]
        #expect(premature.preRR < 0.5 && premature.postRR > 1.0)
        #expect(premature.input[1] < -0.3 && premature.input[2] > 0.2)  // pre/avg − 1 and post/avg − 1
    }
}

@Suite struct RecordSetTests {
    @Test func recordsComeFromTheDirectory() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("edgewise-wearable-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        for n in ["a1", "b2"] { try "\(n) 1 250 10\n\(n).dat 16 200 16 0 0 0 0 ECG\n".write(toFile: "\(dir)/\(n).hea", atomically: true, encoding: .utf8) }
        let s = try RecordSet(directory: dir)
        #expect(s.all == ["a1", "b2"])
        #expect(try s.resolve("all") == ["a1", "b2"] && s.resolve("b2") == ["b2"])
        #expect(throws: RecordSetError.self) { try s.resolve("DS2") }
        #expect(throws: RecordSetError.self) { try RecordSet(directory: dir + "/none") }
    }
}

@Suite(.enabled(if: SharedData.path("datasets/mitdb/RECORDS") != nil, "MIT-BIH not found (../shared or EDGEWISE_SHARED)"))
struct MITBIHDetectionTests {
    @Test func cleanAndEctopicRecordsAbove99_5() throws {
        let set = try RecordSet(directory: SharedData.path("datasets/mitdb")!)
        let report = try QRSReport.run(set: set, names: ["100", "119", "208", "232"])
        #expect(report.total.sensitivity >= 0.995 && report.total.positivePredictivity >= 0.995, "\(report.table())")
    }
}
