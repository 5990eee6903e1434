// x86 int8 kernels: the exact AVX2 GEMM (int16 `vpmaddwd`), the AVX-512 VNNI GEMM (`vpdpbusd` on +128-offset
// activations), vectorised exact requantisation, depthwise (AVX2, AVX-512) and the int8 peak benchmark.
#define _POSIX_C_SOURCE 199309L
#include "int8_internal.h"
#include <string.h>
#include <time.h>

#if EW_HAVE_X86
#include <immintrin.h>

// MARK: - Exact requantisation, 8 lanes (AVX2) / 16 lanes (AVX-512)

/// TFLite MultiplyByQuantizedMultiplier (double rounding) on 8 int32 lanes with per-lane parameters:
/// left shift (wrapping), SRDHM as floor((a*b + 2^30) / 2^31) on 64-bit even/odd products, RoundingDivideByPOT.
EW_TARGET_AVX2 EW_INLINE __m256i ew_requant_avx2(__m256i acc, __m256i mult, __m256i lsh, __m256i rsh) {
  acc = _mm256_sllv_epi32(acc, lsh);
  const __m256i nudge = _mm256_set1_epi64x((int64_t)1 << 30);
  __m256i even = _mm256_mul_epi32(acc, mult);
  __m256i odd = _mm256_mul_epi32(_mm256_srli_epi64(acc, 32), _mm256_srli_epi64(mult, 32));
  even = _mm256_srli_epi64(_mm256_add_epi64(even, nudge), 31);  // low dword = bits 31..62
  odd = _mm256_slli_epi64(_mm256_add_epi64(odd, nudge), 1);     // high dword = bits 31..62
  const __m256i r = _mm256_blend_epi32(even, odd, 0xAA);
  const __m256i one = _mm256_set1_epi32(1);
  const __m256i mask = _mm256_sub_epi32(_mm256_sllv_epi32(one, rsh), one);
  const __m256i rem = _mm256_and_si256(r, mask);
  const __m256i thr = _mm256_add_epi32(_mm256_srli_epi32(mask, 1), _mm256_srli_epi32(r, 31));
  return _mm256_sub_epi32(_mm256_srav_epi32(r, rsh), _mm256_cmpgt_epi32(rem, thr));
}

/// Requantises 8 accumulators of columns j..j+7, adds the zero point, clamps and stores `count` (<= 8) bytes.
EW_TARGET_AVX2 EW_INLINE void ew_store8_avx2(__m256i acc, const int32_t *mu, const int32_t *ls, const int32_t *rs,
                                             __m256i zp, __m256i lo, __m256i hi, int8_t *dst, int count) {
  __m256i v = ew_requant_avx2(acc, _mm256_loadu_si256((const __m256i *)mu), _mm256_loadu_si256((const __m256i *)ls),
                              _mm256_loadu_si256((const __m256i *)rs));
  v = _mm256_min_epi32(_mm256_max_epi32(_mm256_add_epi32(v, zp), lo), hi);
  const __m256i w16 = _mm256_packs_epi32(v, v);     // [v0..3 v0..3 | v4..7 v4..7] int16
  const __m256i b8 = _mm256_packs_epi16(w16, w16);  // bytes, per 128-bit lane
  const __m128i out = _mm_unpacklo_epi32(_mm256_castsi256_si128(b8), _mm256_extracti128_si256(b8, 1));
  if (count == 8) {
    _mm_storel_epi64((__m128i *)dst, out);
  } else {
    int8_t tmp[16];
    _mm_storeu_si128((__m128i *)tmp, out);
    memcpy(dst, tmp, (size_t)count);
  }
}

EW_TARGET_VNNI EW_INLINE __m512i ew_requant_avx512(__m512i acc, __m512i mult, __m512i lsh, __m512i rsh) {
  acc = _mm512_sllv_epi32(acc, lsh);
  const __m512i nudge = _mm512_set1_epi64((int64_t)1 << 30);
  __m512i even = _mm512_mul_epi32(acc, mult);
  __m512i odd = _mm512_mul_epi32(_mm512_srli_epi64(acc, 32), _mm512_srli_epi64(mult, 32));
  even = _mm512_srli_epi64(_mm512_add_epi64(even, nudge), 31);
  odd = _mm512_slli_epi64(_mm512_add_epi64(odd, nudge), 1);
  const __m512i r = _mm512_mask_blend_epi32((__mmask16)0xAAAA, even, odd);
  const __m512i one = _mm512_set1_epi32(1);
  const __m512i mask = _mm512_sub_epi32(_mm512_sllv_epi32(one, rsh), one);
  const __m512i rem = _mm512_and_si512(r, mask);
  const __m512i thr = _mm512_add_epi32(_mm512_srli_epi32(mask, 1), _mm512_srli_epi32(r, 31));
  const __mmask16 up = _mm512_cmpgt_epi32_mask(rem, thr);
  const __m512i s = _mm512_srav_epi32(r, rsh);
  return _mm512_mask_add_epi32(s, up, s, one);
}

