import EdgewiseTesting
import Foundation
import Testing

/// Runs the built `edgewise` tool end to end, as a user would, on data the project makes itself
/// (the demo model, a synthetic training recipe) and on the shared ML-zoo models when present.
@Suite("edgewise command line", .serialized)
struct EdgewiseCommandTests {
    struct Run { var status: Int32; var out: String; var err: String }

    /// The `edgewise` binary next to this test bundle (SwiftPM puts products in one folder).
    static let tool: URL = {
        var dir = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        if dir.lastPathComponent.hasSuffix(".xctest") || dir.path.contains(".xctest/") {
            while dir.lastPathComponent != "" && !FileManager.default.fileExists(atPath: dir.appendingPathComponent("edgewise").path) {
                dir.deleteLastPathComponent()
            }
        }
        return dir.appendingPathComponent("edgewise")
    }()

    static func run(_ args: [String]) throws -> Run {
        let p = Process()
        p.executableURL = tool
        p.arguments = args
        let out = Pipe(), err = Pipe()
        p.standardOutput = out
        p.standardError = err
        try p.run()
        let o = out.fileHandleForReading.readDataToEndOfFile(), e = err.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return Run(status: p.terminationStatus, out: String(decoding: o, as: UTF8.self), err: String(decoding: e, as: UTF8.self))
    }

