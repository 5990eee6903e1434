import EdgewiseArchitectures
import Testing
@testable import EdgewiseCore

@Suite struct ArenaPlannerTests {
    /// Random buffer sets: live buffers never overlap, offsets are aligned, greedy peak ≤ linear peak,
    /// and the greedy peak is at least the largest set of simultaneously live bytes.
    @Test(arguments: 0..<50)
    func greedyPlansAreSafeAndNoWorseThanLinear(seed: Int) {
        var rng = SeededGenerator(seed: UInt64(seed))
        let steps = Int.random(in: 1...40, using: &rng)
        var greedy = GreedyArenaPlanner(), linear = LinearArenaPlanner()
        var bufs: [(size: Int, first: Int, last: Int)] = []
        for _ in 0..<Int.random(in: 1...60, using: &rng) {
            let f = Int.random(in: 0..<steps, using: &rng), l = Int.random(in: f..<steps, using: &rng)
            let size = Int.random(in: 1...5000, using: &rng)
            bufs.append((size, f, l))
            _ = greedy.addBuffer(size: size, firstUse: f, lastUse: l)
            _ = linear.addBuffer(size: size, firstUse: f, lastUse: l)
        }
        greedy.plan(); linear.plan()
        for i in bufs.indices {
            let oi = greedy.offset(ofBuffer: i)
            #expect(oi % arenaAlignment == 0)
            #expect(oi + bufs[i].size <= greedy.peakBytes)
            for j in bufs.indices where j > i {
                let a = bufs[i], b = bufs[j]
                guard a.first <= b.last && b.first <= a.last else { continue }
                let oj = greedy.offset(ofBuffer: j)
                #expect(oi + a.size <= oj || oj + b.size <= oi, "buffers \(i) and \(j) overlap while both alive")
            }
        }
        #expect(greedy.peakBytes <= linear.peakBytes)
        let liveMax = (0..<steps).map { s in bufs.filter { $0.first <= s && s <= $0.last }.reduce(0) { $0 + alignUp($1.size) } }.max()!
        #expect(greedy.peakBytes >= liveMax)
    }

    @Test func dscnnArenaIsSmallerThanUnsharedBuffers() throws {
        let e = try Executor(graph: try DSCNN.build(.small), options: .init(isa: .reference))
        // Two 25×5×64 float maps ping-pong (32,000 bytes each) plus the stem's im2col.
        #expect(e.plan.arenaBytes < e.plan.unsharedBytes / 3)
        #expect(e.plan.arenaBytes >= 2 * 25 * 5 * 64 * 4)
    }
}
