// Convolution, fp32, NHWC activations, HWIO weights [KH,KW,Cin,Cout].
//
// im2col + the table's GEMM: the im2col matrix A is [OH*OW, KH*KW*Cin] (one row per output pixel, in the order of
// the weights' first three axes), so B is the weight tensor itself read in place ([KH*KW*Cin, Cout], ldb = Cout) and
// C is the output image ([OH*OW, Cout]). The scratch holds A for one image and is reused across the batch.
// Fast path: a 1x1, stride-1, unpadded convolution whose output grid equals its input grid is one plain GEMM over
// all batch*H*W pixels, with no scratch.
#include "../ew_internal.h"
#include <string.h>

static int ew_conv_is_pointwise(const ew_conv_params *p) {
  return p->k_h == 1 && p->k_w == 1 && p->stride_h == 1 && p->stride_w == 1 && p->pad_top == 0 &&
         p->pad_left == 0 && p->out_h == p->in_h && p->out_w == p->in_w;
}

// im2col copies many short runs (k_w*Cin floats, often 1..16: the first layer of a keyword-spotting model has
// Cin = 1), where a libc call or a vectorised loop's set-up costs more than the run itself. Runs under 16 floats are
// copied with at most two overlapping fixed-size moves (no loop, no call); longer runs go to memcpy/memset.
static inline void ew_copy_f32(float *restrict dst, const float *restrict src, size_t n) {
  if (n >= 16) memcpy(dst, src, n * sizeof(float));
  else if (n >= 8) { __builtin_memcpy(dst, src, 32); __builtin_memcpy(dst + n - 8, src + n - 8, 32); }
  else if (n >= 4) { __builtin_memcpy(dst, src, 16); __builtin_memcpy(dst + n - 4, src + n - 4, 16); }
  else if (n >= 2) { __builtin_memcpy(dst, src, 8); __builtin_memcpy(dst + n - 2, src + n - 2, 8); }
  else if (n) *dst = *src;
}

static inline void ew_zero_f32(float *dst, size_t n) {
  if (n >= 16) memset(dst, 0, n * sizeof(float));
  else if (n >= 8) { __builtin_memset(dst, 0, 32); __builtin_memset(dst + n - 8, 0, 32); }
  else if (n >= 4) { __builtin_memset(dst, 0, 16); __builtin_memset(dst + n - 4, 0, 16); }
  else if (n >= 2) { __builtin_memset(dst, 0, 8); __builtin_memset(dst + n - 2, 0, 8); }
  else if (n) *dst = 0.0f;
}

/// Rows and columns of the (zero-padded) input the windows reach: the padded image is PH x PW.
static inline size_t ew_conv_reach(int out, int stride, int k, int dil) {
  return (size_t)(out - 1) * stride + (size_t)(k - 1) * dil + 1;
}

/// Whether some window reaches outside the input (then im2col first builds a zero-padded copy of the image).
static int ew_conv_needs_pad(const ew_conv_params *p) {
  return p->pad_top > 0 || p->pad_left > 0 ||
         (size_t)p->pad_top + p->in_h < ew_conv_reach(p->out_h, p->stride_h, p->k_h, p->dil_h) ||
         (size_t)p->pad_left + p->in_w < ew_conv_reach(p->out_w, p->stride_w, p->k_w, p->dil_w);
}

static size_t ew_conv_col_floats(const ew_conv_params *p) {
  return (size_t)p->out_h * p->out_w * p->k_h * p->k_w * p->in_c;
}

size_t ew_conv2d_f32_scratch_bytes(const ew_conv_params *p) {
  if (ew_conv_is_pointwise(p) || p->out_h <= 0 || p->out_w <= 0) return 0;
  size_t floats = ew_conv_col_floats(p);
  if (ew_conv_needs_pad(p))
    floats += ew_conv_reach(p->out_h, p->stride_h, p->k_h, p->dil_h) *
              ew_conv_reach(p->out_w, p->stride_w, p->k_w, p->dil_w) * p->in_c;
  return floats * sizeof(float);
}

/// Copies the image into a PH x PW zero-padded buffer (only the part the windows reach; row stride PW*Cin).
static void ew_pad_image(const ew_conv_params *p, const float *x, float *dst, size_t ph, size_t pw) {
  const size_t cin = (size_t)p->in_c;
  for (size_t py = 0; py < ph; py++) {
    float *d = dst + py * pw * cin;
    const long iy = (long)py - p->pad_top;
    if (iy < 0 || iy >= p->in_h) { ew_zero_f32(d, pw * cin); continue; }
    // columns [0, pad_left) zero, then the input row (clipped to pw), then zero
    size_t lead = (size_t)p->pad_left < pw ? (size_t)p->pad_left : pw;
    size_t body = (size_t)p->in_w < pw - lead ? (size_t)p->in_w : pw - lead;
    ew_zero_f32(d, lead * cin);
    ew_copy_f32(d + lead * cin, x + (size_t)iy * p->in_w * cin, body * cin);
    ew_zero_f32(d + (lead + body) * cin, (pw - lead - body) * cin);
  }
}