EW_TARGET_VNNI EW_INLINE void ew_store16_avx512(__m512i acc, const int32_t *mu, const int32_t *ls, const int32_t *rs,
                                                __m512i zp, __m512i lo, __m512i hi, int8_t *dst, __mmask16 m) {
  __m512i v = ew_requant_avx512(acc, _mm512_loadu_si512(mu), _mm512_loadu_si512(ls), _mm512_loadu_si512(rs));
  v = _mm512_min_epi32(_mm512_max_epi32(_mm512_add_epi32(v, zp), lo), hi);
  _mm512_mask_cvtepi32_storeu_epi8(dst, m, v);
}

// MARK: - AVX2 GEMM: int16 pairs, vpmaddwd (exact: |x*w| <= 2^14, a pair sum never reaches 2^31)

/// Two sign-extended int8 values as one int32 holding the int16 pair (lo = a[0], hi = a[1]).
EW_INLINE int32_t ew_pair16(int8_t a0, int8_t a1) {
  return (int32_t)((uint32_t)(uint16_t)(int16_t)a0 | ((uint32_t)(uint16_t)(int16_t)a1 << 16));
}

/// MR rows x (8*NB) columns, NB <= 2. Block of columns starting at j0.
#define EW_AVX2_BLOCK(MR, NB)                                                                                         \
  EW_TARGET_AVX2 static void ew_int8_avx2_block_##MR##_##NB(const int8_t *a, size_t lda, const ew_int8_packed *p,     \
                                                            size_t j0, int8_t *y, size_t ldy, __m256i zp, __m256i lo, \
                                                            __m256i hi) {                                             \
    const size_t k = (size_t)p->k, n_pad = (size_t)p->n_pad, kp = k / 2;                                              \
    const int32_t *wq = (const int32_t *)ew_int8_weights(p) + j0;                                                     \
    const int32_t *bias = ew_int8_bias(p) + j0;                                                                       \
    __m256i acc[MR][NB];                                                                                              \
    for (int j = 0; j < NB; j++) {                                                                                    \
      const __m256i b = _mm256_loadu_si256((const __m256i *)(bias + 8 * j));                                          \
      for (int r = 0; r < MR; r++) acc[r][j] = b;                                                                     \
    }                                                                                                                 \
    for (size_t g = 0; g < kp; g++) {                                                                                 \
      __m256i w[NB];                                                                                                  \
      for (int j = 0; j < NB; j++) w[j] = _mm256_loadu_si256((const __m256i *)(wq + g * n_pad + 8 * j));              \
      for (int r = 0; r < MR; r++) {                                                                                  \
        const int8_t *ar = a + r * lda + 2 * g;                                                                       \
        const __m256i x = _mm256_set1_epi32(ew_pair16(ar[0], ar[1]));                                                 \
        for (int j = 0; j < NB; j++) acc[r][j] = _mm256_add_epi32(acc[r][j], _mm256_madd_epi16(x, w[j]));            \
      }                                                                                                               \
    }                                                                                                                 \
    if (k & 1) {                                                                                                      \
      __m256i w[NB];                                                                                                  \
      for (int j = 0; j < NB; j++) w[j] = _mm256_loadu_si256((const __m256i *)(wq + kp * n_pad + 8 * j));             \
      for (int r = 0; r < MR; r++) {                                                                                  \
        const __m256i x = _mm256_set1_epi32(ew_pair16(a[r * lda + k - 1], 0));                                        \
        for (int j = 0; j < NB; j++) acc[r][j] = _mm256_add_epi32(acc[r][j], _mm256_madd_epi16(x, w[j]));            \
      }                                                                                                               \
    }                                                                                                                 \
    const size_t n = (size_t)p->n;                                                                                    \
    for (int j = 0; j < NB; j++) {                                                                                    \
      const size_t c = j0 + 8 * (size_t)j;                                                                            \
      if (c >= n) break;                                                                                              \
      const int count = n - c >= 8 ? 8 : (int)(n - c);                                                                \
      for (int r = 0; r < MR; r++)                                                                                    \
        ew_store8_avx2(acc[r][j], ew_int8_mult(p) + c, ew_int8_lshift(p) + c, ew_int8_rshift(p) + c, zp, lo, hi,     \
                       y + r * ldy + c, count);                                                                       \
    }                                                                                                                 \
  }

