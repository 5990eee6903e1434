// Packed GEMM with transposes and accumulation, for training (see ew_gemm_f32_packed in edgewise_kernels.h). BLIS-style: B is packed into NR-wide
// column panels per KC block, A into MR-tall row panels per MC×KC block, and a register-blocked
// micro-kernel computes one MR×NR tile. Packing reads either layout, so transposes cost nothing extra.
#include "../ew_internal.h"
#include <stdlib.h>
#include <string.h>
#if defined(__x86_64__)
#include <immintrin.h>
#endif

#define KC 256
#define MC 120
#define NC 1024
#define MR 6
#define NR_MAX 32

// Packing buffers, one pair per thread, allocated on first use and kept for the thread's lifetime.
static _Thread_local float *packA, *packB;

typedef void (*micro_fn)(size_t kc, const float *a, const float *b, float *c, size_t ldc, float beta);

// ---- generic micro-kernel (NR = 16) ----
static void micro_generic(size_t kc, const float *a, const float *b, float *c, size_t ldc, float beta) {
  float acc[MR][16];
  memset(acc, 0, sizeof acc);
  for (size_t p = 0; p < kc; p++) {
    const float *bp = b + p * 16, *ap = a + p * MR;
    for (int i = 0; i < MR; i++)
      for (int j = 0; j < 16; j++) acc[i][j] += ap[i] * bp[j];
  }
  for (int i = 0; i < MR; i++)
    for (int j = 0; j < 16; j++) c[i * ldc + j] = (beta != 0.0f ? c[i * ldc + j] : 0.0f) + acc[i][j];
}

#if defined(__x86_64__)

EW_TARGET_AVX2 static void micro_avx2(size_t kc, const float *a, const float *b, float *c, size_t ldc, float beta) {
  __m256 c00 = _mm256_setzero_ps(), c01 = _mm256_setzero_ps(), c10 = _mm256_setzero_ps(), c11 = _mm256_setzero_ps();
  __m256 c20 = _mm256_setzero_ps(), c21 = _mm256_setzero_ps(), c30 = _mm256_setzero_ps(), c31 = _mm256_setzero_ps();
  __m256 c40 = _mm256_setzero_ps(), c41 = _mm256_setzero_ps(), c50 = _mm256_setzero_ps(), c51 = _mm256_setzero_ps();
  for (size_t p = 0; p < kc; p++) {
    const __m256 b0 = _mm256_load_ps(b + p * 16), b1 = _mm256_load_ps(b + p * 16 + 8);
    const float *ap = a + p * MR;
    __m256 t;
    t = _mm256_broadcast_ss(ap + 0); c00 = _mm256_fmadd_ps(t, b0, c00); c01 = _mm256_fmadd_ps(t, b1, c01);
    t = _mm256_broadcast_ss(ap + 1); c10 = _mm256_fmadd_ps(t, b0, c10); c11 = _mm256_fmadd_ps(t, b1, c11);
    t = _mm256_broadcast_ss(ap + 2); c20 = _mm256_fmadd_ps(t, b0, c20); c21 = _mm256_fmadd_ps(t, b1, c21);
    t = _mm256_broadcast_ss(ap + 3); c30 = _mm256_fmadd_ps(t, b0, c30); c31 = _mm256_fmadd_ps(t, b1, c31);
    t = _mm256_broadcast_ss(ap + 4); c40 = _mm256_fmadd_ps(t, b0, c40); c41 = _mm256_fmadd_ps(t, b1, c41);
    t = _mm256_broadcast_ss(ap + 5); c50 = _mm256_fmadd_ps(t, b0, c50); c51 = _mm256_fmadd_ps(t, b1, c51);
  }
  __m256 r[MR][2] = {{c00, c01}, {c10, c11}, {c20, c21}, {c30, c31}, {c40, c41}, {c50, c51}};
  for (int i = 0; i < MR; i++) {
    float *ci = c + i * ldc;
    if (beta != 0.0f) { r[i][0] = _mm256_add_ps(r[i][0], _mm256_loadu_ps(ci)); r[i][1] = _mm256_add_ps(r[i][1], _mm256_loadu_ps(ci + 8)); }
    _mm256_storeu_ps(ci, r[i][0]);
    _mm256_storeu_ps(ci + 8, r[i][1]);
  }
}

EW_TARGET_AVX512 static void micro_avx512(size_t kc, const float *a, const float *b, float *c, size_t ldc, float beta) {
  __m512 c00 = _mm512_setzero_ps(), c01 = _mm512_setzero_ps(), c10 = _mm512_setzero_ps(), c11 = _mm512_setzero_ps();
  __m512 c20 = _mm512_setzero_ps(), c21 = _mm512_setzero_ps(), c30 = _mm512_setzero_ps(), c31 = _mm512_setzero_ps();
  __m512 c40 = _mm512_setzero_ps(), c41 = _mm512_setzero_ps(), c50 = _mm512_setzero_ps(), c51 = _mm512_setzero_ps();
  for (size_t p = 0; p < kc; p++) {
    const __m512 b0 = _mm512_load_ps(b + p * 32), b1 = _mm512_load_ps(b + p * 32 + 16);
    const float *ap = a + p * MR;
    __m512 t;
    t = _mm512_set1_ps(ap[0]); c00 = _mm512_fmadd_ps(t, b0, c00); c01 = _mm512_fmadd_ps(t, b1, c01);
    t = _mm512_set1_ps(ap[1]); c10 = _mm512_fmadd_ps(t, b0, c10); c11 = _mm512_fmadd_ps(t, b1, c11);
    t = _mm512_set1_ps(ap[2]); c20 = _mm512_fmadd_ps(t, b0, c20); c21 = _mm512_fmadd_ps(t, b1, c21);
    t = _mm512_set1_ps(ap[3]); c30 = _mm512_fmadd_ps(t, b0, c30); c31 = _mm512_fmadd_ps(t, b1, c31);
    t = _mm512_set1_ps(ap[4]); c40 = _mm512_fmadd_ps(t, b0, c40); c41 = _mm512_fmadd_ps(t, b1, c41);
    t = _mm512_set1_ps(ap[5]); c50 = _mm512_fmadd_ps(t, b0, c50); c51 = _mm512_fmadd_ps(t, b1, c51);
  }
  __m512 r[MR][2] = {{c00, c01}, {c10, c11}, {c20, c21}, {c30, c31}, {c40, c41}, {c50, c51}};
  for (int i = 0; i < MR; i++) {
    float *ci = c + i * ldc;
    if (beta != 0.0f) { r[i][0] = _mm512_add_ps(r[i][0], _mm512_loadu_ps(ci)); r[i][1] = _mm512_add_ps(r[i][1], _mm512_loadu_ps(ci + 16)); }
    _mm512_storeu_ps(ci, r[i][0]);
    _mm512_storeu_ps(ci + 16, r[i][1]);
  }
}