    static func tempDir() throws -> String {
        let d = FileManager.default.temporaryDirectory.appendingPathComponent("edgewise-cli-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: d, withIntermediateDirectories: true)
        return d
    }

    @Test func helpListsEveryCommand() throws {
        let r = try Self.run(["--help"])
        #expect(r.status == 0)
        for c in ["info", "bench", "import", "train", "demo"] { #expect(r.out.contains(c), "help lacks \(c)") }
    }

    @Test func demoThenInfoThenBench() throws {
        let dir = try Self.tempDir()
        let model = dir + "/demo.edgewise"
        let demo = try Self.run(["demo", "--output", model, "--iterations", "50"])
        #expect(demo.status == 0, "\(demo.err)")
        #expect(demo.out.contains("arena 64064 bytes") && demo.out.contains("stop at"))
        let info = try Self.run(["info", model])
        #expect(info.status == 0)
        #expect(info.out.contains("early") && info.out.contains("final") && info.out.contains("904768"))
        let json = try Self.run(["info", model, "--json", "--isa", "reference"])
        let parsed = try JSONSerialization.jsonObject(with: Data(json.out.utf8)) as? [String: Any]
        #expect(parsed?["totalMACs"] as? Int == 2_657_536)
        let bench = try Self.run(["bench", model, "--iterations", "20", "--warmup", "2", "--layers"])
        #expect(bench.status == 0)
        #expect(bench.out.contains("p50 µs") && bench.out.contains("block4.pw"))
    }

    @Test func badFilesFailWithTheFileNamed() throws {
        let dir = try Self.tempDir()
        let missing = try Self.run(["info", dir + "/nope.edgewise"])
        #expect(missing.status != 0 && missing.err.contains("nope.edgewise"))
        let junk = dir + "/junk.edgewise"
        try Data("EDGW this is not a model".utf8).write(to: URL(fileURLWithPath: junk))
        let bad = try Self.run(["bench", junk])
        #expect(bad.status != 0 && bad.err.contains("junk.edgewise") && bad.err.contains("offset"))
        let badISA = try Self.run(["bench", junk, "--isa", "sse9"])
        #expect(badISA.status != 0 && badISA.err.contains("sse9"))
    }

    @Test func trainsTheSyntheticRecipe() throws {
        let dir = try Self.tempDir()
        let recipe = try Self.run(["train", "--example-recipe"])
        #expect(recipe.status == 0)
        try Data(recipe.out.utf8).write(to: URL(fileURLWithPath: dir + "/r.json"))
        let r = try Self.run(["train", dir + "/r.json", "--output", dir, "--epochs", "2"])
        #expect(r.status == 0, "\(r.err)")
        #expect(r.out.contains("validation accuracy"))
        for f in ["signals.edgewise", "signals.training.csv", "signals.training.svg"] {
            #expect(FileManager.default.fileExists(atPath: dir + "/" + f), "missing \(f)")
        }
        #expect(try Self.run(["info", dir + "/signals.edgewise"]).status == 0)
    }

    static let shared: String = SharedData.root ?? "/nonexistent"

    @Test(SharedData.needs("models/PROVENANCE.md"))
    func importAndPeerBenchJSON() throws {
        let dir = try Self.tempDir()
        let tflite = Self.shared + "/models/ml-zoo/models/keyword_spotting/ds_cnn_small/model_package_tf/model_archive/TFLite/tflite_fp32/ds_cnn_s.tflite"
        let imp = try Self.run(["import", tflite, "-o", dir + "/s.edgewise"])
        #expect(imp.status == 0 && imp.out.contains("2656768 MACs"))
        let r = try Self.run(["bench", dir + "/s.edgewise", "--peer-json", "--inputs", Self.shared + "/models/fixtures/kws_frontend/mfcc_tf_ops.npy",
                              "--iterations", "30", "--warmup", "5"])
        #expect(r.status == 0)
        let last = r.out.split(separator: "\n").last.map(String.init) ?? ""
        let obj = try JSONSerialization.jsonObject(with: Data(last.utf8)) as? [String: Any]
        #expect((obj?["median_us"] as? Double ?? 0) > 0 && (obj?["samples_us"] as? [Double])?.count == 30)
        let int8 = Self.shared + "/models/ml-zoo/models/keyword_spotting/ds_cnn_small/model_package_tf/model_archive/TFLite/tflite_int8/ds_cnn_s_quantized.tflite"
        let info = try Self.run(["info", int8])
        #expect(info.status == 0 && info.out.contains("s=1.0841935 z=100"))
        let bench = try Self.run(["bench", int8])
        #expect(bench.status != 0 && bench.err.contains("ds_cnn_s_quantized.tflite") && bench.err.contains("int8"))
    }
}

/// Checkpoints survive being killed at any moment: `edgewise train` on a small synthetic recipe is
/// SIGKILLed at random moments and restarted until it finishes; the final model file must equal, byte
/// for byte, the one an uninterrupted run writes (or a restart must fail with an error naming the
/// checkpoint; with atomic writes none is expected, and the test reports the counts).
@Suite("edgewise train survives SIGKILL", .serialized)
struct TrainKillResumeTests {
    /// Independent kill-and-restart chains, each from an empty output folder.
    static let chains = 6

    /// Starts `edgewise train RECIPE --output DIR`, kills it with SIGKILL after `killAfter` seconds unless
    /// it ended first. Returns (finished normally, exit status, stderr).
    static func trainOnce(_ recipe: String, _ dir: String, killAfter: Double?) throws -> (killed: Bool, status: Int32, err: String) {
        let p = Process()
        p.executableURL = EdgewiseCommandTests.tool
        p.arguments = ["train", recipe, "--output", dir]
        p.standardOutput = FileHandle.nullDevice
        let errPath = dir + "/stderr.txt"
        _ = FileManager.default.createFile(atPath: errPath, contents: nil)
        p.standardError = try FileHandle(forWritingTo: URL(fileURLWithPath: errPath))
        let start = Date()
        try p.run()
        var killed = false
        while p.isRunning {
            if let killAfter, Date().timeIntervalSince(start) >= killAfter { kill(p.processIdentifier, SIGKILL); killed = true; break }
            usleep(2000)
        }
        p.waitUntilExit()
        let err = (try? String(contentsOfFile: errPath, encoding: .utf8)) ?? ""
        return (killed && p.terminationReason == .uncaughtSignal, p.terminationStatus, err)
    }

    @Test func killedAtRandomMomentsResumesBitExact() throws {
        let base = try EdgewiseCommandTests.tempDir()
        let example = try EdgewiseCommandTests.run(["train", "--example-recipe"])
        var recipe = try #require(try JSONSerialization.jsonObject(with: Data(example.out.utf8)) as? [String: Any])
        var data = try #require(recipe["data"] as? [String: Any])
        data["trainCount"] = 2400; data["validationCount"] = 320
        recipe["data"] = data
        recipe["epochs"] = 4
        recipe["checkpointEverySteps"] = 2   // checkpoints mid-epoch too, so kills land between and during writes
        let recipePath = base + "/recipe.json"
        try JSONSerialization.data(withJSONObject: recipe).write(to: URL(fileURLWithPath: recipePath))

        // The uninterrupted run: its model file and duration. Every run uses the same output folder (the
        // model's metadata records the recipe, output folder included), emptied between chains.
        let dir = base + "/run"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let t0 = Date()
        let ref = try Self.trainOnce(recipePath, dir, killAfter: nil)
        let duration = Date().timeIntervalSince(t0)
        #expect(ref.status == 0, "\(ref.err)")
        let refModel = try Data(contentsOf: URL(fileURLWithPath: dir + "/signals.edgewise"))

        var rng = SystemRandomNumberGenerator()
        var kills = 0, bitExact = 0, clearErrors = 0, moments: [String] = []
        for chain in 0..<Self.chains {
            try FileManager.default.removeItem(atPath: dir)
            try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
            var finished = false
            for attempt in 0..<12 {
                // Up to 6 kills per chain at a uniform moment of the run's duration, then let it finish.
                // (the first within the first 60 % of a fresh run, so that almost every chain is killed at least once).
                let at = attempt < 6 ? Double.random(in: 0.02...(attempt == 0 ? 0.6 : 0.9), using: &rng) * duration : nil
                let r = try Self.trainOnce(recipePath, dir, killAfter: at)
                if r.killed { kills += 1; moments.append(String(format: "%.2fs", at ?? 0)); continue }
                if r.status != 0 {
                    // Allowed only as a clear error about the checkpoint.
                    #expect(r.err.contains("checkpoint"), "chain \(chain): restart failed without naming the checkpoint: \(r.err)")
                    clearErrors += 1
                    break
                }
                finished = true
                break
            }
            #expect(finished || clearErrors > 0, "chain \(chain) did not finish")
            guard finished else { continue }
            let model = try Data(contentsOf: URL(fileURLWithPath: dir + "/signals.edgewise"))
            #expect(model == refModel, "chain \(chain): the resumed model differs from the uninterrupted run (kills at \(moments))")
            if model == refModel { bitExact += 1 }
            let leftovers = try FileManager.default.contentsOfDirectory(atPath: dir).filter { $0.contains(".tmp-") }
            // A kill between create and rename may leave one temporary file; it never replaces a real one.
            #expect(leftovers.count <= kills, "\(leftovers)")
        }
        print("SIGKILL resume: \(kills) kills over \(Self.chains) chains (run \(String(format: "%.1f", duration)) s), \(bitExact)/\(Self.chains) bit-exact, \(clearErrors) clear errors; kill moments \(moments)")
        #expect(bitExact + clearErrors == Self.chains)
        #expect(kills >= Self.chains / 2, "too few kills landed before the run ended (\(kills))")
    }
}
