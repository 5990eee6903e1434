// int8 kernels: CPU probe, weight packing, the portable GEMM and depthwise, im2col convolution and dispatch.
#include "int8_internal.h"
#include <stdlib.h>
#include <string.h>

// MARK: - Probe

static int ew_int8_probe(void) {
  const ew_isa base = ew_cpu_best_isa();  // already capped by EDGEWISE_MAX_ISA
  if (base == EW_ISA_GENERIC) return EW_INT8_GENERIC;
#if EW_HAVE_X86
  if (base == EW_ISA_AVX512 && __builtin_cpu_supports("avx512vnni")) return EW_INT8_VNNI;
  return EW_INT8_AVX2;
#else
  return EW_INT8_GENERIC;
#endif
}

ew_int8_isa ew_int8_best_isa(void) {
  static int cached = -1;  // accessed only through __atomic builtins
  int v = __atomic_load_n(&cached, __ATOMIC_ACQUIRE);
  if (v < 0) {
    v = ew_int8_probe();
    __atomic_store_n(&cached, v, __ATOMIC_RELEASE);
  }
  return (ew_int8_isa)v;
}

int ew_int8_isa_available(ew_int8_isa isa) { return (int)isa >= 0 && isa <= ew_int8_best_isa(); }

const char *ew_int8_isa_name(ew_int8_isa isa) {
  switch (isa) {
  case EW_INT8_GENERIC: return "generic";
  case EW_INT8_AVX2: return "avx2";
  case EW_INT8_VNNI: return "vnni";
  }
  return "?";
}

// MARK: - Packing

static size_t ew_round_up(size_t v, size_t m) { return (v + m - 1) / m * m; }

static size_t ew_int8_kpad(ew_int8_isa isa, size_t k) {
  return isa == EW_INT8_VNNI ? ew_round_up(k, 4) : isa == EW_INT8_AVX2 ? ew_round_up(k, 2) : k;
}

size_t ew_int8_gemm_packed_bytes(ew_int8_isa isa, size_t k, size_t n) {
  const size_t n_pad = ew_round_up(n ? n : 1, EW_INT8_NR), k_pad = ew_int8_kpad(isa, k);
  const size_t wbytes = isa == EW_INT8_AVX2 ? k_pad * n_pad * 2 : k_pad * n_pad;
  return sizeof(ew_int8_packed) + 4 * n_pad * sizeof(int32_t) + wbytes + 64;
}

void ew_int8_gemm_pack(ew_int8_isa isa, size_t k, size_t n, const int8_t *w, size_t ldw, const int32_t *bias,
                       int32_t input_zero_point, const int32_t *multiplier, const int32_t *shift, void *packed) {
  memset(packed, 0, ew_int8_gemm_packed_bytes(isa, k, n));
  ew_int8_packed *p = (ew_int8_packed *)packed;
  p->isa = (int32_t)isa;
  p->k = (int32_t)k;
  p->n = (int32_t)n;
  p->k_pad = (int32_t)ew_int8_kpad(isa, k);
  p->n_pad = (int32_t)ew_round_up(n ? n : 1, EW_INT8_NR);
  int32_t *b = (int32_t *)(p + 1), *mu = b + p->n_pad, *ls = b + 2 * p->n_pad, *rs = b + 3 * p->n_pad;
  const int32_t offset = input_zero_point + (isa == EW_INT8_VNNI ? 128 : 0);
  for (size_t j = 0; j < n; j++) {
    int32_t colsum = 0;
    for (size_t i = 0; i < k; i++) colsum += w[i * ldw + j];
    // Wrapping int32 arithmetic, as the reference accumulator wraps (real models never get near it).
    b[j] = (int32_t)((uint32_t)(bias ? bias[j] : 0) - (uint32_t)offset * (uint32_t)colsum);
    mu[j] = multiplier[j];
    ls[j] = shift[j] > 0 ? shift[j] : 0;
    rs[j] = shift[j] > 0 ? 0 : -shift[j];
  }
  const size_t n_pad = (size_t)p->n_pad;
  if (isa == EW_INT8_AVX2) {
    int16_t *dst = (int16_t *)(rs + n_pad);
    for (size_t i = 0; i < k; i++)
      for (size_t j = 0; j < n; j++) dst[((i / 2) * n_pad + j) * 2 + (i % 2)] = w[i * ldw + j];
  } else if (isa == EW_INT8_VNNI) {
    int8_t *dst = (int8_t *)(rs + n_pad);
    for (size_t i = 0; i < k; i++)
      for (size_t j = 0; j < n; j++) dst[((i / 4) * n_pad + j) * 4 + (i % 4)] = w[i * ldw + j];
  } else {
    int8_t *dst = (int8_t *)(rs + n_pad);
    for (size_t i = 0; i < k; i++)
      for (size_t j = 0; j < n; j++) dst[i * n_pad + j] = w[i * ldw + j];
  }
}

