import CEdgewiseKernels

/// Which kernels a ``TrainingSession`` uses for its matrix products and convolutions.
public enum TrainingKernels: String, Codable, Sendable, CaseIterable {
    /// Plain Swift loops mirroring the forward reference kernels: the oracle for the others.
    case reference
    /// im2col/col2im + packed GEMM, portable C.
    case generic
    /// im2col/col2im + packed GEMM, AVX2 + FMA.
    case avx2
    /// im2col/col2im + packed GEMM, AVX-512.
    case avx512

    /// The fastest family this CPU runs.
    public static var best: TrainingKernels {
        switch Int(ew_cpu_best_isa().rawValue) {
        case 2: return .avx512
        case 1: return .avx2
        default: return .generic
        }
    }

    /// Whether this CPU can run the family.
    public var isAvailable: Bool {
        switch self {
        case .reference, .generic: return true
        case .avx2: return Int(ew_cpu_best_isa().rawValue) >= 1
        case .avx512: return Int(ew_cpu_best_isa().rawValue) >= 2
        }
    }

    var isaLevel: Int32 {
        switch self {
        case .reference, .generic: return 0
        case .avx2: return 1
        case .avx512: return 2
        }
    }
}

/// `C[M,N] = op(A)·op(B) + beta·C` (see `ew_gemm_f32_packed`), by the chosen family.
@inline(__always)
func gemm(_ kernels: TrainingKernels, transA: Bool, transB: Bool, m: Int, n: Int, k: Int,
          a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int,
          beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int) {
    if m == 0 || n == 0 { return }
    if kernels == .reference {
        referenceGEMM(transA: transA, transB: transB, m: m, n: n, k: k, a: a, lda: lda, b: b, ldb: ldb, beta: beta, c: c, ldc: ldc)
    } else {
        ew_gemm_f32_packed(kernels.isaLevel, transA ? 1 : 0, transB ? 1 : 0, m, n, k, a, lda, b, ldb, beta, c, ldc)
    }
}

/// Plain-loop GEMM with transposes: the oracle for `ew_gemm_f32_packed`.
func referenceGEMM(transA: Bool, transB: Bool, m: Int, n: Int, k: Int,
                   a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int,
                   beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int) {
    for i in 0..<m {
        for j in 0..<n {
            var acc: Float = 0
            for p in 0..<k {
                let av = transA ? a[p * lda + i] : a[i * lda + p]
                let bv = transB ? b[j * ldb + p] : b[p * ldb + j]
                acc += av * bv
            }
            c[i * ldc + j] = (beta != 0 ? c[i * ldc + j] : 0) + acc
        }
    }
}
