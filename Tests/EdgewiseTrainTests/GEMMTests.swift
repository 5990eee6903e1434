import EdgewiseCore
import Testing
@testable import EdgewiseTrain

/// The packed training GEMM (every family this CPU runs) against the plain-loop oracle, with
/// transposes and accumulation, on shapes that cross the micro-tile (6×16/32) and cache-block
/// (MC 120, KC 256, NC 1024) edges.
@Suite struct GEMMTests {
    static let shapes: [(Int, Int, Int)] = [(1, 1, 1), (5, 17, 3), (6, 32, 256), (7, 33, 257), (121, 16, 1024), (16, 40, 700), (130, 1030, 9), (3, 5, 600)]

    @Test(arguments: TrainingKernels.allCases.filter { $0 != .reference && $0.isAvailable })
    func matchesReference(kernels: TrainingKernels) {
        var rng = SeededGenerator(seed: 4)
        for (m, n, k) in Self.shapes {
            for (ta, tb) in [(false, false), (true, false), (false, true), (true, true)] {
                for beta: Float in [0, 1] {
                    let a = rng.uniform(count: m * k), b = rng.uniform(count: k * n), c0 = rng.uniform(count: m * n)
                    var fast = c0, ref = c0
                    let lda = ta ? m : k, ldb = tb ? k : n
                    a.withUnsafeBufferPointer { ap in b.withUnsafeBufferPointer { bp in
                        fast.withUnsafeMutableBufferPointer {
                            gemm(kernels, transA: ta, transB: tb, m: m, n: n, k: k, a: ap.baseAddress!, lda: lda, b: bp.baseAddress!, ldb: ldb, beta: beta, c: $0.baseAddress!, ldc: n)
                        }
                        ref.withUnsafeMutableBufferPointer {
                            referenceGEMM(transA: ta, transB: tb, m: m, n: n, k: k, a: ap.baseAddress!, lda: lda, b: bp.baseAddress!, ldb: ldb, beta: beta, c: $0.baseAddress!, ldc: n)
                        }
                    } }
                    let err = zip(fast, ref).map { abs($0 - $1) }.max()!
                    #expect(err < 1e-3 * Float(k).squareRoot(), "\(kernels) m\(m) n\(n) k\(k) ta\(ta) tb\(tb) beta\(beta): max diff \(err)")
                }
            }
        }
    }
}