// MARK: - Portable GEMM

void ew_int8_gemm__generic(size_t m, const int8_t *a, size_t lda, const ew_int8_packed *p, int8_t *y, size_t ldy,
                           int32_t zp, int32_t lo, int32_t hi) {
  const size_t k = (size_t)p->k, n = (size_t)p->n, n_pad = (size_t)p->n_pad;
  const int8_t *w = (const int8_t *)ew_int8_weights(p);
  const int32_t *bias = ew_int8_bias(p), *mu = ew_int8_mult(p), *ls = ew_int8_lshift(p), *rs = ew_int8_rshift(p);
  enum { CHUNK = 64 };
  int32_t acc[CHUNK];
  for (size_t r = 0; r < m; r++) {
    const int8_t *ar = a + r * lda;
    for (size_t j0 = 0; j0 < n; j0 += CHUNK) {
      const size_t nb = n - j0 < CHUNK ? n - j0 : CHUNK;
      for (size_t j = 0; j < nb; j++) acc[j] = bias[j0 + j];
      for (size_t i = 0; i < k; i++) {
        const int32_t av = ar[i];
        const int8_t *wr = w + i * n_pad + j0;
        for (size_t j = 0; j < nb; j++) acc[j] += av * (int32_t)wr[j];
      }
      for (size_t j = 0; j < nb; j++)
        y[r * ldy + j0 + j] = ew_sat8(ew_requant(acc[j], mu[j0 + j], ls[j0 + j], rs[j0 + j]) + zp, lo, hi);
    }
  }
}

void ew_int8_gemm(ew_int8_isa isa, size_t m, const int8_t *a, size_t lda, const void *packed, int8_t *y, size_t ldy,
                  int32_t output_zero_point, int32_t act_min, int32_t act_max) {
  const ew_int8_packed *p = (const ew_int8_packed *)packed;
  switch ((ew_int8_isa)p->isa) {
#if EW_HAVE_X86
  case EW_INT8_VNNI: ew_int8_gemm__vnni(m, a, lda, p, y, ldy, output_zero_point, act_min, act_max); return;
  case EW_INT8_AVX2: ew_int8_gemm__avx2(m, a, lda, p, y, ldy, output_zero_point, act_min, act_max); return;
#endif
  default: ew_int8_gemm__generic(m, a, lda, p, y, ldy, output_zero_point, act_min, act_max); return;
  }
  (void)isa;
}

// MARK: - Convolution (im2col + GEMM)

static int ew_int8_conv_is_pointwise(const ew_int8_conv_params *p) {
  return p->k_h == 1 && p->k_w == 1 && p->stride_h == 1 && p->stride_w == 1 && p->pad_top == 0 && p->pad_left == 0 &&
         p->out_h == p->in_h && p->out_w == p->in_w;
}

size_t ew_int8_conv2d_scratch_bytes(const ew_int8_conv_params *p) {
  if (ew_int8_conv_is_pointwise(p)) return 0;
  return (size_t)p->out_h * p->out_w * p->k_h * p->k_w * p->in_c + 64;
}

