import EdgewiseSignalFiles
import Foundation
import Testing
@testable import EdgewiseWearable

@Suite struct PPGTests {
    /// Synthetic wrist PPG: a pulse at 90 BPM rising to 120 BPM, plus a stronger motion component at
    /// 150 BPM (2.5 Hz) that the accelerometer also sees.
    @Test func tracksHeartRateUnderMotion() throws {
        let fs = 125.0, n = Int(fs * 120)
        var phase = 0.0
        var ppg = [Float](), ax = [Float](), ay = [Float](), az = [Float]()
        var truth: [Double] = []
        for i in 0..<n {
            let t = Double(i) / fs
            let bpm = 90 + 30 * min(1, t / 100)
            phase += 2 * .pi * bpm / 60 / fs
            let motion = t > 20 ? 1.5 * sin(2 * .pi * 2.5 * t) : 0
            ppg.append(Float(sin(phase) + motion))
            ax.append(Float(motion)); ay.append(Float(0.3 * motion)); az.append(0)
            if i % 250 == 0 && i + 1000 <= n { truth.append(90 + 30 * min(1, (t + 4) / 100)) }
        }
        let rec = SignalRecord(name: "synthetic", samplingRate: fs, channels: [
            SignalChannel(label: "ppg1", units: "adu", samples: ppg), SignalChannel(label: "ppg2", units: "adu", samples: ppg),
            SignalChannel(label: "ax", units: "g", samples: ax), SignalChannel(label: "ay", units: "g", samples: ay),
            SignalChannel(label: "az", units: "g", samples: az)])
        let est = try PPGHeartRate().estimate(rec)
        #expect(est.count == truth.count)
        let mae = zip(est, truth).map { abs($0 - $1) }.reduce(0, +) / Double(est.count)
        #expect(mae < 4, "MAE \(mae)")
        #expect(throws: SignalFileError.self) { try PPGHeartRate().estimate(SignalRecord(name: "x", samplingRate: 125, channels: [])) }
    }
}
