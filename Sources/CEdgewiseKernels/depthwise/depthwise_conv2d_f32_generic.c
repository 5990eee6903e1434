// Depthwise convolution, fp32, portable C. NHWC input [N,H,W,C], weights [KH,KW,C*M], output [N,OH,OW,C*M];
// output channel c*M + m reads input channel c. Per output pixel the accumulators live in the output row, the
// channel loops are contiguous (vectorised by the compiler); the multiplier-1 case has its own loop.
#include "../ew_internal.h"

void ew_depthwise_conv2d_f32__generic(const ew_conv_params *p, const float *x, const float *w, const float *bias,
                                      float *y) {
  const int C = p->in_c, M = p->depth_multiplier, CM = C * M;
  for (int n = 0; n < p->batch; n++)
    for (int oy = 0; oy < p->out_h; oy++)
      for (int ox = 0; ox < p->out_w; ox++) {
        float *restrict out = y + (((size_t)n * p->out_h + oy) * p->out_w + ox) * CM;
        for (int c = 0; c < CM; c++) out[c] = bias ? bias[c] : 0.0f;
        for (int ky = 0; ky < p->k_h; ky++) {
          const int iy = oy * p->stride_h - p->pad_top + ky * p->dil_h;
          if (iy < 0 || iy >= p->in_h) continue;
          for (int kx = 0; kx < p->k_w; kx++) {
            const int ix = ox * p->stride_w - p->pad_left + kx * p->dil_w;
            if (ix < 0 || ix >= p->in_w) continue;
            const float *restrict in = x + (((size_t)n * p->in_h + iy) * p->in_w + ix) * C;
            const float *restrict wk = w + ((size_t)ky * p->k_w + kx) * CM;
            if (M == 1) {
              for (int c = 0; c < CM; c++) out[c] += in[c] * wk[c];
            } else {
              for (int c = 0; c < C; c++)
                for (int m = 0; m < M; m++) out[c * M + m] += in[c] * wk[c * M + m];
            }
          }
        }
        for (int c = 0; c < CM; c++) out[c] = ew_clampf(out[c], p->act_min, p->act_max);
      }
}