EW_AVX2_BLOCK(6, 2)
EW_AVX2_BLOCK(5, 2)
EW_AVX2_BLOCK(4, 2)
EW_AVX2_BLOCK(3, 2)
EW_AVX2_BLOCK(2, 2)
EW_AVX2_BLOCK(1, 2)

typedef void (*ew_avx2_block_fn)(const int8_t *, size_t, const ew_int8_packed *, size_t, int8_t *, size_t, __m256i,
                                 __m256i, __m256i);

EW_TARGET_AVX2 void ew_int8_gemm__avx2(size_t m, const int8_t *a, size_t lda, const ew_int8_packed *p, int8_t *y,
                                       size_t ldy, int32_t zp, int32_t lo, int32_t hi) {
  static const ew_avx2_block_fn blocks[7] = {NULL,
                                             ew_int8_avx2_block_1_2,
                                             ew_int8_avx2_block_2_2,
                                             ew_int8_avx2_block_3_2,
                                             ew_int8_avx2_block_4_2,
                                             ew_int8_avx2_block_5_2,
                                             ew_int8_avx2_block_6_2};
  const __m256i vzp = _mm256_set1_epi32(zp), vlo = _mm256_set1_epi32(lo), vhi = _mm256_set1_epi32(hi);
  const size_t n = (size_t)p->n;
  // Column blocks outermost: one 16-column sliver of the packed weights stays in L1 while all rows stream by.
  for (size_t j0 = 0; j0 < n; j0 += 16)
    for (size_t r = 0; r < m; r += 6) {
      const size_t mr = m - r < 6 ? m - r : 6;
      blocks[mr](a + r * lda, lda, p, j0, y + r * ldy, ldy, vzp, vlo, vhi);
    }
}

// MARK: - VNNI GEMM: vpdpbusd, u8 = x + 128 (x ^ 0x80), the offset folded into the bias at pack time

#define EW_VNNI_BLOCK(MR, NB)                                                                                         \
  EW_TARGET_VNNI static void ew_int8_vnni_block_##MR##_##NB(const int8_t *a, size_t lda, const ew_int8_packed *p,     \
                                                            size_t j0, int8_t *y, size_t ldy, __m512i zp, __m512i lo, \
                                                            __m512i hi) {                                             \
    const size_t k = (size_t)p->k, n_pad = (size_t)p->n_pad, kq = k / 4;                                              \
    const int32_t *wq = (const int32_t *)ew_int8_weights(p) + j0;                                                     \
    const int32_t *bias = ew_int8_bias(p) + j0;                                                                       \
    __m512i acc[MR][NB];                                                                                              \
    for (int j = 0; j < NB; j++) {                                                                                    \
      const __m512i b = _mm512_loadu_si512(bias + 16 * j);                                                            \
      for (int r = 0; r < MR; r++) acc[r][j] = b;                                                                     \
    }                                                                                                                 \
    for (size_t g = 0; g < kq; g++) {                                                                                 \
      __m512i w[NB];                                                                                                  \
      for (int j = 0; j < NB; j++) w[j] = _mm512_loadu_si512(wq + g * n_pad + 16 * j);                                \
      for (int r = 0; r < MR; r++) {                                                                                  \
        int32_t a4;                                                                                                   \
        memcpy(&a4, a + r * lda + 4 * g, 4);                                                                          \
        const __m512i x = _mm512_set1_epi32(a4 ^ (int32_t)0x80808080);                                                \
        for (int j = 0; j < NB; j++) acc[r][j] = _mm512_dpbusd_epi32(acc[r][j], x, w[j]);                            \
      }                                                                                                               \
    }                                                                                                                 \
    if (k & 3) {                                                                                                      \
      __m512i w[NB];                                                                                                  \
      for (int j = 0; j < NB; j++) w[j] = _mm512_loadu_si512(wq + kq * n_pad + 16 * j);                               \
      for (int r = 0; r < MR; r++) {                                                                                  \
        uint8_t b4[4] = {0, 0, 0, 0};                                                                                 \
        for (size_t t = 0; t < (k & 3); t++) b4[t] = (uint8_t)(a[r * lda + 4 * kq + t] ^ 0x80);                        \
        int32_t a4;                                                                                                   \
        memcpy(&a4, b4, 4);                                                                                           \
        const __m512i x = _mm512_set1_epi32(a4);                                                                      \
        for (int j = 0; j < NB; j++) acc[r][j] = _mm512_dpbusd_epi32(acc[r][j], x, w[j]);                            \
      }                                                                                                               \
    }                                                                                                                 \
    const size_t n = (size_t)p->n;                                                                                    \
    for (int j = 0; j < NB; j++) {                                                                                    \
      const size_t c = j0 + 16 * (size_t)j;                                                                           \
      if (c >= n) break;                                                                                              \
      const __mmask16 m = n - c >= 16 ? (__mmask16)0xFFFF : (__mmask16)((1u << (n - c)) - 1);                         \
      for (int r = 0; r < MR; r++)                                                                                    \
        ew_store16_avx512(acc[r][j], ew_int8_mult(p) + c, ew_int8_lshift(p) + c, ew_int8_rshift(p) + c, zp, lo, hi,  \
                          y + r * ldy + c, m);                                                                        \
    }                                                                                                                 \
  }