#endif

// A[i,p] of op(A); B[p,j] of op(B).
static void pack_a(int trans, const float *a, size_t lda, size_t i0, size_t mc, size_t p0, size_t kc, float *dst) {
  for (size_t ir = 0; ir < mc; ir += MR) {
    const size_t mr = mc - ir < MR ? mc - ir : MR;
    for (size_t p = 0; p < kc; p++) {
      float *d = dst + ir * kc + p * MR;
      size_t i = 0;
      if (trans) { const float *s = a + (p0 + p) * lda + i0 + ir; for (; i < mr; i++) d[i] = s[i]; }
      else { const float *s = a + (i0 + ir) * lda + p0 + p; for (; i < mr; i++) d[i] = s[i * lda]; }
      for (; i < MR; i++) d[i] = 0.0f;
    }
  }
}

static void pack_b(int trans, const float *b, size_t ldb, size_t p0, size_t kc, size_t j0, size_t nc, size_t nr, float *dst) {
  for (size_t jr = 0; jr < nc; jr += nr) {
    const size_t w = nc - jr < nr ? nc - jr : nr;
    float *panel = dst + jr * kc;
    for (size_t p = 0; p < kc; p++) {
      float *d = panel + p * nr;
      size_t j = 0;
      if (trans) { const float *s = b + (j0 + jr) * ldb + p0 + p; for (; j < w; j++) d[j] = s[j * ldb]; }
      else { const float *s = b + (p0 + p) * ldb + j0 + jr; memcpy(d, s, w * sizeof(float)); j = w; }
      for (; j < nr; j++) d[j] = 0.0f;
    }
  }
}

void ew_gemm_f32_packed(int isa, int trans_a, int trans_b, size_t m, size_t n, size_t k,
                  const float *a, size_t lda, const float *b, size_t ldb, float beta, float *c, size_t ldc) {
  if (isa < 0 || isa > (int)ew_cpu_best_isa()) isa = (int)ew_cpu_best_isa();
  micro_fn micro = micro_generic;
  size_t nr = 16;
#if defined(__x86_64__)
  if (isa == 2) { micro = micro_avx512; nr = 32; }
  else if (isa == 1) { micro = micro_avx2; nr = 16; }
#endif
  if (m == 0 || n == 0) return;
  if (!packA) {
    packA = aligned_alloc(64, sizeof(float) * MC * KC);
    packB = aligned_alloc(64, sizeof(float) * NC * KC);
  }
  if (k == 0) {
    if (beta == 0.0f) for (size_t i = 0; i < m; i++) memset(c + i * ldc, 0, n * sizeof(float));
    return;
  }
  float tile[MR * NR_MAX] __attribute__((aligned(64)));
  for (size_t jc = 0; jc < n; jc += NC) {
    const size_t nc = n - jc < NC ? n - jc : NC;
    for (size_t pc = 0; pc < k; pc += KC) {
      const size_t kc = k - pc < KC ? k - pc : KC;
      const float bt = pc == 0 ? beta : 1.0f;
      pack_b(trans_b, b, ldb, pc, kc, jc, nc, nr, packB);
      for (size_t ic = 0; ic < m; ic += MC) {
        const size_t mc = m - ic < MC ? m - ic : MC;
        pack_a(trans_a, a, lda, ic, mc, pc, kc, packA);
        for (size_t jr = 0; jr < nc; jr += nr) {
          const size_t w = nc - jr < nr ? nc - jr : nr;
          for (size_t ir = 0; ir < mc; ir += MR) {
            const size_t h = mc - ir < MR ? mc - ir : MR;
            float *ct = c + (ic + ir) * ldc + jc + jr;
            if (h == MR && w == nr) {
              micro(kc, packA + ir * kc, packB + jr * kc, ct, ldc, bt);
            } else {
              micro(kc, packA + ir * kc, packB + jr * kc, tile, nr, 0.0f);
              for (size_t i = 0; i < h; i++)
                for (size_t j = 0; j < w; j++) ct[i * ldc + j] = (bt != 0.0f ? ct[i * ldc + j] : 0.0f) + tile[i * nr + j];
            }
          }
        }
      }
    }
  }
}

unsigned ew_enable_flush_to_zero(void) {
#if defined(__x86_64__)
  const unsigned old = _mm_getcsr();
  _mm_setcsr(old | 0x8040); /* FTZ (bit 15) | DAZ (bit 6) */
  return old;
#else
  return 0;
#endif
}

void ew_restore_fp_mode(unsigned previous) {
#if defined(__x86_64__)
  _mm_setcsr(previous);
#else
  (void)previous;
#endif
}

