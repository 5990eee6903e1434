import EdgewiseTesting
import Foundation
import Testing

/// Runs the built `wearable` tool end to end on the bundled excerpts (Datasets/wearable).
@Suite("wearable command line", .serialized)
struct WearableCommandTests {
    static let tool = EdgewiseCommandTests.tool.deletingLastPathComponent().appendingPathComponent("wearable")
    static let data = SharedData.packageRoot.appendingPathComponent("Datasets/wearable").path

    static func run(_ args: [String], stdin: String? = nil) throws -> EdgewiseCommandTests.Run {
        let p = Process()
        p.executableURL = tool
        p.arguments = args
        p.currentDirectoryURL = SharedData.packageRoot
        let out = Pipe(), err = Pipe(), inp = Pipe()
        p.standardOutput = out; p.standardError = err
        if stdin != nil { p.standardInput = inp }
        try p.run()
        if let stdin { inp.fileHandleForWriting.write(stdin.data(using: .utf8)!); try inp.fileHandleForWriting.close() }
        let o = out.fileHandleForReading.readDataToEndOfFile(), e = err.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return .init(status: p.terminationStatus, out: String(decoding: o, as: UTF8.self), err: String(decoding: e, as: UTF8.self))
    }

    @Test func replayBundledExcerptsWritesBeatsAnnotationsAndSVG() throws {
        let dir = try EdgewiseCommandTests.tempDir()
        let r = try Self.run(["replay", Self.data + "/119_excerpt", Self.data + "/232_excerpt", "--out", dir, "--json",
                              "--annotations", "wear", "--svg", dir + "/strip.svg", "--span", "10,8"])
        #expect(r.status == 0, "\(r.err)")
        let lines = try String(contentsOfFile: dir + "/119_excerpt.jsonl", encoding: .utf8).split(separator: "\n")
        #expect(lines.count > 190 && lines.count < 215)  // 3 minutes of record 119: 205 reference beats
        let first = try JSONSerialization.jsonObject(with: Data(lines[5].utf8)) as! [String: Any]
        for k in ["record", "sample", "time", "class", "confidence", "exit", "heartRate"] { #expect(first[k] != nil, "\(k)") }
        #expect(FileManager.default.fileExists(atPath: dir + "/232_excerpt.wear"))
        let svg = try String(contentsOfFile: dir + "/strip.svg", encoding: .utf8)
        #expect(svg.hasPrefix("<svg") && svg.contains("<polyline") && svg.contains("</text>"))
        #expect(r.out.contains("119_excerpt") && r.out.contains("bpm"))
    }

    @Test func evalOnBundledExcerpts() throws {
        let dir = try EdgewiseCommandTests.tempDir()
        let r = try Self.run(["eval", "--data", Self.data, "--records", "all", "--json", dir + "/e.json"])
        #expect(r.status == 0, "\(r.err)")
        #expect(r.out.contains("gross"))
        let j = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: dir + "/e.json"))) as! [String: Any]
        #expect(j["qrs"] != nil)
    }

    @Test func stdinStreamAndErrors() throws {
        var csv = "time,ecg\n"
        let rec = try String(contentsOfFile: Self.data + "/119_excerpt.hea", encoding: .utf8)
        #expect(rec.contains("360"))
        for i in 0..<(360 * 12) {
            let t = Double(i) / 360
            let d = t.truncatingRemainder(dividingBy: 0.8) - 0.4
            csv += String(format: "%.5f,%.4f\n", t, 1.2 * exp(-d * d / 0.000288))
        }
        let r = try Self.run(["replay", "--stdin"], stdin: csv)
        #expect(r.status == 0, "\(r.err)")
        #expect(r.out.split(separator: "\n").count >= 12 && r.out.contains("bpm"))
        let bad = try Self.run(["replay", "--stdin"], stdin: "time,ecg\n0,1\n0.1,x\n")
        #expect(bad.status != 0 && bad.err.contains("line 3"))
        let missing = try Self.run(["replay", "/nonexistent/rec"])
        #expect(missing.status != 0 && missing.err.contains("/nonexistent/rec"))
        #expect(try Self.run(["replay", "--help"]).out.contains("--annotations"))
    }

    @Test func adaptFineTunesTheHeadsAndScoresTheRest() throws {
        let dir = try EdgewiseCommandTests.tempDir()
        let r = try Self.run(["adapt", Self.data + "/232_excerpt", "--seconds", "60", "--mode", "performance", "--out", dir + "/adapted.edgewise"])
        #expect(r.status == 0, "\(r.err)")
        // Two tables (global, adapted) over the same beats after the first minute.
        let acc = r.out.split(separator: "\n").filter { $0.hasPrefix("accuracy") }
        #expect(acc.count == 2)
        let counts = acc.map { $0.split(separator: " ")[4] }
        #expect(counts.count == 2 && counts[0] == counts[1] && Int(counts[0])! > 100 && Int(counts[0])! < 160, "\(acc)")
        // 232 (RBBB, atrial premature beats): the global model calls most S beats V; one minute of this patient's beats fixes much of it.
        let pct = acc.map { Double($0.split(separator: " ")[1])! }
        #expect(pct[1] > pct[0] + 10, "\(acc)")
        #expect(FileManager.default.fileExists(atPath: dir + "/adapted.edgewise"))
        let bad = try Self.run(["adapt", Self.data + "/232_excerpt", "--seconds", "0"])
        #expect(bad.status != 0 && bad.err.contains("--seconds"))
    }

    @Test func autoModeFollowsTheDeviceReaders() throws {
        let root = try EdgewiseCommandTests.tempDir()
        for (rel, text) in [("sys/class/power_supply/BAT0/type", "Battery"), ("sys/class/power_supply/BAT0/capacity", "12"),
                            ("sys/class/power_supply/BAT0/status", "Discharging"), ("sys/class/power_supply/AC/type", "Mains"),
                            ("sys/class/power_supply/AC/online", "0")] {
            let p = root + "/" + rel
            try FileManager.default.createDirectory(atPath: (p as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
            try text.write(toFile: p, atomically: true, encoding: .utf8)
        }
        let r = try Self.run(["replay", Self.data + "/119_excerpt", "--mode", "auto", "--device-root", root])
        #expect(r.status == 0, "\(r.err)")
        #expect(r.out.contains("auto → saver (battery 12 % discharging)"), "\(r.out)")
        let wrong = try Self.run(["replay", Self.data + "/119_excerpt", "--device-root", root])
        #expect(wrong.status != 0 && wrong.err.contains("--mode auto"))
    }
}
