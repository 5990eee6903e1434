import CEdgewiseKernels
import EdgewiseCore

/// A PatchCore memory bank: `count` feature vectors of `dims` floats, searched for each query patch's
/// nearest neighbour. The search is blocked GEMM: ‖q − b‖² = ‖q‖² + ‖b‖² − 2 q·b, with q·b for a
/// block of `blockSize` bank rows computed by the project's packed C GEMM (`ew_gemm_f32_packed`), so
/// the cost is one P×M×D matrix product plus a min-reduction, with no allocation (the scratch is
/// passed in; the GEMM's packing buffers are allocated once per thread on first use).
public struct MemoryBank: Sendable {
    public let dims: Int
    public private(set) var vectors: [Float]
    /// ‖b‖² per row.
    public private(set) var norms: [Float]
    public var count: Int { dims == 0 ? 0 : vectors.count / dims }
    public static let blockSize = 256

    public init(dims: Int, vectors: [Float]) {
        precondition(dims > 0 && vectors.count % dims == 0)
        self.dims = dims
        self.vectors = vectors
        norms = (0..<(vectors.count / dims)).map { i in
            var s: Float = 0
            for k in 0..<dims { s += vectors[i * dims + k] * vectors[i * dims + k] }
            return s
        }
    }

    /// Scratch floats `nearest` needs for `queries` query rows.
    public static func scratchCount(queries: Int) -> Int { queries * blockSize }

    /// For each of `n` query rows (`dims` floats each), the Euclidean distance to the nearest bank row.
    public func nearest(_ q: UnsafePointer<Float>, count n: Int, distances out: UnsafeMutablePointer<Float>,
                        scratch: UnsafeMutablePointer<Float>) {
        let d = dims, m = count
        for i in 0..<n { out[i] = .greatestFiniteMagnitude }
        vectors.withUnsafeBufferPointer { b in
            norms.withUnsafeBufferPointer { nb in
                var start = 0
                while start < m {
                    let bs = min(Self.blockSize, m - start)
                    ew_gemm_f32_packed(-1, 0, 1, n, bs, d, q, d, b.baseAddress! + start * d, d, 0, scratch, bs)
                    for i in 0..<n {
                        let row = scratch + i * bs
                        var best = out[i]
                        for j in 0..<bs {
                            let v = nb[start + j] - 2 * row[j]
                            best = v < best ? v : best
                        }
                        out[i] = best
                    }
                    start += bs
                }
            }
        }
        for i in 0..<n {
            var qq: Float = 0
            for k in 0..<d { qq += q[i * d + k] * q[i * d + k] }
            out[i] = max(out[i] + qq, 0).squareRoot()
        }
    }

    /// Greedy k-center coreset (PatchCore): picks `target` rows of `candidates` (`dims` each) so that
    /// every candidate is close to a picked one. O(N·target·dims); `progress` gets the fraction done.
    public static func coreset(_ candidates: [Float], dims: Int, target: Int, seed: UInt64,
                               progress: (Double) -> Void = { _ in }) -> MemoryBank {
        let n = candidates.count / dims
        guard n > target else { return MemoryBank(dims: dims, vectors: candidates) }
        var minDist = [Float](repeating: .greatestFiniteMagnitude, count: n)
        var picked: [Float] = []
        picked.reserveCapacity(target * dims)
        var rng = SeededGenerator(seed: seed)
        var current = Int(rng.next() % UInt64(n))
        candidates.withUnsafeBufferPointer { c in
            minDist.withUnsafeMutableBufferPointer { md in
                for step in 0..<target {
                    let center = c.baseAddress! + current * dims
                    picked.append(contentsOf: UnsafeBufferPointer(start: center, count: dims))
                    var far: Float = -1, farIndex = 0
                    for i in 0..<n {
                        let p = c.baseAddress! + i * dims
                        var s: Float = 0
                        for k in 0..<dims { let t = p[k] - center[k]; s += t * t }
                        let v = min(md[i], s)
                        md[i] = v
                        if v > far { far = v; farIndex = i }
                    }
                    current = farIndex
                    if step % 64 == 0 { progress(Double(step) / Double(target)) }
                }
            }
        }
        progress(1)
        return MemoryBank(dims: dims, vectors: picked)
    }
}
