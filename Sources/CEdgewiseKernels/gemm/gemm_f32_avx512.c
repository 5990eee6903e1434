// GEMM, fp32, AVX-512 (F/VL/BW/DQ): C[M,N] = clamp(A[M,K] · B[K,N] + bias[N]).
//
// Same scheme as the AVX2 kernel (register-blocked, B read in place with row stride ldb, M-block outer while B fits
// in L2 else N-strip outer, bias-initialised accumulators, fused clamp), with EW512_MR x (EW512_NV * 16) zmm tiles. On this CPU (Zen 4)
// a zmm FMA does the work of two ymm FMAs, so the peak is the same as AVX2; the gains are opmask-predicated edge
// tiles (cheap masked loads/stores for N remainders), twice the register file and fewer instructions per FLOP.
// Tile choice (measured, clang -O2, best of 15 on 125x64x64 / 65x172x172 / 250x40x172, GFLOP/s): 6x32 114.9/114.0/
// 110.5, 8x32 115.5/111.5/111.4, 12x32 115.7/114.0/111.2, 4x48 116.7/109.7/111.9, 12x16 117.6/115.2/114.7 -> 12x16:
// 12 zmm accumulators, one B load + 12 broadcasts per 12 FMAs, and a 16-column N granularity that wastes fewer lanes
// on remainders (N=172 = 10*16 + 12) than 32 columns.
#include "../ew_internal.h"

#if EW_HAVE_X86
#include <immintrin.h>

#define EW_UNROLL _Pragma("clang loop unroll(full)")

#ifndef EW512_MR
#define EW512_MR 12
#endif
#ifndef EW512_NV
#define EW512_NV 1
#endif
#define EW512_NR (16 * EW512_NV)

#define EW512_KU(chains) ((chains) >= 8 ? 1 : (chains) >= 4 ? 2 : (chains) >= 3 ? 4 : 8)

/// One MR x (16*NV) tile of C. The last vector is predicated by `ml` (all ones for full tiles).
EW_TARGET_AVX512 EW_INLINE void ew_avx512_tile(const int MR, const int NV, const int KU, size_t k, const float *a,
                                               size_t lda, const float *b, size_t ldb, const float *bias, float *c,
                                               size_t ldc, __mmask16 ml, __m512 lo, __m512 hi) {
  __m512 acc[8][EW512_MR][EW512_NV];
  __m512 init[EW512_NV];
  EW_UNROLL for (int v = 0; v < NV; v++) {
    const __mmask16 mv = v == NV - 1 ? ml : (__mmask16)0xFFFF;
    init[v] = bias ? _mm512_maskz_loadu_ps(mv, bias + 16 * v) : _mm512_setzero_ps();
  }
  EW_UNROLL for (int q = 0; q < KU; q++) EW_UNROLL for (int r = 0; r < MR; r++) EW_UNROLL for (int v = 0; v < NV; v++)
      acc[q][r][v] = q == 0 ? init[v] : _mm512_setzero_ps();
  const float *ar[EW512_MR];
  EW_UNROLL for (int r = 0; r < MR; r++) ar[r] = a + (size_t)r * lda;

  size_t p = 0;
  if (KU > 1) {
    for (; p + KU <= k; p += KU) {
      EW_UNROLL for (int q = 0; q < KU; q++) {
        __m512 bv[EW512_NV];
        EW_UNROLL for (int v = 0; v < NV; v++)
          bv[v] = v == NV - 1 ? _mm512_maskz_loadu_ps(ml, b + 16 * v) : _mm512_loadu_ps(b + 16 * v);
        b += ldb;
        EW_UNROLL for (int r = 0; r < MR; r++) {
          const __m512 av = _mm512_set1_ps(ar[r][p + q]);
          EW_UNROLL for (int v = 0; v < NV; v++) acc[q][r][v] = _mm512_fmadd_ps(av, bv[v], acc[q][r][v]);
        }
      }
    }
  }
  for (; p < k; p++) {
    __m512 bv[EW512_NV];
    EW_UNROLL for (int v = 0; v < NV; v++)
      bv[v] = v == NV - 1 ? _mm512_maskz_loadu_ps(ml, b + 16 * v) : _mm512_loadu_ps(b + 16 * v);
    b += ldb;
    EW_UNROLL for (int r = 0; r < MR; r++) {
      const __m512 av = _mm512_set1_ps(ar[r][p]);
      EW_UNROLL for (int v = 0; v < NV; v++) acc[0][r][v] = _mm512_fmadd_ps(av, bv[v], acc[0][r][v]);
    }
  }
  EW_UNROLL for (int q = 1; q < KU; q++) EW_UNROLL for (int r = 0; r < MR; r++) EW_UNROLL for (int v = 0; v < NV; v++)
      acc[0][r][v] = _mm512_add_ps(acc[0][r][v], acc[q][r][v]);
  EW_UNROLL for (int r = 0; r < MR; r++) {
    float *cr = c + (size_t)r * ldc;
    EW_UNROLL for (int v = 0; v < NV; v++) {
      const __m512 o = _mm512_min_ps(hi, _mm512_max_ps(lo, acc[0][r][v]));  // NaN-propagating: see ew_clampf
      if (v == NV - 1) _mm512_mask_storeu_ps(cr + 16 * v, ml, o);
      else _mm512_storeu_ps(cr + 16 * v, o);
    }
  }
}

