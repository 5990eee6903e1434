import EdgewiseArchitectures
import Benchmark
import EdgewiseCore

/// Mallocs per sample: the harness adds a constant per sample (16 on this machine), so compare each
/// benchmark with `empty`. `ds-cnn-s x100` runs 100 inferences per sample: any allocation in the
/// inference loop shows up as ≥ 100 extra mallocs.
let benchmarks: @Sendable () -> Void = {
    Benchmark.defaultConfiguration = .init(metrics: [.wallClock, .mallocCountTotal], maxDuration: .seconds(2), maxIterations: 200)

    Benchmark("empty") { benchmark in
        for _ in benchmark.scaledIterations { blackHole(0) }
    }

    // Control: shows the counter sees allocations (expect ≥ 10 per sample above `empty`).
    Benchmark("control: 10 array allocations") { benchmark in
        for _ in 0..<10 { blackHole([Int](repeating: 1, count: 64 + benchmark.currentIteration % 3)) }
    }

    Benchmark("ds-cnn-s x100 (single thread)") { benchmark in
        let executor = try Executor(graph: try DSCNN.build(.small))
        var rng = SeededGenerator(seed: 1)
        _ = executor.input.update(fromContentsOf: rng.uniform(count: executor.input.count))
        executor.runToEnd()
        benchmark.startMeasurement()
        for _ in 0..<100 { blackHole(executor.runToEnd().values[0]) }
        benchmark.stopMeasurement()
    }

    Benchmark("ds-cnn-s x100 stopping at the early exit") { benchmark in
        let executor = try Executor(graph: try DSCNN.build(.small))
        executor.runToEnd()
        benchmark.startMeasurement()
        for _ in 0..<100 { blackHole(executor.run { _ in .stop }.values[0]) }
        benchmark.stopMeasurement()
    }
}