/// im2col of one image whose windows all lie inside `src` (row stride `rs` floats), columns not dilated: every window
/// row is one contiguous run of KWC = k_w * Cin floats. KWC is a compile-time constant in the specialised copies (one
/// fixed-size move per run), or 0 for the run-time length. Kept free of other branches so the loop stays in registers.
EW_INLINE void ew_im2col_f32_dense_t(const size_t KWC, const ew_conv_params *p, const float *src, size_t rs,
                                     float *dst) {
  const size_t kwc = KWC ? KWC : (size_t)p->k_w * p->in_c;
  const size_t srow = (size_t)p->dil_h * rs, sy = (size_t)p->stride_h * rs, sx = (size_t)p->stride_w * p->in_c;
  const int out_h = p->out_h, out_w = p->out_w, k_h = p->k_h;
  for (int oy = 0; oy < out_h; oy++) {
    const float *so = src + (size_t)oy * sy;
    for (int ox = 0; ox < out_w; ox++, so += sx) {
      const float *s = so;
      for (int ky = 0; ky < k_h; ky++, s += srow, dst += kwc) {
        if (KWC) __builtin_memcpy(dst, s, KWC * sizeof(float));
        else ew_copy_f32(dst, s, kwc);
      }
    }
  }
}

/// im2col with dilated columns: one run of Cin floats per tap.
static void ew_im2col_f32_dilated(const ew_conv_params *p, const float *src, size_t rs, float *dst) {
  const size_t cin = (size_t)p->in_c;
  const size_t srow = (size_t)p->dil_h * rs, sy = (size_t)p->stride_h * rs, sx = (size_t)p->stride_w * cin;
  const size_t kx_step = (size_t)p->dil_w * cin;
  for (int oy = 0; oy < p->out_h; oy++)
    for (int ox = 0; ox < p->out_w; ox++) {
      const float *s = src + (size_t)oy * sy + (size_t)ox * sx;
      for (int ky = 0; ky < p->k_h; ky++, s += srow)
        for (int kx = 0; kx < p->k_w; kx++, dst += cin) ew_copy_f32(dst, s + (size_t)kx * kx_step, cin);
    }
}

#define EW_IM2COL_CASE(n)                                                                                            \
  case n: ew_im2col_f32_dense_t(n, p, src, rs, col); break;

static void ew_im2col_f32(const ew_conv_params *p, const float *src, size_t rs, float *col) {
  if (p->dil_w != 1) {
    ew_im2col_f32_dilated(p, src, rs, col);
    return;
  }
  switch ((size_t)p->k_w * p->in_c) {
    EW_IM2COL_CASE(1) EW_IM2COL_CASE(2) EW_IM2COL_CASE(3) EW_IM2COL_CASE(4) EW_IM2COL_CASE(5) EW_IM2COL_CASE(6)
    EW_IM2COL_CASE(7) EW_IM2COL_CASE(8) EW_IM2COL_CASE(9) EW_IM2COL_CASE(10) EW_IM2COL_CASE(12)
    EW_IM2COL_CASE(16)
  default: ew_im2col_f32_dense_t(0, p, src, rs, col); break;
  }
}

static void ew_conv2d_f32_impl(const ew_conv_params *p, const float *x, const float *w, const float *bias, float *y,
                               void *scratch, ew_gemm_f32_fn gemm) {
  const size_t pixels = (size_t)p->out_h * p->out_w, kdim = (size_t)p->k_h * p->k_w * p->in_c;
  const size_t cout = (size_t)p->out_c;
  if (p->batch <= 0 || p->out_h <= 0 || p->out_w <= 0 || cout == 0) return;
  if (ew_conv_is_pointwise(p)) {
    gemm((size_t)p->batch * pixels, cout, kdim, x, kdim, w, cout, bias, y, cout, p->act_min, p->act_max);
    return;
  }
  float *col = (float *)scratch;
  const int pad = ew_conv_needs_pad(p);
  const size_t ph = ew_conv_reach(p->out_h, p->stride_h, p->k_h, p->dil_h);
  const size_t pw = ew_conv_reach(p->out_w, p->stride_w, p->k_w, p->dil_w);
  float *padded = col + ew_conv_col_floats(p);
  for (int n = 0; n < p->batch; n++) {
    const float *xn = x + (size_t)n * p->in_h * p->in_w * p->in_c;
    if (pad) {
      ew_pad_image(p, xn, padded, ph, pw);
      ew_im2col_f32(p, padded, pw * p->in_c, col);
    } else {
      ew_im2col_f32(p, xn, (size_t)p->in_w * p->in_c, col);
    }
    gemm(pixels, cout, kdim, col, kdim, w, cout, bias, y + (size_t)n * pixels * cout, cout, p->act_min, p->act_max);
  }
}

void ew_conv2d_f32__generic(const ew_conv_params *p, const float *x, const float *w, const float *bias, float *y,
                            void *scratch) {
  ew_conv2d_f32_impl(p, x, w, bias, y, scratch, ew_gemm_f32__generic);
}

#if EW_HAVE_X86
void ew_conv2d_f32__avx2(const ew_conv_params *p, const float *x, const float *w, const float *bias, float *y,
                         void *scratch) {
  ew_conv2d_f32_impl(p, x, w, bias, y, scratch, ew_gemm_f32__avx2);
}

void ew_conv2d_f32__avx512(const ew_conv_params *p, const float *x, const float *w, const float *bias, float *y,
                           void *scratch) {
  ew_conv2d_f32_impl(p, x, w, bias, y, scratch, ew_gemm_f32__avx512);
}
#endif
