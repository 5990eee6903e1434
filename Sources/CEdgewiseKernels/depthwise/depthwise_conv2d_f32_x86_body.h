// Depthwise convolution body shared by the AVX2 and AVX-512 files (a template: included once by each, with the
// vector macros defined; not a header of declarations).
// NHWC, vectorised across channels: one vector of VW output channels at a time, the accumulator stays in a register
// across all taps. Loop order: image, output row, channel block, output column; the block's bias (and, for 3x3
// kernels, its 9 weight vectors) are loaded once per (row, block) and held in registers across the row. Interior
// pixels of a 3x3 kernel run 9 unconditional FMAs; border pixels (padding) visit only the valid taps. Channel tails
// use masked loads/stores. Depth multiplier M > 1: output channel o reads input channel o/M, done with one masked
// load from channel (block start)/M and a lane permute.
//
// Required macros: DW_NAME, DW_TARGET, DW_V (vector type), DW_VW (lanes), DW_MASK (mask type), DW_MASK_N(n),
// DW_MASK_ALL, DW_LOAD(p), DW_LOADM(p, m), DW_STOREM(p, m, v), DW_STORE(p, v), DW_FMA(a, b, c), DW_SET1(f),
// DW_MAX, DW_MIN, DW_ZERO(), DW_IDX (index vector type), DW_LOAD_IDX(int32 *), DW_PERMUTE(v, idx).

/// Valid tap range [lo, hi) of a window starting at input index i0 (dilation d, kernel k, input extent n).
EW_INLINE void DW_CAT(DW_NAME, _range)(int i0, int d, int k, int n, int *lo, int *hi) {
  int l = i0 < 0 ? (-i0 + d - 1) / d : 0;
  int h = n - i0 <= 0 ? 0 : (n - i0 + d - 1) / d;
  if (h > k) h = k;
  if (l > h) l = h;
  *lo = l;
  *hi = h;
}

/// One output row for one channel block. MULT1: depth multiplier 1. MASKED: partial channel block. K33: 3x3 kernel.
DW_TARGET EW_INLINE void DW_CAT(DW_NAME, _row)(const int MULT1, const int MASKED, const int K33,
                                               const ew_conv_params *p, const float *xn, const float *w, float *yrow,
                                               int cb, int iy0, int ky_lo, int ky_hi, DW_MASK mo, DW_MASK mi,
                                               DW_IDX idx, DW_V bv, DW_V lo, DW_V hi) {
  const int C = p->in_c, CM = C * p->depth_multiplier, KW = p->k_w;
  const int sw = p->stride_w, dw = p->dil_w, dh = p->dil_h, in_w = p->in_w;
  const size_t rs = (size_t)in_w * C;               // input row stride
  const int cin0 = MULT1 ? cb : cb / p->depth_multiplier; // first input channel read by this block
  const float *xc = xn + cin0;
#define DW_IN(ptr) (MULT1 ? (MASKED ? DW_LOADM(ptr, mi) : DW_LOAD(ptr)) : DW_PERMUTE(DW_LOADM(ptr, mi), idx))
#define DW_W(off) (MASKED ? DW_LOADM(w + (size_t)(off) * CM + cb, mo) : DW_LOAD(w + (size_t)(off) * CM + cb))
  DW_V w0 = DW_ZERO(), w1 = w0, w2 = w0, w3 = w0, w4 = w0, w5 = w0, w6 = w0, w7 = w0, w8 = w0;
  if (K33) {
    w0 = DW_W(0); w1 = DW_W(1); w2 = DW_W(2); w3 = DW_W(3); w4 = DW_W(4);
    w5 = DW_W(5); w6 = DW_W(6); w7 = DW_W(7); w8 = DW_W(8);
  }
  const int full_rows = K33 && ky_lo == 0 && ky_hi == 3;
  for (int ox = 0; ox < p->out_w; ox++) {
    const int ix0 = ox * sw - p->pad_left;
    int kx_lo, kx_hi;
    DW_CAT(DW_NAME, _range)(ix0, dw, KW, in_w, &kx_lo, &kx_hi);
    DW_V acc = bv;
    if (K33 && full_rows && kx_lo == 0 && kx_hi == 3) {
      const float *r0 = xc + (size_t)iy0 * rs + (size_t)ix0 * C;
      const float *r1 = r0 + (size_t)dh * rs, *r2 = r1 + (size_t)dh * rs;
      const size_t d1 = (size_t)dw * C, d2 = 2 * d1;
      DW_V acc2 = DW_ZERO();
      acc = DW_FMA(DW_IN(r0), w0, acc);
      acc2 = DW_FMA(DW_IN(r0 + d1), w1, acc2);
      acc = DW_FMA(DW_IN(r0 + d2), w2, acc);
      acc2 = DW_FMA(DW_IN(r1), w3, acc2);
      acc = DW_FMA(DW_IN(r1 + d1), w4, acc);
      acc2 = DW_FMA(DW_IN(r1 + d2), w5, acc2);
      acc = DW_FMA(DW_IN(r2), w6, acc);
      acc2 = DW_FMA(DW_IN(r2 + d1), w7, acc2);
      acc = DW_FMA(DW_IN(r2 + d2), w8, acc);
      acc = DW_ADD(acc, acc2);
    } else {
      for (int ky = ky_lo; ky < ky_hi; ky++) {
        const float *r = xc + (size_t)(iy0 + ky * dh) * rs;
        for (int kx = kx_lo; kx < kx_hi; kx++)
          acc = DW_FMA(DW_IN(r + (size_t)(ix0 + kx * dw) * C), DW_W(ky * KW + kx), acc);
      }
    }
    acc = DW_MIN(DW_MAX(acc, lo), hi);
    if (MASKED) DW_STOREM(yrow + (size_t)ox * CM + cb, mo, acc);
    else DW_STORE(yrow + (size_t)ox * CM + cb, acc);
  }
#undef DW_IN
#undef DW_W
}

