// GEMM, fp32, portable C (any CPU; the compiler vectorises the fixed-width inner loops for the baseline target,
// e.g. SSE2 on x86-64, NEON on aarch64). Blocked 4 rows x 8 columns with the accumulators in local arrays; B is
// read in place with row stride ldb. Also the fallback when no SIMD table is available.
#include "../ew_internal.h"

#define EW_G_MR 4
#define EW_G_NR 8

static inline void ew_gemm_tile_generic(size_t mr, size_t nr, size_t k, const float *a, size_t lda, const float *b,
                                        size_t ldb, const float *bias, float *c, size_t ldc, float lo, float hi) {
  float acc[EW_G_MR][EW_G_NR];
  for (size_t r = 0; r < EW_G_MR; r++)
    for (size_t j = 0; j < EW_G_NR; j++) acc[r][j] = (bias && j < nr) ? bias[j] : 0.0f;
  if (nr == EW_G_NR && mr == EW_G_MR) {
    for (size_t p = 0; p < k; p++) {
      const float *bp = b + p * ldb;
      for (size_t r = 0; r < EW_G_MR; r++) {
        const float av = a[r * lda + p];
        for (size_t j = 0; j < EW_G_NR; j++) acc[r][j] += av * bp[j];
      }
    }
  } else {
    for (size_t p = 0; p < k; p++) {
      const float *bp = b + p * ldb;
      for (size_t r = 0; r < mr; r++) {
        const float av = a[r * lda + p];
        for (size_t j = 0; j < nr; j++) acc[r][j] += av * bp[j];
      }
    }
  }
  for (size_t r = 0; r < mr; r++)
    for (size_t j = 0; j < nr; j++) c[r * ldc + j] = ew_clampf(acc[r][j], lo, hi);
}

void ew_gemm_f32__generic(size_t m, size_t n, size_t k, const float *a, size_t lda, const float *b, size_t ldb,
                          const float *bias, float *c, size_t ldc, float act_min, float act_max) {
  for (size_t j = 0; j < n; j += EW_G_NR) {
    const size_t nr = n - j < EW_G_NR ? n - j : EW_G_NR;
    for (size_t i = 0; i < m; i += EW_G_MR) {
      const size_t mr = m - i < EW_G_MR ? m - i : EW_G_MR;
      ew_gemm_tile_generic(mr, nr, k, a + i * lda, lda, b + j, ldb, bias ? bias + j : NULL, c + i * ldc + j, ldc,
                           act_min, act_max);
    }
  }
}
