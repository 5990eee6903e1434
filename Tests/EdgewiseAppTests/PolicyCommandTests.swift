import Foundation
import Testing

/// `edgewise policy status` on fake sysfs/procfs trees and traces (no hardware, no ../shared).
@Suite("edgewise policy", .serialized)
struct PolicyCommandTests {
    func write(_ root: String, _ rel: String, _ text: String) throws {
        let p = root + "/" + rel
        try FileManager.default.createDirectory(atPath: (p as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        try (text + "\n").write(toFile: p, atomically: true, encoding: .utf8)
    }

    @Test func statusReadsAFakeLaptop() throws {
        let root = try EdgewiseCommandTests.tempDir()
        try write(root, "sys/class/power_supply/BAT0/type", "Battery")
        try write(root, "sys/class/power_supply/BAT0/capacity", "12")
        try write(root, "sys/class/power_supply/BAT0/status", "Discharging")
        try write(root, "sys/class/power_supply/AC/type", "Mains")
        try write(root, "sys/class/power_supply/AC/online", "0")
        try write(root, "proc/pressure/cpu", "some avg10=3.50 avg60=1 avg300=1 total=5")
        try write(root, "sys/class/thermal/thermal_zone0/temp", "garbage")
        let r = try EdgewiseCommandTests.run(["policy", "status", "--root", root, "--json"])
        #expect(r.status == 0, "\(r.err)")
        let o = try #require(try JSONSerialization.jsonObject(with: Data(r.out.utf8)) as? [String: Any])
        #expect(o["mode"] as? String == "saver")
        #expect(o["battery_percent"] as? Double == 12)
        #expect(o["on_mains"] as? Bool == false)
        #expect(o["cpu_pressure_percent"] as? Double == 3.5)
        #expect((o["warnings"] as? [String])?.contains { $0.contains("thermal_zone0/temp") } == true)
        let text = try EdgewiseCommandTests.run(["policy", "status", "--root", root])
        #expect(text.out.contains("auto mode: saver (battery ≤ 20 %)"))
        let empty = try EdgewiseCommandTests.run(["policy", "status", "--root", try EdgewiseCommandTests.tempDir()])
        #expect(empty.out.contains("power        mains") && empty.out.contains("auto mode: performance"))
    }

    @Test func traceErrorsNameTheLine() throws {
        let dir = try EdgewiseCommandTests.tempDir()
        try write(dir, "t.csv", "time_s,battery_percent,charging,psi,temperature_c,deadline_ms\n0,50,0,1,40,5\n1,500,0,1,40,5")
        let r = try EdgewiseCommandTests.run(["policy", "status", "--device-trace", dir + "/t.csv"])
        #expect(r.status != 0)
        #expect(r.err.contains("t.csv:3: battery_percent '500'"))
        let ok = try EdgewiseCommandTests.run(["policy", "status", "--device-trace", dir + "/t.csv".replacingOccurrences(of: "t.csv", with: "t.csv"), "--print-default-policy"])
        #expect(ok.status == 0 && ok.out.contains("\"saverBelowPercent\" : 20"))
        let missing = try EdgewiseCommandTests.run(["policy", "status", "--root", dir + "/nope"])
        #expect(missing.status != 0 && missing.err.contains("not a directory"))
    }
}