DW_TARGET void DW_NAME(const ew_conv_params *p, const float *x, const float *w, const float *bias, float *y) {
  const int C = p->in_c, M = p->depth_multiplier, CM = C * M;
  const int K33 = p->k_h == 3 && p->k_w == 3;
  const DW_V lo = DW_SET1(p->act_min), hi = DW_SET1(p->act_max);
  int32_t idx_buf[DW_VW] = {0};
  for (int n = 0; n < p->batch; n++) {
    const float *xn = x + (size_t)n * p->in_h * p->in_w * C;
    for (int oy = 0; oy < p->out_h; oy++) {
      const int iy0 = oy * p->stride_h - p->pad_top;
      int ky_lo, ky_hi;
      DW_CAT(DW_NAME, _range)(iy0, p->dil_h, p->k_h, p->in_h, &ky_lo, &ky_hi);
      float *yrow = y + (((size_t)n * p->out_h + oy) * p->out_w) * CM;
      for (int cb = 0; cb < CM; cb += DW_VW) {
        const int cnt = CM - cb < DW_VW ? CM - cb : DW_VW;
        const DW_MASK mo = DW_MASK_N(cnt);
        const DW_V bv = bias ? DW_LOADM(bias + cb, mo) : DW_ZERO();
        if (M == 1) {
          const DW_IDX idx = DW_LOAD_IDX(idx_buf); // unused
          if (cnt == DW_VW) {
            if (K33) DW_CAT(DW_NAME, _row)(1, 0, 1, p, xn, w, yrow, cb, iy0, ky_lo, ky_hi, mo, mo, idx, bv, lo, hi);
            else DW_CAT(DW_NAME, _row)(1, 0, 0, p, xn, w, yrow, cb, iy0, ky_lo, ky_hi, mo, mo, idx, bv, lo, hi);
          } else {
            if (K33) DW_CAT(DW_NAME, _row)(1, 1, 1, p, xn, w, yrow, cb, iy0, ky_lo, ky_hi, mo, mo, idx, bv, lo, hi);
            else DW_CAT(DW_NAME, _row)(1, 1, 0, p, xn, w, yrow, cb, iy0, ky_lo, ky_hi, mo, mo, idx, bv, lo, hi);
          }
        } else {
          const int base = cb / M, r = cb % M;
          for (int j = 0; j < DW_VW; j++) idx_buf[j] = (r + j) / M;
          const int in_cnt = C - base < DW_VW ? C - base : DW_VW;
          const DW_MASK mi = DW_MASK_N(in_cnt);
          const DW_IDX idx = DW_LOAD_IDX(idx_buf);
          if (K33) DW_CAT(DW_NAME, _row)(0, 1, 1, p, xn, w, yrow, cb, iy0, ky_lo, ky_hi, mo, mi, idx, bv, lo, hi);
          else DW_CAT(DW_NAME, _row)(0, 1, 0, p, xn, w, yrow, cb, iy0, ky_lo, ky_hi, mo, mi, idx, bv, lo, hi);
        }
      }
    }
  }
}