EW_VNNI_BLOCK(6, 4)
EW_VNNI_BLOCK(5, 4)
EW_VNNI_BLOCK(4, 4)
EW_VNNI_BLOCK(3, 4)
EW_VNNI_BLOCK(2, 4)
EW_VNNI_BLOCK(1, 4)
EW_VNNI_BLOCK(8, 2)
EW_VNNI_BLOCK(4, 2)
EW_VNNI_BLOCK(2, 2)
EW_VNNI_BLOCK(1, 2)
EW_VNNI_BLOCK(8, 1)
EW_VNNI_BLOCK(4, 1)
EW_VNNI_BLOCK(2, 1)
EW_VNNI_BLOCK(1, 1)

typedef void (*ew_vnni_block_fn)(const int8_t *, size_t, const ew_int8_packed *, size_t, int8_t *, size_t, __m512i,
                                 __m512i, __m512i);

EW_TARGET_VNNI void ew_int8_gemm__vnni(size_t m, const int8_t *a, size_t lda, const ew_int8_packed *p, int8_t *y,
                                       size_t ldy, int32_t zp, int32_t lo, int32_t hi) {
  static const ew_vnni_block_fn b4[7] = {NULL,
                                         ew_int8_vnni_block_1_4,
                                         ew_int8_vnni_block_2_4,
                                         ew_int8_vnni_block_3_4,
                                         ew_int8_vnni_block_4_4,
                                         ew_int8_vnni_block_5_4,
                                         ew_int8_vnni_block_6_4};
  const __m512i vzp = _mm512_set1_epi32(zp), vlo = _mm512_set1_epi32(lo), vhi = _mm512_set1_epi32(hi);
  const size_t n = (size_t)p->n;
  size_t j0 = 0;
  for (; j0 + 48 < n; j0 += 64)  // 4 column blocks of 16: 6 x 4 accumulators
    for (size_t r = 0; r < m; r += 6) {
      const size_t mr = m - r < 6 ? m - r : 6;
      b4[mr](a + r * lda, lda, p, j0, y + r * ldy, ldy, vzp, vlo, vhi);
    }
  if (j0 < n) {
    const size_t rest = (n - j0 + 15) / 16;  // 1..3 blocks of 16 columns left
    if (rest == 3) {
      // 2 + 1 blocks
      for (size_t r = 0; r < m;) {
        if (m - r >= 8) { ew_int8_vnni_block_8_2(a + r * lda, lda, p, j0, y + r * ldy, ldy, vzp, vlo, vhi); r += 8; }
        else if (m - r >= 4) { ew_int8_vnni_block_4_2(a + r * lda, lda, p, j0, y + r * ldy, ldy, vzp, vlo, vhi); r += 4; }
        else if (m - r >= 2) { ew_int8_vnni_block_2_2(a + r * lda, lda, p, j0, y + r * ldy, ldy, vzp, vlo, vhi); r += 2; }
        else { ew_int8_vnni_block_1_2(a + r * lda, lda, p, j0, y + r * ldy, ldy, vzp, vlo, vhi); r += 1; }
      }
      j0 += 32;
    }
    const size_t nb = (n - j0 + 15) / 16;
    for (size_t r = 0; r < m;) {
      if (nb == 2) {
        if (m - r >= 8) { ew_int8_vnni_block_8_2(a + r * lda, lda, p, j0, y + r * ldy, ldy, vzp, vlo, vhi); r += 8; }
        else if (m - r >= 4) { ew_int8_vnni_block_4_2(a + r * lda, lda, p, j0, y + r * ldy, ldy, vzp, vlo, vhi); r += 4; }
        else if (m - r >= 2) { ew_int8_vnni_block_2_2(a + r * lda, lda, p, j0, y + r * ldy, ldy, vzp, vlo, vhi); r += 2; }
        else { ew_int8_vnni_block_1_2(a + r * lda, lda, p, j0, y + r * ldy, ldy, vzp, vlo, vhi); r += 1; }
      } else {
        if (m - r >= 8) { ew_int8_vnni_block_8_1(a + r * lda, lda, p, j0, y + r * ldy, ldy, vzp, vlo, vhi); r += 8; }
        else if (m - r >= 4) { ew_int8_vnni_block_4_1(a + r * lda, lda, p, j0, y + r * ldy, ldy, vzp, vlo, vhi); r += 4; }
        else if (m - r >= 2) { ew_int8_vnni_block_2_1(a + r * lda, lda, p, j0, y + r * ldy, ldy, vzp, vlo, vhi); r += 2; }
        else { ew_int8_vnni_block_1_1(a + r * lda, lda, p, j0, y + r * ldy, ldy, vzp, vlo, vhi); r += 1; }
      }
    }
  }
}

