import CEdgewiseKernels
import EdgewiseCore
import Foundation

/// Training throughput on this machine: forward + backward GFLOP/s of convolution and dense
/// layers against the fp32 FMA peak measured in the same run, and DS-CNN-S training samples/s.
/// A benchmark, not a test: it prints numbers and never fails on them.
public enum TrainingBenchmark {
    /// One measured layer.
    public struct LayerResult: Sendable, Codable {
        public var name: String
        /// Multiply-accumulates of forward + backward (input and weight gradients) per call.
        public var macs: Int
        public var milliseconds: Double
        public var gflops: Double
        public var fractionOfPeak: Double
    }

    /// The whole report.
    public struct Report: Sendable, Codable {
        public var kernels: String
        public var measuredPeakGFLOPS: Double
        public var layers: [LayerResult]
        /// DS-CNN-S (64 channels, 4 blocks, batch norm, early exit after block 1) training steps.
        public var dscnnBatch: Int
        public var dscnnSamplesPerSecond: Double
        public var dscnnGFLOPS: Double

        /// A readable table.
        public func render() -> String {
            var s = String(format: "training kernels: %@   fp32 FMA peak measured now: %.1f GFLOP/s (platform notes: 117)\n", kernels, measuredPeakGFLOPS)
            s += "layer (forward + backward)                         MMAC     ms   GFLOP/s  of peak\n"
            for l in layers {
                s += l.name.padding(toLength: 48, withPad: " ", startingAt: 0)
                s += String(format: " %7.2f %7.3f %8.1f %7.1f%%\n", Double(l.macs) / 1e6, l.milliseconds, l.gflops, l.fractionOfPeak * 100)
            }
            s += String(format: "DS-CNN-S training, batch %d: %.0f samples/s (%.1f GFLOP/s whole step incl. batch norm, depthwise, loss, AdamW)\n",
                        dscnnBatch, dscnnSamplesPerSecond, dscnnGFLOPS)
            return s
        }
    }

    /// Best-of-`repeats` time of `body` in seconds, after one warm-up call.
    static func time(_ repeats: Int, _ body: () -> Void) -> Double {
        body()
        var best = Double.infinity
        for _ in 0..<repeats {
            let t0 = DispatchTime.now().uptimeNanoseconds
            body()
            best = min(best, Double(DispatchTime.now().uptimeNanoseconds - t0) * 1e-9)
        }
        return best
    }

    /// Measures forward + backward of one node graph (input gradient included).
    static func layer(_ name: String, _ graph: Graph, macs: Int, kernels: TrainingKernels, peak: Double, repeats: Int) throws -> LayerResult {
        let s = try TrainingSession(graph: graph, batchSize: graph.values[graph.input].shape[0], kernels: kernels)
        s.computesInputGradient = true
        var rng = SeededGenerator(seed: 1)
        let x = rng.uniform(count: graph.values[graph.input].shape.elementCount)
        let out = graph.exits.last!.head.output
        let dy = rng.uniform(count: graph.values[out].shape.elementCount)
        let t = time(repeats) {
            s.forward(x)
            s.zeroParameterGradients()
            s.backward(seeds: [(out, dy)])
        }
        let gflops = Double(2 * macs) / t * 1e-9
        return LayerResult(name: name, macs: macs, milliseconds: t * 1e3, gflops: gflops, fractionOfPeak: gflops / peak)
    }

