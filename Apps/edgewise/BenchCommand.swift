import ArgumentParser
import EdgewiseCore
import EdgewiseModel
import Foundation

struct BenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Measure inference latency per exit (p50/p90/p99) after warm-up.",
        discussion: "Each timed run writes the input, runs until the exit and reads its output, on one thread unless --threads says otherwise. Inputs are random (seeded) unless --input gives a file of float32 values.")

    @Argument(help: "The model file (.edgewise).")
    var model: String

    @OptionGroup var engine: RunOptions

    @Option(help: "Untimed warm-up runs per exit.")
    var warmup = 100

    @Option(help: "Timed runs per exit.")
    var iterations = 1000

    @Option(help: "Seed of the random input.")
    var seed: UInt64 = 1

    @Flag(help: "Also print the median time of each layer.")
    var layers = false

    func validate() throws {
        guard warmup >= 0, iterations >= 1 else { throw ValidationError("--warmup must be ≥ 0 and --iterations ≥ 1") }
    }

    func run() throws {
        let m = try ModelFile.read(path: model)
        let e = try Executor(graph: m.graph, options: try engine.executionOptions())
        var rng = SeededGenerator(seed: seed)
        let input = rng.uniform(count: e.input.count)
        let probe = LatencyProbe(warmup: warmup, iterations: iterations)
        print("model \(model): \(e.graph.totalMACs) MACs, arena \(e.plan.arenaBytes) bytes, kernels \(e.isa), threads \(engine.threads)")
        print("exit          MACs        p50 µs   p90 µs   p99 µs   GMAC/s@p50")
        for (s, exit) in zip(probe.measure(e, input: input), e.exits) {
            let gmacs = Double(exit.cumulativeMACs) / (s.p50 * 1000)
            print(String(format: "%-12@ %9d  %9.1f %8.1f %8.1f   %8.2f", s.name as NSString, exit.cumulativeMACs, s.p50, s.p90, s.p99, gmacs))
        }
        if layers {
            print("\nlayer                 op                    MACs    median µs  GFLOP/s")
            for l in e.profileSteps(iterations: iterations) {
                let us = l.nanoseconds / 1000
                let gflops = l.macs > 0 ? String(format: "%8.2f", 2 * Double(l.macs) / max(l.nanoseconds, 1)) : "       -"
                print(String(format: "%-21@ %-20@ %8d %10.2f  %@", l.node.name as NSString, l.node.op.kindName as NSString, l.macs, us, gflops as NSString))
            }
        }
    }
}