void ew_int8_conv2d(ew_int8_isa isa, const ew_int8_conv_params *p, const int8_t *x, const void *packed, int8_t *y,
                    void *scratch) {
  const size_t oc = (size_t)p->out_c;
  if (ew_int8_conv_is_pointwise(p)) {
    ew_int8_gemm(isa, (size_t)p->batch * p->in_h * p->in_w, x, (size_t)p->in_c, packed, y, oc, p->output_zero_point,
                 p->act_min, p->act_max);
    return;
  }
  const size_t kk = (size_t)p->k_h * p->k_w * p->in_c, ci = (size_t)p->in_c;
  const int8_t zp = (int8_t)p->input_zero_point;
  int8_t *col = (int8_t *)scratch;
  for (int b = 0; b < p->batch; b++) {
    const int8_t *xb = x + (size_t)b * p->in_h * p->in_w * ci;
    int8_t *row = col;
    for (int oy = 0; oy < p->out_h; oy++)
      for (int ox = 0; ox < p->out_w; ox++) {
        for (int ky = 0; ky < p->k_h; ky++) {
          const int iy = oy * p->stride_h - p->pad_top + ky * p->dil_h;
          int8_t *dst = row + (size_t)ky * p->k_w * ci;
          if (iy < 0 || iy >= p->in_h) {
            memset(dst, zp, (size_t)p->k_w * ci);
            continue;
          }
          const int ix0 = ox * p->stride_w - p->pad_left;
          if (p->dil_w == 1) {
            // The in-bounds taps of this window row are contiguous in x: one copy, zero-point fill around it.
            const int kx0 = ix0 < 0 ? -ix0 : 0;
            const int kx1 = p->k_w < p->in_w - ix0 ? p->k_w : p->in_w - ix0;
            if (kx1 <= kx0) {
              memset(dst, zp, (size_t)p->k_w * ci);
              continue;
            }
            if (kx0 > 0) memset(dst, zp, (size_t)kx0 * ci);
            memcpy(dst + (size_t)kx0 * ci, xb + ((size_t)iy * p->in_w + ix0 + kx0) * ci, (size_t)(kx1 - kx0) * ci);
            if (kx1 < p->k_w) memset(dst + (size_t)kx1 * ci, zp, (size_t)(p->k_w - kx1) * ci);
            continue;
          }
          for (int kx = 0; kx < p->k_w; kx++) {
            const int ix = ix0 + kx * p->dil_w;
            if (ix < 0 || ix >= p->in_w) memset(dst + (size_t)kx * ci, zp, ci);
            else memcpy(dst + (size_t)kx * ci, xb + ((size_t)iy * p->in_w + ix) * ci, ci);
          }
        }
        row += kk;
      }
    ew_int8_gemm(isa, (size_t)p->out_h * p->out_w, col, kk, packed, y + (size_t)b * p->out_h * p->out_w * oc, oc,
                 p->output_zero_point, p->act_min, p->act_max);
  }
}

// MARK: - Depthwise

size_t ew_int8_depthwise_packed_bytes(size_t channels, size_t kh, size_t kw) {
  const size_t c_pad = ew_round_up(channels ? channels : 1, 16);
  return sizeof(ew_int8_dw_packed) + 4 * c_pad * sizeof(int32_t) + kh * kw * c_pad * sizeof(int16_t) + 64;
}

