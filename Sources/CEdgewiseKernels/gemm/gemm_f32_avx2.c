// GEMM, fp32, AVX2+FMA: C[M,N] = clamp(A[M,K] · B[K,N] + bias[N]).
//
// Register-blocked 6x16 micro-kernel: 6 rows of A broadcast against 2 ymm of a B row, 12 independent FMA
// accumulators (this CPU needs >= 8 chains to reach its FMA peak). B is read in place (row stride ldb, no packing).
// Loop order: M-block outer while B fits in L2 (the edge-model case), else N-strip outer. Edge tiles: M remainders
// use the same kernel instantiated for 1..5 rows; for short tiles (fewer than 8 chains) K is split over 2-8
// accumulator sets that are summed at the end. N remainders use masked loads/stores (vmaskmovps).
// Bias initialises the accumulators, the clamp is fused into the store.
#include "../ew_internal.h"

#if EW_HAVE_X86
#include <immintrin.h>

#define EW_UNROLL _Pragma("clang loop unroll(full)")

static const int32_t ew_avx2_mask_tab[16] = {-1, -1, -1, -1, -1, -1, -1, -1, 0, 0, 0, 0, 0, 0, 0, 0};

/// Lanes [0, n) set, n in 0...8.
EW_TARGET_AVX2 EW_INLINE __m256i ew_avx2_mask(size_t n) {
  return _mm256_loadu_si256((const __m256i *)(ew_avx2_mask_tab + 8 - n));
}

/// Accumulator sets so that a tile of `chains` FMA chains keeps 8..12 chains in flight.
#define EW_KU(chains) ((chains) >= 8 ? 1 : (chains) >= 4 ? 2 : (chains) >= 2 ? 4 : 8) /* <= 12 accumulators */

/// One MR x (8*NV) tile of C. MASKED: the last vector covers only the lanes in `ml`.
EW_TARGET_AVX2 EW_INLINE void ew_avx2_tile(const int MR, const int NV, const int MASKED, const int KU, size_t k,
                                           const float *a, size_t lda, const float *b, size_t ldb, const float *bias,
                                           float *c, size_t ldc, __m256i ml, __m256 lo, __m256 hi) {
  __m256 acc[8][6][2];
  __m256 init[2];
  EW_UNROLL for (int v = 0; v < NV; v++) {
    if (!bias) init[v] = _mm256_setzero_ps();
    else if (MASKED && v == NV - 1) init[v] = _mm256_maskload_ps(bias + 8 * v, ml);
    else init[v] = _mm256_loadu_ps(bias + 8 * v);
  }
  EW_UNROLL for (int q = 0; q < KU; q++) EW_UNROLL for (int r = 0; r < MR; r++) EW_UNROLL for (int v = 0; v < NV; v++)
      acc[q][r][v] = q == 0 ? init[v] : _mm256_setzero_ps();
  const float *ar[6];
  EW_UNROLL for (int r = 0; r < MR; r++) ar[r] = a + (size_t)r * lda;

  size_t p = 0;
  if (KU > 1) {
    for (; p + KU <= k; p += KU) {
      EW_UNROLL for (int q = 0; q < KU; q++) {
        __m256 bv[2];
        EW_UNROLL for (int v = 0; v < NV; v++)
          bv[v] = (MASKED && v == NV - 1) ? _mm256_maskload_ps(b + 8 * v, ml) : _mm256_loadu_ps(b + 8 * v);
        b += ldb;
        EW_UNROLL for (int r = 0; r < MR; r++) {
          const __m256 av = _mm256_broadcast_ss(ar[r] + p + q);
          EW_UNROLL for (int v = 0; v < NV; v++) acc[q][r][v] = _mm256_fmadd_ps(av, bv[v], acc[q][r][v]);
        }
      }
    }
  }
  for (; p < k; p++) {
    __m256 bv[2];
    EW_UNROLL for (int v = 0; v < NV; v++)
      bv[v] = (MASKED && v == NV - 1) ? _mm256_maskload_ps(b + 8 * v, ml) : _mm256_loadu_ps(b + 8 * v);
    b += ldb;
    EW_UNROLL for (int r = 0; r < MR; r++) {
      const __m256 av = _mm256_broadcast_ss(ar[r] + p);
      EW_UNROLL for (int v = 0; v < NV; v++) acc[0][r][v] = _mm256_fmadd_ps(av, bv[v], acc[0][r][v]);
    }
  }
  EW_UNROLL for (int q = 1; q < KU; q++) EW_UNROLL for (int r = 0; r < MR; r++) EW_UNROLL for (int v = 0; v < NV; v++)
      acc[0][r][v] = _mm256_add_ps(acc[0][r][v], acc[q][r][v]);
  EW_UNROLL for (int r = 0; r < MR; r++) {
    float *cr = c + (size_t)r * ldc;
    EW_UNROLL for (int v = 0; v < NV; v++) {
      const __m256 o = _mm256_min_ps(hi, _mm256_max_ps(lo, acc[0][r][v]));  // NaN-propagating: see ew_clampf
      if (MASKED && v == NV - 1) _mm256_maskstore_ps(cr + 8 * v, ml, o);
      else _mm256_storeu_ps(cr + 8 * v, o);
    }
  }
}

