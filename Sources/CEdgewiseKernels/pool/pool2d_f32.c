// Max and average pooling over NHWC, channels innermost: each output pixel accumulates whole channel rows of
// its window, so the inner loop is contiguous and the compiler vectorises it for each variant's target (plain
// C, AVX2, AVX-512: one body, three instantiations). Average divides by the number of in-bounds elements.
#include "../ew_internal.h"
#include <math.h>

#define EW_POOL_BODY                                                                                              \
  const int C = p->in_c;                                                                                          \
  for (int n = 0; n < p->batch; n++) {                                                                            \
    const float *xn = x + (size_t)n * p->in_h * p->in_w * C;                                                      \
    float *yn = y + (size_t)n * p->out_h * p->out_w * C;                                                          \
    for (int oy = 0; oy < p->out_h; oy++) {                                                                       \
      int y0 = oy * p->stride_h - p->pad_top, y1 = y0 + p->k_h;                                                   \
      if (y0 < 0) y0 = 0;                                                                                         \
      if (y1 > p->in_h) y1 = p->in_h;                                                                             \
      for (int ox = 0; ox < p->out_w; ox++) {                                                                     \
        int x0 = ox * p->stride_w - p->pad_left, x1 = x0 + p->k_w;                                                \
        if (x0 < 0) x0 = 0;                                                                                       \
        if (x1 > p->in_w) x1 = p->in_w;                                                                           \
        float *restrict out = yn + ((size_t)oy * p->out_w + ox) * C;                                              \
        const float init = is_max ? -INFINITY : 0.0f;                                                             \
        for (int c = 0; c < C; c++) out[c] = init;                                                                \
        for (int iy = y0; iy < y1; iy++)                                                                          \
          for (int ix = x0; ix < x1; ix++) {                                                                      \
            const float *restrict row = xn + ((size_t)iy * p->in_w + ix) * C;                                     \
            if (is_max) { for (int c = 0; c < C; c++) out[c] = ew_max_nan(out[c], row[c]); }                        \
            else { for (int c = 0; c < C; c++) out[c] += row[c]; }                                                \
          }                                                                                                       \
        if (!is_max) {                                                                                            \
          const int count = (y1 > y0 ? y1 - y0 : 0) * (x1 > x0 ? x1 - x0 : 0);                                    \
          const float inv = count > 0 ? 1.0f / (float)count : 0.0f;                                              \
          for (int c = 0; c < C; c++) out[c] *= inv;                                                              \
        }                                                                                                         \
      }                                                                                                           \
    }                                                                                                             \
  }

void ew_pool2d_f32__generic(const ew_conv_params *p, const float *x, float *y, int is_max) { EW_POOL_BODY }

#if EW_HAVE_X86
EW_TARGET_AVX2 void ew_pool2d_f32__avx2(const ew_conv_params *p, const float *x, float *y, int is_max) { EW_POOL_BODY }
EW_TARGET_AVX512 void ew_pool2d_f32__avx512(const ew_conv_params *p, const float *x, float *y, int is_max) {
  EW_POOL_BODY
}
#endif
