import EdgewisePolicy
import EdgewiseTesting
import Foundation

/// A fake `/` in a temp directory: sysfs and procfs files written by the test.
final class FakeRoot {
    let path: String
    init() {
        path = NSTemporaryDirectory() + "edgewise-policy-\(UUID().uuidString)"
        try! FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }
    deinit { try? FileManager.default.removeItem(atPath: path) }

    func write(_ relative: String, _ text: String) {
        let p = path + "/" + relative
        try! FileManager.default.createDirectory(atPath: (p as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        try! (text + "\n").write(toFile: p, atomically: true, encoding: .utf8)
    }
    func remove(_ relative: String) { try? FileManager.default.removeItem(atPath: path + "/" + relative) }

    /// A laptop: battery BAT0 and adapter AC.
    func battery(_ capacity: String, status: String, ac: Bool) {
        write("sys/class/power_supply/BAT0/type", "Battery")
        write("sys/class/power_supply/BAT0/present", "1")
        write("sys/class/power_supply/BAT0/capacity", capacity)
        write("sys/class/power_supply/BAT0/status", status)
        write("sys/class/power_supply/BAT0/energy_now", "41200000")
        write("sys/class/power_supply/BAT0/power_now", "7500000")
        write("sys/class/power_supply/AC/type", "Mains")
        write("sys/class/power_supply/AC/online", ac ? "1" : "0")
    }
    func psi(_ avg10: String) {
        write("proc/pressure/cpu", "some avg10=\(avg10) avg60=1.00 avg300=0.50 total=123456\nfull avg10=0.00 avg60=0.00 avg300=0.00 total=0")
    }
    func thermal(_ milli: String, trip: String? = "95000") {
        write("sys/class/thermal/thermal_zone0/type", "x86_pkg_temp")
        write("sys/class/thermal/thermal_zone0/temp", milli)
        if let trip {
            write("sys/class/thermal/thermal_zone0/trip_point_0_temp", trip)
            write("sys/class/thermal/thermal_zone0/trip_point_0_type", "passive")
        }
    }
}

/// A three-exit calibration for policy tests: exits at 30 %, 60 % and 100 % of the MACs.
func sampleCalibration(measure: ConfidenceMeasure = .maxProbability) -> PolicyCalibration {
    let macs = [300, 600, 1000]
    func point(_ b: Double, _ t: [Float], _ frac: Double) -> OperatingPoint {
        OperatingPoint(budgetPoints: b, thresholds: t, accuracy: 0.9 - b / 100, expectedMACFraction: frac,
                       exitRates: [0.3, 0.3, 0.4], exitAccuracy: [0.95, 0.9, 0.85], agreement: [0.95, 0.95, 1])
    }
    return PolicyCalibration(measure: measure, exitNames: ["early1", "early2", "final"], exitMACs: macs, finalAccuracy: 0.9, samples: 100,
                             points: [point(0, [0.99, 0.98, 0], 0.9), point(1, [0.9, 0.85, 0], 0.6), point(5, [0.6, 0.5, 0], 0.4)])
}

/// Probabilities with `top` at index 0 and the rest spread over 3 other classes.
func probs(_ top: Float, answer: Int = 0) -> [Float] {
    var p = [Float](repeating: (1 - top) / 3, count: 4)
    p[answer] = top
    return p
}