#define EW512_TILE(MR, NV)                                                                                           \
  ew_avx512_tile(MR, NV, EW512_KU((MR) * (NV)), k, a + i * lda, lda, b + j, ldb, bias ? bias + j : NULL,             \
                 c + i * ldc + j, ldc, ml, lo, hi)

/// All row blocks of one column strip of NV vectors.
#define EW512_ROWS(NV)                                                                                               \
  do {                                                                                                               \
    size_t i = 0;                                                                                                    \
    for (; i + EW512_MR <= m; i += EW512_MR) EW512_TILE(EW512_MR, NV);                                               \
    switch (m - i) {                                                                                                 \
    EW512_REM_CASES(NV)                                                                                              \
    default: break;                                                                                                  \
    }                                                                                                                \
  } while (0)

#define EW512_CASE(R, NV)                                                                                            \
  case R:                                                                                                            \
    if (R < EW512_MR) EW512_TILE(R < EW512_MR ? R : 1, NV);                                                          \
    break;
#define EW512_REM_CASES(NV)                                                                                          \
  EW512_CASE(1, NV) EW512_CASE(2, NV) EW512_CASE(3, NV) EW512_CASE(4, NV) EW512_CASE(5, NV) EW512_CASE(6, NV)     \
  EW512_CASE(7, NV) EW512_CASE(8, NV) EW512_CASE(9, NV) EW512_CASE(10, NV) EW512_CASE(11, NV)                      \
  EW512_CASE(12, NV) EW512_CASE(13, NV)

/// All 16-column strips of one row block of MR rows (full strips, then the predicated remainder).
#define EW512_COLS(MR)                                                                                               \
  do {                                                                                                               \
    __mmask16 ml = 0xFFFF;                                                                                           \
    size_t j = 0;                                                                                                    \
    for (; j < nfull; j += 16) EW512_TILE(MR, 1);                                                                    \
    ml = mrem;                                                                                                       \
    if (rem) EW512_TILE(MR, 1);                                                                                      \
  } while (0)
#define EW512_COLS_CASE(R)                                                                                           \
  case R:                                                                                                            \
    if (R < EW512_MR) EW512_COLS(R < EW512_MR ? R : 1);                                                              \
    break;
#define EW512_REM_COLS                                                                                               \
  EW512_COLS_CASE(1) EW512_COLS_CASE(2) EW512_COLS_CASE(3) EW512_COLS_CASE(4) EW512_COLS_CASE(5)                     \
  EW512_COLS_CASE(6) EW512_COLS_CASE(7) EW512_COLS_CASE(8) EW512_COLS_CASE(9) EW512_COLS_CASE(10)                    \
  EW512_COLS_CASE(11) EW512_COLS_CASE(12) EW512_COLS_CASE(13)

EW_TARGET_AVX512 void ew_gemm_f32__avx512(size_t m, size_t n, size_t k, const float *a, size_t lda, const float *b,
                                          size_t ldb, const float *bias, float *c, size_t ldc, float act_min,
                                          float act_max) {
  if (m == 0 || n == 0) return;
  const __m512 lo = _mm512_set1_ps(act_min), hi = _mm512_set1_ps(act_max);
  if (EW512_NV == 1 && k * n * sizeof(float) <= EW_GEMM_B_L2_BYTES) {
    // B fits in L2: M-block outer (the A panel stays in L1), as in the AVX2 kernel.
    const size_t rem = n % 16, nfull = n - rem;
    const __mmask16 mrem = (__mmask16)(0xFFFFu >> (16 - rem));
    size_t i = 0;
    for (; i + EW512_MR <= m; i += EW512_MR) EW512_COLS(EW512_MR);
    switch (m - i) {
      EW512_REM_COLS
    default: break;
    }
    return;
  }
  __mmask16 ml = 0xFFFF;
  size_t j = 0;
  for (; j + EW512_NR <= n; j += EW512_NR) EW512_ROWS(EW512_NV);
  while (j < n) {
    // Remainder strip (< EW512_NR columns): full 2-vector strips, then one strip whose last vector is predicated.
    const size_t rem = n - j;
    if (EW512_NV > 2 && rem >= 32) {
      ml = 0xFFFF;
      EW512_ROWS(EW512_NV > 2 ? 2 : 1);
      j += 32;
    } else if (EW512_NV > 1 && rem > 16) {
      ml = (__mmask16)(0xFFFFu >> (32 - rem));
      EW512_ROWS(EW512_NV > 1 ? 2 : 1);
      j = n;
    } else {
      ml = (__mmask16)(0xFFFFu >> (16 - rem));
      EW512_ROWS(1);
      j = n;
    }
  }
}

#endif
