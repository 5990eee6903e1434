import EdgewiseTesting
import Foundation
import Testing

/// Runs the built `voice` tool end to end on the bundled stream (Datasets/voice) and model (Models/voice).
@Suite("voice command line", .serialized)
struct VoiceCommandTests {
    struct Run { var status: Int32; var out: String; var err: String }

    static let root = SharedData.packageRoot.path
    static let demo = root + "/Datasets/voice/demo.wav"
    static let model = root + "/Models/voice/ds_cnn_s.edgewise"

    /// The `voice` binary next to this test bundle (SwiftPM puts products in one folder).
    static let tool: URL = {
        var dir = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        while dir.path != "/" && !FileManager.default.fileExists(atPath: dir.appendingPathComponent("voice").path) {
            dir.deleteLastPathComponent()
        }
        return dir.appendingPathComponent("voice")
    }()

    static func run(_ args: [String], stdin: Data? = nil) throws -> Run {
        let p = Process()
        p.executableURL = tool
        p.arguments = args
        let out = Pipe(), err = Pipe(), inp = Pipe()
        p.standardOutput = out
        p.standardError = err
        if stdin != nil { p.standardInput = inp }
        try p.run()
        if let stdin {
            DispatchQueue.global().async {
                inp.fileHandleForWriting.write(stdin)
                try? inp.fileHandleForWriting.close()
            }
        }
        let o = out.fileHandleForReading.readDataToEndOfFile(), e = err.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return Run(status: p.terminationStatus, out: String(decoding: o, as: UTF8.self), err: String(decoding: e, as: UTF8.self))
    }

