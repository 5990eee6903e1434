import CEdgewiseKernels
import Dispatch

/// Latency percentiles of one measured configuration, in microseconds.
public struct LatencySummary: Sendable, Codable {
    public var name: String
    public var samples: Int
    public var p50: Double, p90: Double, p99: Double, min: Double, mean: Double

    /// Summarises raw samples in nanoseconds.
    public init(name: String, nanoseconds: [UInt64]) {
        let s = nanoseconds.sorted().map { Double($0) / 1000 }
        func pct(_ p: Double) -> Double { s.isEmpty ? 0 : s[Swift.min(s.count - 1, Int((p * Double(s.count - 1)).rounded()))] }
        self.name = name
        samples = s.count
        p50 = pct(0.5); p90 = pct(0.9); p99 = pct(0.99)
        min = s.first ?? 0
        mean = s.isEmpty ? 0 : s.reduce(0, +) / Double(s.count)
    }
}

/// Times an executor per exit: each measured run writes the input, runs until that exit, and reads
/// the exit's output, after `warmup` untimed runs.
public struct LatencyProbe {
    public var warmup: Int
    public var iterations: Int

    public init(warmup: Int = 50, iterations: Int = 500) {
        self.warmup = warmup; self.iterations = iterations
    }

    /// Times stopping at each exit in turn. `input` must have the executor's input size.
    public func measure(_ executor: Executor, input: [Float]) -> [LatencySummary] {
        executor.exits.map { exit in
            LatencySummary(name: exit.name, nanoseconds: timeRuns(executor, input: input, stopAt: exit.index))
        }
    }

    /// Raw nanosecond samples of runs that stop at exit `stopAt`.
    public func timeRuns(_ executor: Executor, input: [Float], stopAt: Int) -> [UInt64] {
        var samples = [UInt64](repeating: 0, count: iterations)
        var sink: Float = 0
        input.withUnsafeBufferPointer { src in
            for i in -warmup..<iterations {
                let t0 = DispatchTime.now().uptimeNanoseconds
                _ = executor.input.update(fromContentsOf: src)
                let out = executor.run { $0.index >= stopAt ? .stop : .continue }
                sink += out.values[0]
                let t1 = DispatchTime.now().uptimeNanoseconds
                if i >= 0 { samples[i] = t1 - t0 }
            }
        }
        withUnsafeMutablePointer(to: &sink) { ew_escape($0) }
        return samples
    }
}
