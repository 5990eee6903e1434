import EdgewiseArchitectures
import CMallocCounter
import EdgewiseCore
import EdgewiseSignal
import Foundation
import Testing
@testable import EdgewiseSpeech

@Suite struct StreamingTests {
    static func noise(_ n: Int, seed: UInt64) -> [Int16] {
        var rng = SeededGenerator(seed: seed)
        let x: [Float] = rng.uniform(count: n, -0.4...0.4)
        var out = [Int16](repeating: 0, count: n)
        for i in 0..<n {
            let envelope = Float(0.5 + 0.5 * Foundation.sin(Double(i) / 900))
            out[i] = Int16(x[i] * 32767 * envelope)
        }
        return out
    }

    /// Chunked streaming gives bit-identical frames to the batch MFCC over the same samples.
    @Test func incrementalFramesEqualBatch() {
        let pcm = Self.noise(16000 + 320 * 7 + 123, seed: 1)
        var stream = StreamingMFCC()
        var frames: [Float] = []
        var rng = SeededGenerator(seed: 9)
        var i = 0
        pcm.withUnsafeBufferPointer { p in
            while i < p.count {
                let n = min(Int.random(in: 1...700, using: &rng), p.count - i)
                stream.push(UnsafeBufferPointer(rebasing: p[i..<i + n])) { frames += $0 }
                i += n
            }
        }
        var batch = MFCC()
        let expected = batch.featureCount(sampleCount: pcm.count)
        var out = [Float](repeating: 0, count: expected)
        batch.compute(pcm16: pcm, into: &out)
        #expect(stream.frameCount == 56)
        #expect(frames.count == expected)
        #expect(frames == out)
    }

    /// The sliding window after N hops is the batch MFCC of the last second.
    @Test func slidingWindowEqualsBatchOfLastSecond() {
        let pcm = Self.noise(16000 + 320 * 30, seed: 2)
        var stream = StreamingMFCC()
        var window = FeatureWindow(frames: 49, width: 10)
        pcm.withUnsafeBufferPointer { p in stream.push(p) { window.push($0) } }
        #expect(window.isFull && window.pushed == 79)
        var got = [Float](repeating: 0, count: 490)
        got.withUnsafeMutableBufferPointer { window.copy(into: $0) }
        var batch = MFCC()
        var expected = [Float](repeating: 0, count: 490)
        batch.compute(pcm16: Array(pcm[(30 * 320)...]), into: &expected)
        #expect(got == expected)
    }

    static func spotter(_ config: KeywordSpotter.Configuration = .init(), selector: ExitSelector = FinalExitSelector()) throws -> KeywordSpotter {
        var c = DSCNN.Config.small
        c.earlyExitAfterBlock = 1
        let e = try Executor(graph: try DSCNN.build(c, seed: 5))
        let labels = ["_silence_", "_unknown_", "yes", "no", "up", "down", "left", "right", "on", "off", "stop", "go"]
        return try KeywordSpotter(executor: e, labels: labels, configuration: config, selector: selector)
    }

    @Test func steadyStateAllocatesNothing() throws {
        let k = try Self.spotter(.init(threshold: 0.0, smoothing: 5, refractory: 0.2, rearm: 1.1), selector: ConfidenceExitSelector(threshold: 0.5))
        let pcm = Self.noise(48000, seed: 3)
        var detections = 0
        pcm.withUnsafeBufferPointer { p in
            k.process(UnsafeBufferPointer(rebasing: p[..<24000])) { _ in detections += 1 }  // warm-up: window fills
            ew_malloc_counter_start()
            var i = 24000
            while i < p.count {
                k.process(UnsafeBufferPointer(rebasing: p[i..<min(i + 320, p.count)])) { _ in detections += 1 }
                i += 320
            }
        }
        let n = ew_malloc_counter_stop()
        #expect(n == 0, "\(n) heap allocations while streaming 1.5 s (detections \(detections))")
        // threshold 0 fires on every hop outside the refractory period: 3 s of stream, 1 s without a window.
        #expect(detections >= 8)
        // 48000 samples = 149 frames; the first inference is at frame 49 (the window is full).
        #expect(k.statistics.inferences == 149 - 48)
        #expect(k.statistics.exitCounts.reduce(0, +) == k.statistics.inferences)
        #expect(k.statistics.levelDBFS.isFinite && k.statistics.levelDBFS < 0)
    }

    @Test func refractoryAndInferenceStrideAreHonoured() throws {
        let k = try Self.spotter(.init(threshold: 0.0, smoothing: 1, refractory: 0.5, hopsPerInference: 2, rearm: 1.1))
        let pcm = Self.noise(16000 * 4, seed: 4)
        var times: [Double] = []
        pcm.withUnsafeBufferPointer { p in k.process(p) { times.append($0.time) } }
        // 64000 samples = 199 frames, 151 of them with a full window, every 2nd runs the model.
        #expect(k.statistics.inferences == 151 / 2)
        #expect(zip(times, times.dropFirst()).allSatisfy { $1 - $0 >= 0.5 - 1e-9 })
        #expect(times.first.map { $0 >= 1.0 } ?? false, "no detection before the window is full")
        #expect(k.statistics.exitCounts == [0, k.statistics.inferences], "the final-exit selector never stops early")
        #expect(k.statistics.macsSaved == 0)
    }

    @Test func confidenceSelectorStopsEarlyAndSavesMACs() throws {
        let k = try Self.spotter(selector: ConfidenceExitSelector(threshold: 0))
        let pcm = Self.noise(16000 * 2, seed: 6)
        pcm.withUnsafeBufferPointer { p in k.process(p) { _ in } }
        #expect(k.statistics.exitCounts[0] == k.statistics.inferences && k.statistics.inferences > 0)
        #expect(k.statistics.macsSaved > 0.3)
    }
}