// MARK: - Depthwise (depth multiplier 1 vectorised across channels; others and channel tails portable)

void ew_int8_dw_pixel_tail(const ew_int8_conv_params *q, const int8_t *xb, const ew_int8_dw_packed *p, int oy, int ox,
                           int c0, int c1, int8_t *yp);

EW_TARGET_AVX2 void ew_int8_depthwise__avx2(const ew_int8_conv_params *q, const int8_t *x, const ew_int8_dw_packed *p,
                                            int8_t *y) {
  const int C = q->out_c, cp = p->c_pad;
  const int32_t *bias = ew_int8_dw_bias(p), *mu = bias + cp, *ls = bias + 2 * cp, *rs = bias + 3 * cp;
  const int16_t *w = ew_int8_dw_weights(p);
  const __m256i vzin = _mm256_set1_epi32(q->input_zero_point), vzp = _mm256_set1_epi32(q->output_zero_point);
  const __m256i vlo = _mm256_set1_epi32(q->act_min), vhi = _mm256_set1_epi32(q->act_max);
  const int vec = q->depth_multiplier == 1 ? C / 8 * 8 : 0;
  for (int b = 0; b < q->batch; b++) {
    const int8_t *xb = x + (size_t)b * q->in_h * q->in_w * q->in_c;
    for (int oy = 0; oy < q->out_h; oy++)
      for (int ox = 0; ox < q->out_w; ox++) {
        int8_t *yp = y + (((size_t)b * q->out_h + oy) * q->out_w + ox) * C;
        const int iy0 = oy * q->stride_h - q->pad_top, ix0 = ox * q->stride_w - q->pad_left;
        for (int c = 0; c < vec; c += 8) {
          __m256i acc = _mm256_loadu_si256((const __m256i *)(bias + c));
          for (int ky = 0; ky < q->k_h; ky++) {
            const int iy = iy0 + ky * q->dil_h;
            if (iy < 0 || iy >= q->in_h) continue;
            for (int kx = 0; kx < q->k_w; kx++) {
              const int ix = ix0 + kx * q->dil_w;
              if (ix < 0 || ix >= q->in_w) continue;
              const __m256i xv = _mm256_sub_epi32(
                  _mm256_cvtepi8_epi32(_mm_loadl_epi64((const __m128i *)(xb + ((size_t)iy * q->in_w + ix) * C + c))), vzin);
              const __m256i wv =
                  _mm256_cvtepi16_epi32(_mm_loadu_si128((const __m128i *)(w + (size_t)(ky * q->k_w + kx) * cp + c)));
              acc = _mm256_add_epi32(acc, _mm256_mullo_epi32(xv, wv));
            }
          }
          ew_store8_avx2(acc, mu + c, ls + c, rs + c, vzp, vlo, vhi, yp + c, 8);
        }
        if (vec < C) ew_int8_dw_pixel_tail(q, xb, p, oy, ox, vec, C, yp);
      }
  }
}

