import Dispatch
import EdgewiseCore
import Foundation

/// Worker threads the dataset loaders use by default: the active processor count (2 on the build VM).
public let defaultThreadCount = max(1, ProcessInfo.processInfo.activeProcessorCount)

/// Carries a pointer into `@Sendable` work; callers guarantee that workers touch disjoint elements.
struct UnsafeSendable<T>: @unchecked Sendable {
    let value: T
    init(_ value: T) { self.value = value }
}

/// Runs `body` over contiguous chunks of `0..<count` on up to `threads` threads (in the caller when 1).
/// Chunk boundaries depend only on `count` and `threads`, and per-index work must not depend on the chunk,
/// so results are the same for every thread count.
func parallelChunks(count: Int, threads: Int, _ body: @Sendable (Range<Int>) -> Void) {
    let workers = max(1, min(threads, count))
    if workers == 1 { if count > 0 { body(0..<count) }; return }
    DispatchQueue.concurrentPerform(iterations: workers) { w in
        body(count * w / workers..<count * (w + 1) / workers)
    }
}

/// The generator for example `index` of a run seeded with `seed`: independent of thread scheduling.
func exampleGenerator(seed: UInt64, index: Int) -> SeededGenerator {
    var g = SeededGenerator(seed: seed ^ (UInt64(truncatingIfNeeded: index) &* 0xD1B5_4A32_D192_ED03))
    _ = g.next()
    return g
}
