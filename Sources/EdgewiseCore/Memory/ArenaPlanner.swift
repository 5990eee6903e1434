/// Places buffers with known lifetimes in one arena so that buffers alive at the same time never
/// overlap. Lifetimes are inclusive step ranges in execution order.
public protocol ArenaPlanner {
    /// Registers a buffer of `size` bytes alive from step `firstUse` to `lastUse` (inclusive); returns its index.
    mutating func addBuffer(size: Int, firstUse: Int, lastUse: Int) -> Int
    /// Computes offsets; call once after every buffer is added.
    mutating func plan()
    /// The offset of buffer `index` after ``plan()``.
    func offset(ofBuffer index: Int) -> Int
    /// Arena bytes needed after ``plan()``.
    var peakBytes: Int { get }
}

/// The byte alignment of every buffer in the arena (one cache line; enough for AVX-512 loads).
public let arenaAlignment = 64

/// `n` rounded up to a multiple of `a`; saturates at the largest multiple instead of overflowing
/// (sizes come from files; the executor refuses such arenas by its limit).
@inline(__always) func alignUp(_ n: Int, _ a: Int = arenaAlignment) -> Int {
    n > Int.max - a ? Int.max / a * a : (n + a - 1) / a * a
}

/// `a + b`, saturating at `Int.max`.
@inline(__always) func saturatingSum(_ a: Int, _ b: Int) -> Int {
    let (s, o) = a.addingReportingOverflow(b)
    return o ? .max : s
}

struct PlannedBuffer {
    var size: Int, firstUse: Int, lastUse: Int, offset: Int = 0
    func overlapsInTime(_ o: PlannedBuffer) -> Bool { firstUse <= o.lastUse && o.firstUse <= lastUse }
}

/// Gives every buffer its own region: the trivial planner the greedy one is checked against.
public struct LinearArenaPlanner: ArenaPlanner {
    var buffers: [PlannedBuffer] = []
    public private(set) var peakBytes = 0
    public init() {}
    public mutating func addBuffer(size: Int, firstUse: Int, lastUse: Int) -> Int {
        buffers.append(PlannedBuffer(size: alignUp(size), firstUse: firstUse, lastUse: lastUse))
        return buffers.count - 1
    }
    public mutating func plan() {
        var at = 0
        for i in buffers.indices { buffers[i].offset = at; at = saturatingSum(at, buffers[i].size) }
        peakBytes = at
    }
    public func offset(ofBuffer index: Int) -> Int { buffers[index].offset }
}

/// Greedy by size (as TFLite Micro's planner): largest buffers first, each placed at the lowest offset
/// where it overlaps no already-placed buffer that is alive at the same time.
public struct GreedyArenaPlanner: ArenaPlanner {
    var buffers: [PlannedBuffer] = []
    public private(set) var peakBytes = 0
    public init() {}
    public mutating func addBuffer(size: Int, firstUse: Int, lastUse: Int) -> Int {
        buffers.append(PlannedBuffer(size: alignUp(size), firstUse: firstUse, lastUse: lastUse))
        return buffers.count - 1
    }
    public mutating func plan() {
        let order = buffers.indices.sorted { (buffers[$0].size, buffers[$1].firstUse) > (buffers[$1].size, buffers[$0].firstUse) }
        var placed: [Int] = []
        peakBytes = 0
        for i in order {
            let b = buffers[i]
            // Live placed buffers sorted by offset; take the first gap that fits.
            let live = placed.filter { buffers[$0].overlapsInTime(b) }.sorted { buffers[$0].offset < buffers[$1].offset }
            var candidate = 0
            for j in live {
                let o = buffers[j]
                if saturatingSum(candidate, b.size) <= o.offset { break }
                candidate = max(candidate, saturatingSum(o.offset, o.size))
            }
            buffers[i].offset = candidate
            placed.append(i)
            peakBytes = max(peakBytes, saturatingSum(candidate, b.size))
        }
    }
    public func offset(ofBuffer index: Int) -> Int { buffers[index].offset }
}