EW_TARGET_VNNI void ew_int8_depthwise__avx512(const ew_int8_conv_params *q, const int8_t *x, const ew_int8_dw_packed *p,
                                              int8_t *y) {
  if (q->depth_multiplier != 1) {
    ew_int8_depthwise__generic(q, x, p, y);
    return;
  }
  const int C = q->out_c, cp = p->c_pad;
  const int32_t *bias = ew_int8_dw_bias(p), *mu = bias + cp, *ls = bias + 2 * cp, *rs = bias + 3 * cp;
  const int16_t *w = ew_int8_dw_weights(p);
  const __m512i vzin = _mm512_set1_epi32(q->input_zero_point), vzp = _mm512_set1_epi32(q->output_zero_point);
  const __m512i vlo = _mm512_set1_epi32(q->act_min), vhi = _mm512_set1_epi32(q->act_max);
  for (int b = 0; b < q->batch; b++) {
    const int8_t *xb = x + (size_t)b * q->in_h * q->in_w * q->in_c;
    for (int oy = 0; oy < q->out_h; oy++)
      for (int ox = 0; ox < q->out_w; ox++) {
        int8_t *yp = y + (((size_t)b * q->out_h + oy) * q->out_w + ox) * C;
        const int iy0 = oy * q->stride_h - q->pad_top, ix0 = ox * q->stride_w - q->pad_left;
        for (int c = 0; c < C; c += 16) {
          const __mmask16 m = C - c >= 16 ? (__mmask16)0xFFFF : (__mmask16)((1u << (C - c)) - 1);
          __m512i acc = _mm512_loadu_si512(bias + c);  // c_pad covers the tail
          for (int ky = 0; ky < q->k_h; ky++) {
            const int iy = iy0 + ky * q->dil_h;
            if (iy < 0 || iy >= q->in_h) continue;
            for (int kx = 0; kx < q->k_w; kx++) {
              const int ix = ix0 + kx * q->dil_w;
              if (ix < 0 || ix >= q->in_w) continue;
              const __m512i xv = _mm512_sub_epi32(
                  _mm512_cvtepi8_epi32(_mm_maskz_loadu_epi8(m, xb + ((size_t)iy * q->in_w + ix) * C + c)), vzin);
              const __m512i wv =
                  _mm512_cvtepi16_epi32(_mm256_loadu_si256((const __m256i *)(w + (size_t)(ky * q->k_w + kx) * cp + c)));
              acc = _mm512_add_epi32(acc, _mm512_mullo_epi32(xv, wv));
            }
          }
          ew_store16_avx512(acc, mu + c, ls + c, rs + c, vzp, vlo, vhi, yp + c, m);
        }
      }
  }
}

// MARK: - ADD

EW_TARGET_VNNI void ew_int8_add__avx512(size_t n, const int8_t *a, const int8_t *b, const ew_int8_add_params *p, int8_t *y) {
  const __m512i o1 = _mm512_set1_epi32(p->input1_offset), o2 = _mm512_set1_epi32(p->input2_offset);
  const __m512i m1 = _mm512_set1_epi32(p->input1_multiplier), r1 = _mm512_set1_epi32(p->input1_right_shift);
  const __m512i m2 = _mm512_set1_epi32(p->input2_multiplier), r2 = _mm512_set1_epi32(p->input2_right_shift);
  const __m512i mo = _mm512_set1_epi32(p->output_multiplier), ro = _mm512_set1_epi32(p->output_right_shift);
  const __m512i zero = _mm512_setzero_si512(), zp = _mm512_set1_epi32(p->output_zero_point);
  const __m512i lo = _mm512_set1_epi32(p->act_min), hi = _mm512_set1_epi32(p->act_max);
  const __m512i ls = _mm512_set1_epi32(p->left_shift);
  for (size_t i = 0; i < n; i += 16) {
    const __mmask16 k = n - i >= 16 ? (__mmask16)0xFFFF : (__mmask16)((1u << (n - i)) - 1);
    const __m512i x1 = _mm512_sllv_epi32(_mm512_add_epi32(_mm512_cvtepi8_epi32(_mm_maskz_loadu_epi8(k, a + i)), o1), ls);
    const __m512i x2 = _mm512_sllv_epi32(_mm512_add_epi32(_mm512_cvtepi8_epi32(_mm_maskz_loadu_epi8(k, b + i)), o2), ls);
    const __m512i sum = _mm512_add_epi32(ew_requant_avx512(x1, m1, zero, r1), ew_requant_avx512(x2, m2, zero, r2));
    __m512i v = _mm512_add_epi32(ew_requant_avx512(sum, mo, zero, ro), zp);
    v = _mm512_min_epi32(_mm512_max_epi32(v, lo), hi);
    _mm512_mask_cvtepi32_storeu_epi8(y + i, k, v);
  }
}