#define EW_AVX2_TILE(MR, NV, MASKED)                                                                                 \
  ew_avx2_tile(MR, NV, MASKED, EW_KU((MR) * (NV)), k, a + i * lda, lda, b + j, ldb, bias ? bias + j : NULL,          \
               c + i * ldc + j, ldc, ml, lo, hi)

/// All row blocks of one column strip.
#define EW_AVX2_ROWS(NV, MASKED)                                                                                     \
  do {                                                                                                               \
    size_t i = 0;                                                                                                    \
    for (; i + 6 <= m; i += 6) EW_AVX2_TILE(6, NV, MASKED);                                                          \
    switch (m - i) {                                                                                                 \
    case 5: EW_AVX2_TILE(5, NV, MASKED); break;                                                                      \
    case 4: EW_AVX2_TILE(4, NV, MASKED); break;                                                                      \
    case 3: EW_AVX2_TILE(3, NV, MASKED); break;                                                                      \
    case 2: EW_AVX2_TILE(2, NV, MASKED); break;                                                                      \
    case 1: EW_AVX2_TILE(1, NV, MASKED); break;                                                                      \
    default: break;                                                                                                  \
    }                                                                                                                \
  } while (0)

/// All column strips of one row block of MR rows (full strips, then the masked remainder).
#define EW_AVX2_COLS(MR)                                                                                             \
  do {                                                                                                               \
    __m256i ml = ew_avx2_mask(8);                                                                                    \
    size_t j = 0;                                                                                                    \
    for (; j < nfull; j += 16) EW_AVX2_TILE(MR, 2, 0);                                                               \
    ml = mrem;                                                                                                       \
    if (rem > 8) EW_AVX2_TILE(MR, 2, 1);                                                                             \
    else if (rem == 8) EW_AVX2_TILE(MR, 1, 0);                                                                       \
    else if (rem) EW_AVX2_TILE(MR, 1, 1);                                                                            \
  } while (0)

EW_TARGET_AVX2 void ew_gemm_f32__avx2(size_t m, size_t n, size_t k, const float *a, size_t lda, const float *b,
                                      size_t ldb, const float *bias, float *c, size_t ldc, float act_min,
                                      float act_max) {
  if (m == 0 || n == 0) return;
  const __m256 lo = _mm256_set1_ps(act_min), hi = _mm256_set1_ps(act_max);
  if (k * n * sizeof(float) <= EW_GEMM_B_L2_BYTES) {
    // B fits in L2: M-block outer, so each 6 x K panel of A stays in L1 while the strips of B go by (measured
    // 117 vs 113 GFLOP/s on 125x64x64 against N-strip outer).
    const size_t rem = n % 16, nfull = n - rem;
    const __m256i mrem = ew_avx2_mask(rem > 8 ? rem - 8 : rem);
    size_t i = 0;
    for (; i + 6 <= m; i += 6) EW_AVX2_COLS(6);
    switch (m - i) {
    case 5: EW_AVX2_COLS(5); break;
    case 4: EW_AVX2_COLS(4); break;
    case 3: EW_AVX2_COLS(3); break;
    case 2: EW_AVX2_COLS(2); break;
    case 1: EW_AVX2_COLS(1); break;
    default: break;
    }
    return;
  }
  // Larger B: N-strip outer, so one K x 16 strip of B stays in L1/L2 while the rows of A stream by.
  __m256i ml = ew_avx2_mask(8);
  size_t j = 0;
  for (; j + 16 <= n; j += 16) EW_AVX2_ROWS(2, 0);
  const size_t rem = n - j;
  if (rem > 8) {
    ml = ew_avx2_mask(rem - 8);
    EW_AVX2_ROWS(2, 1);
  } else if (rem == 8) {
    EW_AVX2_ROWS(1, 0);
  } else if (rem > 0) {
    ml = ew_avx2_mask(rem);
    EW_AVX2_ROWS(1, 1);
  }
}

#endif
