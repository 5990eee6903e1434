import CEdgewiseKernels
import Dispatch

/// Latency percentiles of one measured configuration, in microseconds.
///
/// Exact nearest-rank percentiles of the sorted samples, not HdrHistogram (hdrhistogram-swift): a
/// benchmark keeps a few thousand samples anyway (`--peer-json` prints them all), sorting them is exact
/// and cheap, and a histogram would only approximate the same numbers to its bucket precision;
/// HdrHistogram pays off for unbounded streams in fixed memory, which this is not.
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

/// Times an executor per exit: each measured run writes the input, runs until that exit, and copies
/// the exit's output out, after `warmup` untimed runs.
public struct LatencyProbe {
    public var warmup: Int
    public var iterations: Int

    public init(warmup: Int = 50, iterations: Int = 500) {
        self.warmup = warmup; self.iterations = iterations
    }

    /// Times stopping at each exit in turn. `input` must have the executor's input size.
    public func measure(_ executor: Executor, input: [Float]) -> [LatencySummary] {
        executor.exits.map { exit in
            LatencySummary(name: exit.name, nanoseconds: timeRuns(executor, inputs: [input], stopAt: exit.index))
        }
    }

    /// Raw nanosecond samples of runs that stop at exit `stopAt`, cycling through `inputs` (each of the
    /// executor's input size). A timed run copies the input in, runs, and copies the output out.
    /// Like ``timeRuns(_:inputs:stopAt:)`` for an int8-input model fed already-quantised rows: each
    /// timed run copies one row of bytes into ``Executor/rawInput`` (no float quantisation step), as a
    /// runtime given int8 tensors does.
    public func timeRuns(_ executor: Executor, rawInputs: [[UInt8]], stopAt: Int) -> [UInt64] {
        precondition(!rawInputs.isEmpty && rawInputs.allSatisfy { $0.count == executor.rawInput.count }, "input rows must match the model input")
        let previous = executor.quantizesInput
        executor.quantizesInput = false
        defer { executor.quantizesInput = previous }
        var samples = [UInt64](repeating: 0, count: iterations)
        let width = executor.exits[stopAt].values.count
        let output = UnsafeMutableBufferPointer<Float>.allocate(capacity: width)
        defer { output.deallocate() }
        for i in -warmup..<iterations {
            let row = rawInputs[(i + warmup) % rawInputs.count]
            let t0 = DispatchTime.now().uptimeNanoseconds
            row.withUnsafeBytes { executor.rawInput.copyMemory(from: $0) }
            let out = executor.run { $0.index >= stopAt ? .stop : .continue }
            _ = output.update(fromContentsOf: out.values)
            let t1 = DispatchTime.now().uptimeNanoseconds
            if i >= 0 { samples[i] = t1 - t0 }
        }
        ew_escape(output.baseAddress)
        return samples
    }

    public func timeRuns(_ executor: Executor, inputs: [[Float]], stopAt: Int) -> [UInt64] {
        precondition(!inputs.isEmpty && inputs.allSatisfy { $0.count == executor.input.count }, "input rows must match the model input")
        var samples = [UInt64](repeating: 0, count: iterations)
        let width = executor.exits[stopAt].values.count
        let output = UnsafeMutableBufferPointer<Float>.allocate(capacity: width)
        defer { output.deallocate() }
        for i in -warmup..<iterations {
            let row = inputs[(i + warmup) % inputs.count]
            let t0 = DispatchTime.now().uptimeNanoseconds
            row.withUnsafeBufferPointer { _ = executor.input.update(fromContentsOf: $0) }
            let out = executor.run { $0.index >= stopAt ? .stop : .continue }
            _ = output.update(fromContentsOf: out.values)
            let t1 = DispatchTime.now().uptimeNanoseconds
            if i >= 0 { samples[i] = t1 - t0 }
        }
        ew_escape(output.baseAddress)
        return samples
    }
}
