import EdgewiseReport
import ArgumentParser
import EdgewiseCore
import EdgewiseInterop
import EdgewiseModel
import Foundation

struct BenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Measure inference latency per exit (p50/p90/p99) after warm-up.",
        discussion: """
            Each timed run writes the input, runs until the exit and reads its output, on one thread unless \
            --threads says otherwise. Inputs are random (seeded) unless --inputs names a .npy file of rows.
            With --peer-json, times the final exit only and prints as its last line the JSON object that \
            peer-bench's --extra hook reads; it takes PEER_BENCH_ITERS, PEER_BENCH_WARMUP and \
            PEER_BENCH_FIXTURE from the environment when set.
            """)

    @Argument(help: "The model file (.edgewise, or .tflite to import on the fly).")
    var model: String

    @OptionGroup var engine: RunOptions

    @Option(help: "Untimed warm-up runs per exit.")
    var warmup = 100

    @Option(help: "Timed runs per exit.")
    var iterations = 1000

    @Option(help: "Seed of the random input.")
    var seed: UInt64 = 1

    @Option(help: "A .npy file of input rows, used in turn: float32, or int8 for a model with an int8 input (fed as stored).")
    var inputs: String?

    @Flag(help: "Also print the median time of each layer.")
    var layers = false

    @Flag(help: "Time the final exit and print one JSON line for peer-bench's --extra hook.")
    var peerJSON = false

    func validate() throws {
        guard warmup >= 0, iterations >= 1 else { throw ValidationError("--warmup must be ≥ 0 and --iterations ≥ 1") }
    }

    func run() throws {
        let env = ProcessInfo.processInfo.environment
        let m = try loadModel(model)
        let e = try engine.executor(for: m, path: model)
        let inputPath = peerJSON ? (inputs ?? env["PEER_BENCH_FIXTURE"]) : inputs
        // int8 .npy rows for an int8-input model are fed as they are (no float round trip).
        let raw = try rawInt8Rows(path: inputPath, executor: e)
        let rows = raw == nil ? try inputRows(path: inputPath, width: e.input.count) : []
        func time(_ probe: LatencyProbe, stopAt: Int) -> [UInt64] {
            if let raw { return probe.timeRuns(e, rawInputs: raw, stopAt: stopAt) }
            return probe.timeRuns(e, inputs: rows, stopAt: stopAt)
        }
        if peerJSON {
            let probe = LatencyProbe(warmup: env["PEER_BENCH_WARMUP"].flatMap(Int.init) ?? warmup,
                                     iterations: env["PEER_BENCH_ITERS"].flatMap(Int.init) ?? iterations)
            let ns = time(probe, stopAt: e.exits.count - 1)
            let s = LatencySummary(name: "final", nanoseconds: ns)
            let samples = ns.map { (Double($0) / 1000 * 100).rounded() / 100 }
            let line = try JSONSerialization.data(withJSONObject: ["median_us": s.p50, "p90_us": s.p90, "p99_us": s.p99, "samples_us": samples])
            FileHandle.standardError.write("# \(model): \(e.isa) kernels, \(ns.count) runs, \(raw?.count ?? rows.count) input rows\n".data(using: .utf8)!)
            print(String(decoding: line, as: UTF8.self))
            return
        }
        let probe = LatencyProbe(warmup: warmup, iterations: iterations)
        print("model \(model): \(e.graph.totalMACs) MACs, arena \(e.plan.arenaBytes) bytes, kernels \(e.isa), threads \(engine.threads)")
        var t = TextTable([("exit", .left), ("MACs", .right), ("p50 µs", .right), ("p90 µs", .right), ("p99 µs", .right), ("GMAC/s at p50", .right)])
        for exit in e.exits {
            let s = LatencySummary(name: exit.name, nanoseconds: time(probe, stopAt: exit.index))
            t.add([s.name, String(exit.cumulativeMACs), fixed(s.p50), fixed(s.p90), fixed(s.p99), fixed(Double(exit.cumulativeMACs) / (s.p50 * 1000), 2)])
        }
        print(t.render(), terminator: "")
        if layers {
            var l = TextTable([("layer", .left), ("op", .left), ("MACs", .right), ("median µs", .right), ("GFLOP/s", .right)])
            for step in e.profileSteps(iterations: iterations) {
                l.add([step.node.name, step.node.op.kindName, String(step.macs), fixed(step.nanoseconds / 1000, 2),
                       step.macs > 0 ? fixed(2 * Double(step.macs) / max(step.nanoseconds, 1), 1) : "-"])
            }
            print("\n" + l.render(), terminator: "")
        }
    }

    /// Rows of an int8 .npy file when the model's input is int8 too (`nil` otherwise).
    private func rawInt8Rows(path: String?, executor e: Executor) throws -> [[UInt8]]? {
        guard let path, e.graph.values[e.graph.input].dtype == .int8 else { return nil }
        let npy = try NPYFile(path: path)
        guard npy.dtype == .int8 else { return nil }
        let width = e.rawInput.count
        guard width > 0, npy.data.count % width == 0, !npy.data.isEmpty else {
            throw CommandFailure("\(path): \(npy.data.count) int8 values do not split into rows of the model's \(width) inputs")
        }
        return stride(from: 0, to: npy.data.count, by: width).map { Array(npy.data[$0..<($0 + width)]) }
    }

    /// Input rows from a .npy file (each row the model's input size), or one seeded random row.
    private func inputRows(path: String?, width: Int) throws -> [[Float]] {
        guard let path else {
            var rng = SeededGenerator(seed: seed)
            return [rng.uniform(count: width)]
        }
        let npy = try NPYFile(path: path)
        let values = try npy.floats()
        guard values.count % width == 0, !values.isEmpty else {
            throw CommandFailure("\(path): \(values.count) values do not split into rows of the model's \(width) inputs")
        }
        return stride(from: 0, to: values.count, by: width).map { Array(values[$0..<($0 + width)]) }
    }
}
