import CEdgewiseKernels
import EdgewiseCore

/// Which kernels a ``TrainingSession`` uses for its matrix products and convolutions: the same kernel
/// families as the executor (one ISA enum): `.reference` runs plain Swift loops mirroring the forward
/// reference kernels (the oracle), the others im2col/col2im + the packed C GEMM of that family.
public typealias TrainingKernels = KernelISA

extension KernelISA {
    /// The C GEMM's ISA level for this family (`.reference` uses the portable one where it needs C).
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