EW_TARGET_AVX2 void ew_int8_add__avx2(size_t n, const int8_t *a, const int8_t *b, const ew_int8_add_params *p, int8_t *y) {
  const __m256i o1 = _mm256_set1_epi32(p->input1_offset), o2 = _mm256_set1_epi32(p->input2_offset);
  const __m256i m1 = _mm256_set1_epi32(p->input1_multiplier), r1 = _mm256_set1_epi32(p->input1_right_shift);
  const __m256i m2 = _mm256_set1_epi32(p->input2_multiplier), r2 = _mm256_set1_epi32(p->input2_right_shift);
  const __m256i mo = _mm256_set1_epi32(p->output_multiplier), ro = _mm256_set1_epi32(p->output_right_shift);
  const __m256i zero = _mm256_setzero_si256(), zp = _mm256_set1_epi32(p->output_zero_point);
  const __m256i lo = _mm256_set1_epi32(p->act_min), hi = _mm256_set1_epi32(p->act_max);
  const __m256i ls = _mm256_set1_epi32(p->left_shift);
  size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    const __m256i x1 = _mm256_sllv_epi32(_mm256_add_epi32(_mm256_cvtepi8_epi32(_mm_loadl_epi64((const __m128i *)(a + i))), o1), ls);
    const __m256i x2 = _mm256_sllv_epi32(_mm256_add_epi32(_mm256_cvtepi8_epi32(_mm_loadl_epi64((const __m128i *)(b + i))), o2), ls);
    const __m256i sum = _mm256_add_epi32(ew_requant_avx2(x1, m1, zero, r1), ew_requant_avx2(x2, m2, zero, r2));
    __m256i v = _mm256_add_epi32(ew_requant_avx2(sum, mo, zero, ro), zp);
    v = _mm256_min_epi32(_mm256_max_epi32(v, lo), hi);
    const __m256i w16 = _mm256_packs_epi32(v, v);
    const __m256i b8 = _mm256_packs_epi16(w16, w16);
    _mm_storel_epi64((__m128i *)(y + i), _mm_unpacklo_epi32(_mm256_castsi256_si128(b8), _mm256_extracti128_si256(b8, 1)));
  }
  ew_int8_add__generic(n - i, a + i, b + i, p, y + i);
}
#endif

// MARK: - Peak
#if EW_HAVE_X86

