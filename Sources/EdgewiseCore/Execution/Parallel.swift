import Dispatch

/// Wraps a value the caller guarantees is safe to share across the worker threads of one call (for
/// example a pointer whose elements the workers touch disjointly). The one such wrapper in the project.
public struct UncheckedSendable<T>: @unchecked Sendable {
    public let value: T
    public init(_ value: T) { self.value = value }
}

/// Runs `body` over contiguous chunks of `0..<count` on up to `threads` threads (in the caller when 1):
/// the one parallel-for of the project (executor layers, dataset loaders). Chunk boundaries depend only
/// on `count` and `threads`, so per-index work that does not depend on its chunk gives the same results
/// for every thread count. `body` is only called during this call; chunks must write disjoint memory.
public func parallelChunks(count: Int, threads: Int, _ body: (Range<Int>) -> Void) {
    let workers = max(1, min(threads, count))
    if workers == 1 { if count > 0 { body(0..<count) }; return }
    withoutActuallyEscaping(body) { body in
        let unchecked = UncheckedSendable(body)
        DispatchQueue.concurrentPerform(iterations: workers) { w in
            unchecked.value(count * w / workers..<count * (w + 1) / workers)
        }
    }
}
