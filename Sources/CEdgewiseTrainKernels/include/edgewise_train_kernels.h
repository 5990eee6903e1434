// Edgewise training kernels: a packed GEMM with transposed operands and accumulation, which the
// backward passes need (dW = Xᵀ·dY, dX = dY·Wᵀ) and the inference table's gemm_f32 does not offer.
// One portable C variant and AVX2+FMA / AVX-512 variants, chosen once at run time by CPU feature.
#ifndef EDGEWISE_TRAIN_KERNELS_H
#define EDGEWISE_TRAIN_KERNELS_H
#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/// C[M,N] = op(A)·op(B) + beta·C, row-major with row strides lda, ldb, ldc (elements).
/// op(A) is A[M,K] (trans_a = 0) or Aᵀ with A stored [K,M] (trans_a = 1); likewise op(B) is B[K,N]
/// or Bᵀ with B stored [N,K]. beta is 0 (overwrite) or 1 (accumulate). `isa`: 0 generic, 1 AVX2,
/// 2 AVX-512, -1 the best this CPU has. Single-threaded; allocates nothing (packing buffers are
/// thread-local statics).
void ewt_gemm_f32(int isa, int trans_a, int trans_b, size_t m, size_t n, size_t k,
                  const float *a, size_t lda, const float *b, size_t ldb, float beta, float *c, size_t ldc);

/// The best ISA level this CPU supports for ewt_gemm_f32 (0, 1 or 2).
int ewt_best_isa(void);

/// Measured fp32 FMA peak of one core in GFLOP/s: `iterations` rounds of 12 independent FMA
/// chains at the best vector width (the platform notes' method; 1 FMA = 2 FLOP).
double ewt_measure_fma_peak_gflops(long iterations);

/// Sets flush-to-zero and denormals-are-zero for the calling thread (x86-64; no-op elsewhere) and
/// returns the previous control word, so `ewt_restore_fp_mode` can undo it.
unsigned ewt_enable_flush_to_zero(void);
/// Restores a control word returned by `ewt_enable_flush_to_zero`.
void ewt_restore_fp_mode(unsigned previous);

/// An opaque compiler barrier for benchmarks.
void ewt_escape(void *p);

#ifdef __cplusplus
}
#endif
#endif