    /// Runs every measurement (a few seconds in a release build).
    public static func run(kernels: TrainingKernels = .best, repeats: Int = 20) throws -> Report {
        let peak = ew_bench_peak_f32_gflops(ew_cpu_best_isa())
        var rng = SeededGenerator(seed: 2)
        var layers: [LayerResult] = []
        // Convolutions of DS-CNN-S at batch 32 (25×5 feature maps, 64 channels).
        func convGraph(_ xs: Shape, _ k: (Int, Int), _ cin: Int, _ cout: Int, _ a: ConvAttributes) throws -> Graph {
            var b = GraphBuilder()
            let x = b.input("x", shape: xs)
            let y = try b.conv2d(x, weights: rng.uniform(count: k.0 * k.1 * cin * cout), shape: [k.0, k.1, cin, cout], bias: rng.uniform(count: cout), a)
            b.exitHead("out") { _ in y }
            b.endStage("s")
            return try b.build()
        }
        let pw = try convGraph([32, 25, 5, 64], (1, 1), 64, 64, .init())
        layers.append(try layer("pointwise conv 1×1 64→64, 32×25×5 (DS-CNN-S)", pw, macs: 3 * 32 * 125 * 64 * 64, kernels: kernels, peak: peak, repeats: repeats))
        let c0 = try convGraph([32, 49, 10, 1], (10, 4), 1, 64, .init(stride: .init(2, 2), padding: .same(inputHW: (49, 10), kernelHW: (10, 4), strideHW: (2, 2))))
        layers.append(try layer("conv 10×4/2 1→64, 32×49×10 (DS-CNN-S first)", c0, macs: 3 * 32 * 125 * 40 * 64, kernels: kernels, peak: peak, repeats: repeats))
        let c3 = try convGraph([32, 25, 5, 64], (3, 3), 64, 64, .init(padding: .same(inputHW: (25, 5), kernelHW: (3, 3), strideHW: (1, 1))))
        layers.append(try layer("conv 3×3 64→64, 32×25×5 (im2col)", c3, macs: 3 * 32 * 125 * 576 * 64, kernels: kernels, peak: peak, repeats: repeats))
        for (m, k, n) in [(32, 64, 12), (32, 1024, 1024), (256, 512, 512)] {
            var b = GraphBuilder()
            let x = b.input("x", shape: [m, k])
            let y = try b.dense(x, weights: rng.uniform(count: k * n), outputs: n, bias: rng.uniform(count: n))
            b.exitHead("out") { _ in y }
            b.endStage("s")
            let label = "dense \(k)→\(n), batch \(m)" + (k == 64 ? " (DS-CNN-S head)" : "")
            layers.append(try layer(label, try b.build(), macs: 3 * m * k * n, kernels: kernels, peak: peak, repeats: repeats))
        }
        // A whole DS-CNN-S training step at batch 32.
        let batch = 32
        var spec = ModelSpec.dscnnSmall
        spec.batchNorm = true
        let g = try spec.build(seed: 5)
        let s = try TrainingSession(graph: g, batchSize: batch, kernels: kernels)
        let opt = Optimizer(OptimizerConfig(.adamW, learningRate: 1e-3))
        let x = rng.uniform(count: batch * spec.inputSize, -3...3)
        let labels = (0..<batch).map { $0 % spec.classes }
        var grads = [[Float]](repeating: [Float](repeating: 0, count: batch * spec.classes), count: s.exitLogits.count)
        func step() {
            s.forward(x)
            for e in s.exitLogits.indices {
                for j in grads[e].indices { grads[e][j] = 0 }
                grads[e].withUnsafeMutableBufferPointer { _ = Loss().evaluate(logits: s.values(s.exitLogits[e]), classes: spec.classes, labels: labels, gradient: $0) }
            }
            s.zeroParameterGradients()
            s.backward(seeds: s.exitLogits.enumerated().map { ($1, grads[$0]) })
            opt.update(s, learningRate: 1e-3)
        }
        let t = time(max(5, repeats / 2)) { for _ in 0..<5 { step() } } / 5
        let forwardMACs = g.nodesInExecutionOrder.reduce(0) { $0 + g.macs(of: $1.node) }
        let samples = Double(batch) / t
        return Report(kernels: kernels.rawValue, measuredPeakGFLOPS: peak, layers: layers, dscnnBatch: batch,
                      dscnnSamplesPerSecond: samples, dscnnGFLOPS: Double(3 * 2 * forwardMACs) * samples * 1e-9)
    }
}