void ew_int8_depthwise_pack(size_t channels, size_t kh, size_t kw, const int8_t *w, const int32_t *bias,
                            const int32_t *multiplier, const int32_t *shift, void *packed) {
  memset(packed, 0, ew_int8_depthwise_packed_bytes(channels, kh, kw));
  ew_int8_dw_packed *p = (ew_int8_dw_packed *)packed;
  p->channels = (int32_t)channels;
  p->c_pad = (int32_t)ew_round_up(channels ? channels : 1, 16);
  p->kh = (int32_t)kh;
  p->kw = (int32_t)kw;
  int32_t *b = (int32_t *)(p + 1), *mu = b + p->c_pad, *ls = b + 2 * p->c_pad, *rs = b + 3 * p->c_pad;
  int16_t *wd = (int16_t *)(b + 4 * p->c_pad);
  for (size_t c = 0; c < channels; c++) {
    b[c] = bias ? bias[c] : 0;
    mu[c] = multiplier[c];
    ls[c] = shift[c] > 0 ? shift[c] : 0;
    rs[c] = shift[c] > 0 ? 0 : -shift[c];
  }
  for (size_t t = 0; t < kh * kw; t++)
    for (size_t c = 0; c < channels; c++) wd[t * (size_t)p->c_pad + c] = w[t * channels + c];
}

/// One output pixel's channels [c0, c1) (any depth multiplier), portable C.
static void ew_int8_dw_pixel_generic(const ew_int8_conv_params *q, const int8_t *xb, const ew_int8_dw_packed *p,
                                     int oy, int ox, int c0, int c1, int8_t *yp) {
  const int32_t *bias = ew_int8_dw_bias(p), *mu = bias + p->c_pad, *ls = bias + 2 * p->c_pad, *rs = bias + 3 * p->c_pad;
  const int16_t *w = ew_int8_dw_weights(p);
  const int mult = q->depth_multiplier;
  for (int c = c0; c < c1; c++) {
    const int ic = c / mult;
    int32_t acc = bias[c];
    for (int ky = 0; ky < q->k_h; ky++) {
      const int iy = oy * q->stride_h - q->pad_top + ky * q->dil_h;
      if (iy < 0 || iy >= q->in_h) continue;
      for (int kx = 0; kx < q->k_w; kx++) {
        const int ix = ox * q->stride_w - q->pad_left + kx * q->dil_w;
        if (ix < 0 || ix >= q->in_w) continue;
        const int32_t xv = xb[((size_t)iy * q->in_w + ix) * q->in_c + ic];
        acc += (xv - q->input_zero_point) * (int32_t)w[(size_t)(ky * q->k_w + kx) * p->c_pad + c];
      }
    }
    yp[c] = ew_sat8(ew_requant(acc, mu[c], ls[c], rs[c]) + q->output_zero_point, q->act_min, q->act_max);
  }
}

void ew_int8_depthwise__generic(const ew_int8_conv_params *q, const int8_t *x, const ew_int8_dw_packed *p, int8_t *y) {
  const size_t oc = (size_t)q->out_c;
  for (int b = 0; b < q->batch; b++) {
    const int8_t *xb = x + (size_t)b * q->in_h * q->in_w * q->in_c;
    for (int oy = 0; oy < q->out_h; oy++)
      for (int ox = 0; ox < q->out_w; ox++)
        ew_int8_dw_pixel_generic(q, xb, p, oy, ox, 0, (int)oc, y + (((size_t)b * q->out_h + oy) * q->out_w + ox) * oc);
  }
}

/// Exposed to the x86 variants for channel tails and depth multipliers > 1.
void ew_int8_dw_pixel_tail(const ew_int8_conv_params *q, const int8_t *xb, const ew_int8_dw_packed *p, int oy, int ox,
                           int c0, int c1, int8_t *yp);
void ew_int8_dw_pixel_tail(const ew_int8_conv_params *q, const int8_t *xb, const ew_int8_dw_packed *p, int oy, int ox,
                           int c0, int c1, int8_t *yp) {
  ew_int8_dw_pixel_generic(q, xb, p, oy, ox, c0, c1, yp);
}

