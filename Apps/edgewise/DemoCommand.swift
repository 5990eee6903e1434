import EdgewiseReport
import EdgewiseArchitectures
import ArgumentParser
import EdgewiseCore
import EdgewiseModel
import Foundation

struct DemoCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo",
        abstract: "Build a DS-CNN-S-shaped two-exit keyword model, save it, and show its report and timings.",
        discussion: "Random (seeded) weights: this shows the core working (model file, arena plan, exits, kernels), not accuracy. The apps' demos replace it as they land.")

    @Option(help: "Where to write the demo model.")
    var output = "out/demo-ds-cnn-s.edgewise"

    @Option(help: "Seed of the random weights.")
    var seed: UInt64 = 42

    @Option(help: "Timed runs per exit.")
    var iterations = 2000

    @OptionGroup var engine: RunOptions

    func run() throws {
        var config = DSCNN.Config.small
        config.batchNorm = true
        let graph = try DSCNN.build(config, seed: seed)
        let labels = ["_silence_", "_unknown_", "yes", "no", "up", "down", "left", "right", "on", "off", "stop", "go"]
        let model = Model(graph: graph, labels: labels,
                          inputSpec: InputSpec(preprocessing: "mfcc", parameters: ["sample_rate": 16000, "window": 640, "stride": 320, "coefficients": 10, "frames": 49]),
                          metadata: ["recipe": "edgewise demo: DS-CNN-S shape, random weights", "seed": String(seed)])
        try FileManager.default.createDirectory(atPath: (output as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        try ModelFile.write(model, to: output)
        let size = (try? FileManager.default.attributesOfItem(atPath: output)[.size] as? Int) ?? 0
        print("wrote \(output) (\(size) bytes)\n")

        let loaded = try ModelFile.read(path: output)
        let e = try engine.executor(for: loaded, path: output)
        print(ModelReport(executor: e).render())

        var rng = SeededGenerator(seed: seed &+ 1)
        let input = rng.uniform(count: e.input.count, -30...10)
        let probe = LatencyProbe(warmup: 200, iterations: iterations)
        print("latency (one thread, kernels \(e.isa), \(iterations) runs after warm-up):")
        var t = TextTable([("stop at", .left), ("MACs", .right), ("p50 µs", .right), ("p90 µs", .right), ("p99 µs", .right)])
        for (s, exit) in zip(probe.measure(e, input: input), e.exits) {
            t.add([s.name, String(exit.cumulativeMACs), fixed(s.p50), fixed(s.p90), fixed(s.p99)])
        }
        print(t.render())
        let out = e.run { _ in .continue }
        let best = out.values.indices.max { out.values[$0] < out.values[$1] }!
        print("\nfinal exit on a random input: '\(loaded.labels[best])' p=\(String(format: "%.3f", out.values[best])) (random weights: the label means nothing)")
    }
}
