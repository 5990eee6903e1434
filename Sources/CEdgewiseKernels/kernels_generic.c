// Portable C variants (placeholder-simple; the optimised families replace the hot paths).
#include "edgewise_kernels.h"
#include <math.h>
#include <string.h>

static inline float clampf(float v, float lo, float hi) { return v < lo ? lo : (v > hi ? hi : v); }

static void gemm_f32__generic(size_t m, size_t n, size_t k, const float *a, size_t lda, const float *b, size_t ldb,
                              const float *bias, float *c, size_t ldc, float lo, float hi) {
  for (size_t i = 0; i < m; i++) {
    float *ci = c + i * ldc;
    for (size_t j = 0; j < n; j++) ci[j] = bias ? bias[j] : 0.0f;
    for (size_t p = 0; p < k; p++) {
      const float av = a[i * lda + p];
      const float *bp = b + p * ldb;
      for (size_t j = 0; j < n; j++) ci[j] += av * bp[j];
    }
    for (size_t j = 0; j < n; j++) ci[j] = clampf(ci[j], lo, hi);
  }
}

size_t ew_conv2d_f32_scratch_bytes(const ew_conv_params *p) {
  if (p->k_h == 1 && p->k_w == 1 && p->stride_h == 1 && p->stride_w == 1 && p->pad_top == 0 && p->pad_left == 0)
    return 0;
  return (size_t)p->out_h * p->out_w * p->k_h * p->k_w * p->in_c * sizeof(float);
}

static void im2col(const ew_conv_params *p, const float *x, float *col) {
  const size_t kdim = (size_t)p->k_h * p->k_w * p->in_c;
  for (int oy = 0; oy < p->out_h; oy++)
    for (int ox = 0; ox < p->out_w; ox++) {
      float *row = col + ((size_t)oy * p->out_w + ox) * kdim;
      for (int ky = 0; ky < p->k_h; ky++) {
        const int iy = oy * p->stride_h - p->pad_top + ky * p->dil_h;
        for (int kx = 0; kx < p->k_w; kx++) {
          const int ix = ox * p->stride_w - p->pad_left + kx * p->dil_w;
          float *dst = row + ((size_t)ky * p->k_w + kx) * p->in_c;
          if (iy < 0 || iy >= p->in_h || ix < 0 || ix >= p->in_w) memset(dst, 0, sizeof(float) * p->in_c);
          else memcpy(dst, x + ((size_t)iy * p->in_w + ix) * p->in_c, sizeof(float) * p->in_c);
        }
      }
    }
}

static void conv2d_f32__generic(const ew_conv_params *p, const float *x, const float *w, const float *bias, float *y,
                                void *scratch) {
  const size_t pixels = (size_t)p->out_h * p->out_w, kdim = (size_t)p->k_h * p->k_w * p->in_c;
  for (int n = 0; n < p->batch; n++) {
    const float *xn = x + (size_t)n * p->in_h * p->in_w * p->in_c;
    float *yn = y + (size_t)n * pixels * p->out_c;
    const float *a = xn;
    if (ew_conv2d_f32_scratch_bytes(p)) { im2col(p, xn, (float *)scratch); a = (const float *)scratch; }
    gemm_f32__generic(pixels, p->out_c, kdim, a, kdim, w, p->out_c, bias, yn, p->out_c, p->act_min, p->act_max);
  }
}

static void depthwise_conv2d_f32__generic(const ew_conv_params *p, const float *x, const float *w, const float *bias,
                                          float *y) {
  const int cm = p->in_c * p->depth_multiplier;
  for (int n = 0; n < p->batch; n++)
    for (int oy = 0; oy < p->out_h; oy++)
      for (int ox = 0; ox < p->out_w; ox++) {
        float *out = y + (((size_t)n * p->out_h + oy) * p->out_w + ox) * cm;
        for (int c = 0; c < cm; c++) out[c] = bias ? bias[c] : 0.0f;
        for (int ky = 0; ky < p->k_h; ky++) {
          const int iy = oy * p->stride_h - p->pad_top + ky * p->dil_h;
          if (iy < 0 || iy >= p->in_h) continue;
          for (int kx = 0; kx < p->k_w; kx++) {
            const int ix = ox * p->stride_w - p->pad_left + kx * p->dil_w;
            if (ix < 0 || ix >= p->in_w) continue;
            const float *in = x + (((size_t)n * p->in_h + iy) * p->in_w + ix) * p->in_c;
            const float *wk = w + ((size_t)ky * p->k_w + kx) * cm;
            for (int c = 0; c < cm; c++) out[c] += in[c / p->depth_multiplier] * wk[c];
          }
        }
        for (int c = 0; c < cm; c++) out[c] = clampf(out[c], p->act_min, p->act_max);
      }
}

static const ew_kernel_table generic_table = {
    EW_ISA_GENERIC, "generic", gemm_f32__generic, conv2d_f32__generic, depthwise_conv2d_f32__generic};

ew_isa ew_cpu_best_isa(void) { return EW_ISA_GENERIC; }

const ew_kernel_table *ew_kernel_table_for(ew_isa isa) { return isa == EW_ISA_GENERIC ? &generic_table : NULL; }

void ew_escape(void *p) { __asm__ volatile("" : : "r"(p) : "memory"); }