    static func tempDir() throws -> String {
        let d = FileManager.default.temporaryDirectory.appendingPathComponent("voice-cli-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: d, withIntermediateDirectories: true)
        return d
    }

    struct Truth { let onset: Double, offset: Double, word: String, label: String }
    static func truth() throws -> [Truth] {
        let text = try String(contentsOfFile: root + "/Datasets/voice/demo-truth.csv", encoding: .utf8)
        return text.split(separator: "\n").dropFirst().map { line in
            let f = line.split(separator: ",").map(String.init)
            return Truth(onset: Double(f[0])!, offset: Double(f[1])!, word: f[2], label: f[3])
        }
    }

    /// (time, keyword) of each JSON detection line, and the summary object.
    static func detections(_ out: String) throws -> (hits: [(Double, String)], summary: [String: Any]) {
        var hits: [(Double, String)] = []
        var summary: [String: Any] = [:]
        for line in out.split(separator: "\n") {
            let obj = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
            if let s = obj["summary"] as? [String: Any] { summary = s; continue }
            hits.append((try #require(obj["time"] as? Double), try #require(obj["keyword"] as? String)))
        }
        return (hits, summary)
    }

    /// Each keyword of the ground truth is reported once inside [onset − 0.25 s, offset + 1 s]; nothing else.
    static func checkAgainstTruth(_ hits: [(Double, String)]) throws {
        let keywords = try truth().filter { !$0.label.hasPrefix("_") }
        #expect(keywords.count == 4)
        for k in keywords {
            let found = hits.filter { $0.1 == k.word && $0.0 >= k.onset - 0.25 && $0.0 <= k.offset + 1 }
            #expect(found.count == 1, "'\(k.word)' at \(k.onset)–\(k.offset) s: \(hits)")
        }
        #expect(hits.count == keywords.count, "false alarms: \(hits)")
    }

    @Test func bundledStreamGivesTheExpectedKeywordsAtTheExpectedTimes() throws {
        let r = try Self.run(["listen", "--file", Self.demo, "--fast", "--json", "--model", Self.model])
        #expect(r.status == 0, "\(r.err)")
        let (hits, summary) = try Self.detections(r.out)
        try Self.checkAgainstTruth(hits)
        #expect(summary["detections"] as? Int == 4)
        #expect(summary["overruns"] as? Int == 0)
        #expect((summary["audio_seconds"] as? Double).map { abs($0 - 11) < 0.01 } == true)
        #expect((summary["real_time_factor"] as? Double ?? 0) > 1)
    }

    @Test func rawStdinGivesTheSameDetections() throws {
        let wav = try Data(contentsOf: URL(fileURLWithPath: Self.demo))
        let r = try Self.run(["listen", "--stdin", "--json", "--model", Self.model], stdin: wav.dropFirst(44))
        #expect(r.status == 0, "\(r.err)")
        try Self.checkAgainstTruth(try Self.detections(r.out).hits)
    }

    @Test func humanOutputAndActions() throws {
        let dir = try Self.tempDir()
        let log = dir + "/heard.txt"
        let r = try Self.run(["listen", "--file", Self.demo, "--fast", "--model", Self.model,
                              "--on", "yes=echo heard $VOICE_KEYWORD >> \(log)", "--on", "go=echo go $VOICE_CONFIDENCE >> \(log)"])
        #expect(r.status == 0, "\(r.err)")
        #expect(r.out.contains(" yes ") && r.out.contains("exit final") && r.out.contains("MACs"))
        #expect(r.out.contains("summary: 11.00 s of audio, 4 detections"))
        #expect(r.out.contains("overruns: 0"))
        let heard = try String(contentsOfFile: log, encoding: .utf8)
        #expect(heard.hasPrefix("heard yes\ngo 0."), "\(heard)")
    }

    @Test func evalOnAFolderWithoutSplits() throws {
        // Cut the demo stream's clips into a <word>/<clip>.wav folder.
        let dir = try Self.tempDir()
        let wav = try Data(contentsOf: URL(fileURLWithPath: Self.demo))
        for t in try Self.truth() {
            try FileManager.default.createDirectory(atPath: dir + "/" + t.word, withIntermediateDirectories: true)
            let start = 44 + Int(t.onset * 16000) * 2
            var clip = wav.prefix(44)
            clip.append(wav[start..<start + 32000])
            clip.replaceSubrange(40..<44, with: withUnsafeBytes(of: UInt32(32000).littleEndian) { Data($0) })
            clip.replaceSubrange(4..<8, with: withUnsafeBytes(of: UInt32(32036).littleEndian) { Data($0) })
            try clip.write(to: URL(fileURLWithPath: dir + "/\(t.word)/clip.wav"))
        }
        let r = try Self.run(["eval", "--data", dir, "--split", "all", "--out", dir + "/p.csv", "--json", dir + "/f.json", "--model", Self.model])
        #expect(r.status == 0, "\(r.err)")
        #expect(r.out.contains("accuracy per exit") && r.out.contains("confusion matrix"))
        let csv = try String(contentsOfFile: dir + "/p.csv", encoding: .utf8).split(separator: "\n")
        #expect(csv.first == "file,prediction,exit,confidence")
        #expect(csv.count == 6)
        #expect(csv.contains { $0.hasPrefix("yes/clip.wav,yes,final,") })
        #expect(csv.contains { $0.hasPrefix("house/clip.wav,_unknown_,final,") })
        let json = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: dir + "/f.json"))) as? [String: Any])
        #expect(json["clips"] as? Int == 5)
        #expect((json["confusion"] as? [[Int]])?.count == 12)
        // A split needs splits.csv.
        let bad = try Self.run(["eval", "--data", dir, "--split", "test", "--model", Self.model])
        #expect(bad.status == 1 && bad.err.contains("splits.csv"))
    }

    @Test func errorsNameWhatIsWrong() throws {
        let missing = try Self.run(["listen", "--file", "/nonexistent/x.wav", "--model", Self.model])
        #expect(missing.status == 1 && missing.err.contains("/nonexistent/x.wav"))
        let device = try Self.run(["listen", "--device", "edgewise_no_such_pcm", "--model", Self.model])
        #expect(device.status == 1 && device.err.contains("edgewise_no_such_pcm"))
        let fast = try Self.run(["listen", "--fast"])
        #expect(fast.status == 64 && fast.err.contains("--fast"))
        let action = try Self.run(["listen", "--file", Self.demo, "--on", "maybe=true", "--model", Self.model])
        #expect(action.status == 1 && action.err.contains("maybe"))
        let devices = try Self.run(["devices"])
        #expect(devices.status == 0)
    }

    /// The anchor: ML-zoo reports 94.8 % for DS-CNN-S fp32 on these test clips with TF's front end; a big gap
    /// means a front-end or label bug.
    @Test(.enabled(if: SharedData.path("datasets/kws/splits.csv") != nil, "../shared/datasets/kws not found"))
    func testSplitAccuracyIsNearTheAnchor() throws {
        let data = try #require(SharedData.path("datasets/kws"))
        let dir = try Self.tempDir()
        let r = try Self.run(["eval", "--data", data, "--split", "test", "--json", dir + "/f.json", "--model", Self.model])
        #expect(r.status == 0, "\(r.err)")
        let json = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: dir + "/f.json"))) as? [String: Any])
        let modes = try #require(json["modes"] as? [String: [String: Any]])
        let acc = try #require(modes["performance"]?["accuracy"] as? Double)
        #expect(acc > 0.93 && acc < 0.98, "test-split accuracy \(acc)")
        #expect(json["clips"] as? Int == 269)
    }
}
