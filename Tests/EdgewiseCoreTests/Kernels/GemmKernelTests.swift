// Property tests: every GEMM variant this CPU can run against ReferenceKernels.gemm on generated shapes.
import CEdgewiseKernels
@testable import EdgewiseCore
import Testing

@Suite("gemm_f32 kernels vs ReferenceKernels.gemm")
struct GemmKernelTests {
    // 1, 2, primes, the model shapes, and tile-1 / tile / tile+1 of every variant's register tile:
    // rows (MR) generic 4, AVX2 6, AVX-512 12; columns (NR) generic 8, AVX2 8/16, AVX-512 16 (masked tails).
    static let mValues = [1, 2, 3, 4, 5, 6, 7, 11, 12, 13, 31, 64, 65, 125, 172]
    static let nValues = [1, 2, 7, 8, 9, 12, 13, 15, 16, 17, 31, 32, 33, 64, 172]
    static let kValues = [0, 1, 2, 7, 13, 31, 40, 64, 125, 172]
    static let activations: [Activation] = [.none, .relu, .relu6]

    struct Case: CustomStringConvertible {
        var m: Int, n: Int, k: Int
        var padA: Int, padB: Int, padC: Int
        var bias: Bool
        var activation: Activation
        var description: String {
            "m=\(m) n=\(n) k=\(k) lda=k+\(padA) ldb=n+\(padB) ldc=n+\(padC) bias=\(bias) act=\(activation)"
        }
    }

    /// Each dimension sweeps its whole list (the other two drawn at random), then random combinations, then the
    /// DS-CNN shapes. Strides are sometimes larger than the logical widths; bias and clamp vary.
    static func cases(seed: UInt64) -> [Case] {
        var rng = SeededGenerator(seed: seed)
        func make(_ m: Int, _ n: Int, _ k: Int, _ rng: inout SeededGenerator) -> Case {
            Case(m: m, n: n, k: k, padA: rng.pick([0, 0, 1, 3, 16]), padB: rng.pick([0, 0, 1, 5, 16]),
                 padC: rng.pick([0, 0, 2, 7]), bias: rng.bool(), activation: rng.pick(activations))
        }
        // Keep the far corner (all three large) rare: plain `swift test` runs the C at -O0.
        let smallN = nValues.filter { $0 <= 33 }, smallK = kValues.filter { $0 <= 64 }
        var out: [Case] = []
        for m in mValues { out.append(make(m, rng.pick(smallN), rng.pick(smallK), &rng)) }
        for n in nValues { out.append(make(rng.pick(mValues.filter { $0 <= 31 }), n, rng.pick(smallK), &rng)) }
        for k in kValues { out.append(make(rng.pick(mValues.filter { $0 <= 31 }), rng.pick(smallN), k, &rng)) }
        for _ in 0..<30 { out.append(make(rng.pick(mValues), rng.pick(smallN), rng.pick(kValues), &rng)) }
        for (m, k, n) in [(125, 64, 64), (125, 40, 64), (65, 172, 172), (1, 64, 12), (1, 172, 12)] {
            out.append(make(m, n, k, &rng))
        }
        // B larger than the kernels' L2 threshold (512 KiB): the N-strip-outer loop order.
        for (m, k, n) in [(7, 380, 371), (13, 300, 449), (1, 520, 263)] { out.append(make(m, n, k, &rng)) }
        // Every bias/activation combination at a tile-edge shape.
        for bias in [false, true] {
            for act in activations {
                var c = make(13, 17, 7, &rng)
                c.bias = bias
                c.activation = act
                out.append(c)
            }
        }
        return out
    }