static double ew_now_s8(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

#define EW_PEAK8_ITERS (1u << 20)

EW_TARGET_VNNI static double ew_peak_vnni_once(void) {
  __m512i a0 = _mm512_set1_epi32(1), a1 = a0, a2 = a0, a3 = a0, a4 = a0, a5 = a0, a6 = a0, a7 = a0, a8 = a0, a9 = a0,
          a10 = a0, a11 = a0;
  const __m512i u = _mm512_set1_epi32(0x01010101), s = _mm512_set1_epi32(0x01FF01FF);
  const double t0 = ew_now_s8();
  for (unsigned it = 0; it < EW_PEAK8_ITERS; it++) {
    a0 = _mm512_dpbusd_epi32(a0, u, s); a1 = _mm512_dpbusd_epi32(a1, u, s); a2 = _mm512_dpbusd_epi32(a2, u, s);
    a3 = _mm512_dpbusd_epi32(a3, u, s); a4 = _mm512_dpbusd_epi32(a4, u, s); a5 = _mm512_dpbusd_epi32(a5, u, s);
    a6 = _mm512_dpbusd_epi32(a6, u, s); a7 = _mm512_dpbusd_epi32(a7, u, s); a8 = _mm512_dpbusd_epi32(a8, u, s);
    a9 = _mm512_dpbusd_epi32(a9, u, s); a10 = _mm512_dpbusd_epi32(a10, u, s); a11 = _mm512_dpbusd_epi32(a11, u, s);
    __asm__ volatile("" : "+v"(a0), "+v"(a1), "+v"(a2), "+v"(a3), "+v"(a4), "+v"(a5));
    __asm__ volatile("" : "+v"(a6), "+v"(a7), "+v"(a8), "+v"(a9), "+v"(a10), "+v"(a11));
  }
  const double t = ew_now_s8() - t0;
  __m512i sum = _mm512_add_epi32(_mm512_add_epi32(_mm512_add_epi32(a0, a1), _mm512_add_epi32(a2, a3)),
                                 _mm512_add_epi32(_mm512_add_epi32(a4, a5), _mm512_add_epi32(a6, a7)));
  sum = _mm512_add_epi32(sum, _mm512_add_epi32(_mm512_add_epi32(a8, a9), _mm512_add_epi32(a10, a11)));
  int32_t sink[16];
  _mm512_storeu_si512(sink, sum);
  ew_escape(sink);
  return (double)EW_PEAK8_ITERS * 12 * 64 * 2 / t * 1e-9;
}

EW_TARGET_AVX2 static double ew_peak_avx2_once(void) {
  __m256i a0 = _mm256_set1_epi32(1), a1 = a0, a2 = a0, a3 = a0, a4 = a0, a5 = a0, a6 = a0, a7 = a0, a8 = a0, a9 = a0,
          a10 = a0, a11 = a0;
  __m256i u = _mm256_set1_epi32(0x00010001), s = _mm256_set1_epi32(0x0001FFFF);
  const double t0 = ew_now_s8();
  for (unsigned it = 0; it < EW_PEAK8_ITERS; it++) {
    a0 = _mm256_add_epi32(a0, _mm256_madd_epi16(u, s)); a1 = _mm256_add_epi32(a1, _mm256_madd_epi16(u, s));
    a2 = _mm256_add_epi32(a2, _mm256_madd_epi16(u, s)); a3 = _mm256_add_epi32(a3, _mm256_madd_epi16(u, s));
    a4 = _mm256_add_epi32(a4, _mm256_madd_epi16(u, s)); a5 = _mm256_add_epi32(a5, _mm256_madd_epi16(u, s));
    a6 = _mm256_add_epi32(a6, _mm256_madd_epi16(u, s)); a7 = _mm256_add_epi32(a7, _mm256_madd_epi16(u, s));
    a8 = _mm256_add_epi32(a8, _mm256_madd_epi16(u, s)); a9 = _mm256_add_epi32(a9, _mm256_madd_epi16(u, s));
    a10 = _mm256_add_epi32(a10, _mm256_madd_epi16(u, s)); a11 = _mm256_add_epi32(a11, _mm256_madd_epi16(u, s));
    // Opaque: keeps the compiler from hoisting the loop-invariant vpmaddwd (a real kernel loads new operands).
    __asm__ volatile("" : "+v"(a0), "+v"(a1), "+v"(a2), "+v"(a3), "+v"(a4), "+v"(a5));
    __asm__ volatile("" : "+v"(a6), "+v"(a7), "+v"(a8), "+v"(a9), "+v"(a10), "+v"(a11));
    __asm__ volatile("" : "+v"(u), "+v"(s));
  }
  const double t = ew_now_s8() - t0;
  __m256i sum = _mm256_add_epi32(_mm256_add_epi32(_mm256_add_epi32(a0, a1), _mm256_add_epi32(a2, a3)),
                                 _mm256_add_epi32(_mm256_add_epi32(a4, a5), _mm256_add_epi32(a6, a7)));
  sum = _mm256_add_epi32(sum, _mm256_add_epi32(_mm256_add_epi32(a8, a9), _mm256_add_epi32(a10, a11)));
  int32_t sink[8];
  _mm256_storeu_si256((__m256i *)sink, sum);
  ew_escape(sink);
  return (double)EW_PEAK8_ITERS * 12 * 16 * 2 / t * 1e-9;
}
#endif

double ew_bench_peak_int8_gops(ew_int8_isa isa) {
  if (!ew_int8_isa_available(isa)) return 0;
  double best = 0;
  for (int run = 0; run < 7; run++) {
    double g = 0;
#if EW_HAVE_X86
    if (isa == EW_INT8_VNNI) g = ew_peak_vnni_once();
    else if (isa == EW_INT8_AVX2) g = ew_peak_avx2_once();
#endif
    if (g > best) best = g;
  }
  return best;
}