void ew_int8_depthwise_conv2d(ew_int8_isa isa, const ew_int8_conv_params *p, const int8_t *x, const void *packed,
                              int8_t *y) {
  const ew_int8_dw_packed *d = (const ew_int8_dw_packed *)packed;
  if (!ew_int8_isa_available(isa)) isa = EW_INT8_GENERIC;
  switch (isa) {
#if EW_HAVE_X86
  case EW_INT8_VNNI: ew_int8_depthwise__avx512(p, x, d, y); return;
  case EW_INT8_AVX2: ew_int8_depthwise__avx2(p, x, d, y); return;
#endif
  default: ew_int8_depthwise__generic(p, x, d, y); return;
  }
}

// MARK: - Average pooling

void ew_int8_average_pool(const ew_int8_conv_params *q, const int8_t *x, int8_t *y) {
  const int C = q->in_c;
  enum { CHUNK = 256 };
  int32_t acc[CHUNK];
  for (int b = 0; b < q->batch; b++) {
    const int8_t *xb = x + (size_t)b * q->in_h * q->in_w * C;
    for (int oy = 0; oy < q->out_h; oy++)
      for (int ox = 0; ox < q->out_w; ox++) {
        const int iy0 = oy * q->stride_h - q->pad_top, ix0 = ox * q->stride_w - q->pad_left;
        const int ky0 = iy0 < 0 ? -iy0 : 0, ky1 = q->k_h < q->in_h - iy0 ? q->k_h : q->in_h - iy0;
        const int kx0 = ix0 < 0 ? -ix0 : 0, kx1 = q->k_w < q->in_w - ix0 ? q->k_w : q->in_w - ix0;
        const int32_t count = (ky1 > ky0 && kx1 > kx0) ? (ky1 - ky0) * (kx1 - kx0) : 0;
        int8_t *yp = y + (((size_t)b * q->out_h + oy) * q->out_w + ox) * C;
        for (int c0 = 0; c0 < C; c0 += CHUNK) {
          const int nc = C - c0 < CHUNK ? C - c0 : CHUNK;
          for (int c = 0; c < nc; c++) acc[c] = 0;
          for (int ky = ky0; ky < ky1; ky++)
            for (int kx = kx0; kx < kx1; kx++) {
              const int8_t *src = xb + ((size_t)(iy0 + ky) * q->in_w + ix0 + kx) * C + c0;
              for (int c = 0; c < nc; c++) acc[c] += src[c];
            }
          for (int c = 0; c < nc; c++) {
            int32_t v = acc[c];
            if (count > 0) v = v > 0 ? (v + count / 2) / count : (v - count / 2) / count;
            yp[c0 + c] = ew_sat8(v, q->act_min, q->act_max);
          }
        }
      }
  }
}

// MARK: - ADD

void ew_int8_add__generic(size_t n, const int8_t *a, const int8_t *b, const ew_int8_add_params *p, int8_t *y) {
  for (size_t i = 0; i < n; i++) {
    const int32_t v1 = (int32_t)((uint32_t)(p->input1_offset + a[i]) << p->left_shift);
    const int32_t v2 = (int32_t)((uint32_t)(p->input2_offset + b[i]) << p->left_shift);
    const int32_t s1 = ew_rdbpot(ew_srdhm(v1, p->input1_multiplier), p->input1_right_shift);
    const int32_t s2 = ew_rdbpot(ew_srdhm(v2, p->input2_multiplier), p->input2_right_shift);
    const int32_t out = ew_rdbpot(ew_srdhm(s1 + s2, p->output_multiplier), p->output_right_shift) + p->output_zero_point;
    y[i] = ew_sat8(out, p->act_min, p->act_max);
  }
}

void ew_int8_add(ew_int8_isa isa, size_t n, const int8_t *a, const int8_t *b, const ew_int8_add_params *p, int8_t *y) {
  if (!ew_int8_isa_available(isa)) isa = EW_INT8_GENERIC;
  switch (isa) {
#if EW_HAVE_X86
  case EW_INT8_VNNI: ew_int8_add__avx512(n, a, b, p, y); return;
  case EW_INT8_AVX2: ew_int8_add__avx2(n, a, b, p, y); return;
#endif
  default: ew_int8_add__generic(n, a, b, p, y); return;
  }
}