    /// Runs every generated case on `isa`; returns the number of cases checked.
    @discardableResult
    static func check(_ isa: ew_isa, seed: UInt64 = 0x6E_6D_6D) -> Int {
        let gemm = CKernelTables.table(isa).gemm_f32!
        var rng = SeededGenerator(seed: seed ^ 0xA5A5)
        let all = cases(seed: seed)
        for c in all {
            let lda = c.k + c.padA, ldb = c.n + c.padB, ldc = c.n + c.padC
            // Padding columns of A and B hold NaN: reading them into a result would poison it.
            let a = GuardedBuffer(count: c.m * lda, fill: .nan), b = GuardedBuffer(count: c.k * ldb, fill: .nan)
            for i in 0..<c.m { for p in 0..<c.k { a.base[i * lda + p] = rng.unit() } }
            for p in 0..<c.k { for j in 0..<c.n { b.base[p * ldb + j] = rng.unit() } }
            let bias = c.bias ? GuardedBuffer(count: c.n) : nil
            if let bias { bias.randomize(&rng) }
            let out = GuardedBuffer(count: c.m * ldc), want = GuardedBuffer(count: c.m * ldc)
            ReferenceKernels.gemm(m: c.m, n: c.n, k: c.k, a: a.ro, lda: lda, b: b.ro, ldb: ldb, bias: bias?.ro,
                                  activation: c.activation, c: want.base, ldc: ldc)
            let clamp = c.activation.kernelClamp
            gemm(c.m, c.n, c.k, a.ro, lda, b.ro, ldb, bias?.ro, out.base, ldc, clamp.lo, clamp.hi)

            var bad = 0, first = ""
            for i in 0..<c.m {
                for j in 0..<ldc {
                    let got = out.base[i * ldc + j]
                    if j >= c.n { // outside the logical matrix: untouched
                        if got != GuardedBuffer.sentinel { bad += 1; if first.isEmpty { first = "wrote padding (\(i),\(j))" } }
                        continue
                    }
                    var magnitude = Double(abs(bias?.base[j] ?? 0))
                    for p in 0..<c.k { magnitude += Double(abs(a.base[i * lda + p] * b.base[p * ldb + j])) }
                    let expected = want.base[i * ldc + j]
                    let err = abs(Double(got) - Double(expected))
                    if !(err <= KernelTolerance.bound(terms: c.k, magnitude: magnitude)) {
                        bad += 1
                        if first.isEmpty { first = "(\(i),\(j)) got \(got) want \(expected), |err| \(err)" }
                    }
                }
            }
            if !out.guardIntact { bad += 1; first += " wrote past the end of C" }
            #expect(bad == 0, "\(CKernelTables.name(isa)) \(c): \(bad) bad, first \(first)")
        }
        return all.count
    }

    @Test("generic: generated shapes, strides, bias, clamps")
    func generic() { Self.check(EW_ISA_GENERIC) }

    @Test("avx2: generated shapes, strides, bias, clamps",
          .enabled(if: CKernelTables.available(EW_ISA_AVX2), "this CPU, build or EDGEWISE_MAX_ISA excludes AVX2+FMA"))
    func avx2() { Self.check(EW_ISA_AVX2) }

    @Test("avx512: generated shapes, strides, bias, clamps",
          .enabled(if: CKernelTables.available(EW_ISA_AVX512), "this CPU, build or EDGEWISE_MAX_ISA excludes AVX-512"))
    func avx512() { Self.check(EW_ISA_AVX512) }

    @Test("the generated cases cover every listed M, N and K and the tile edges")
    func coverage() {
        let cs = Self.cases(seed: 0x6E_6D_6D)
        #expect(Set(cs.map(\.m)).isSuperset(of: Self.mValues))
        #expect(Set(cs.map(\.n)).isSuperset(of: Self.nValues))
        #expect(Set(cs.map(\.k)).isSuperset(of: Self.kValues))
        #expect(cs.contains { $0.padA > 0 } && cs.contains { $0.padB > 0 } && cs.contains { $0.padC > 0 })
        #expect(cs.contains { $0.bias } && cs.contains { !$0.bias })
        #expect(Set(cs.map(\.activation)) == Set(Self.activations))
    }
}
