// Depthwise convolution body shared by the AVX2 and AVX-512 files (a template: included once by each, with the
// vector macros defined; not a header of declarations).
// NHWC, vectorised across channels: one vector of VW output channels at a time, the accumulator stays in a register
// across all taps. Loop order: image, channel block, output row, output column: the block's bias and (3x3 kernels)
// its 9 weight vectors are loaded once per image and held in registers, and the block's slice of the image (H*W
// vectors) stays in L1 across the rows. Interior pixels of a 3x3 kernel run 9 unconditional FMAs in two chains;
// with stride 1 two output rows are computed together (4 input rows, 12 loads per 2 outputs instead of 18). Border
// pixels (padding) run only their valid taps, weights still in registers. Other kernel sizes visit the valid
// taps with weights from memory. Channel tails use masked loads/stores. Depth multiplier M > 1: output channel o
// reads input channel o/M, done with one masked load from channel (block start)/M and a lane permute.
//
// Required macros: DW_CAT(a, b), DW_NAME, DW_TARGET, DW_V (vector type), DW_VW (lanes), DW_MASK (mask type),
// DW_MASK_N(n), DW_LOAD(p), DW_LOADM(p, m), DW_STOREM(p, m, v), DW_STORE(p, v), DW_FMA(a, b, c), DW_ADD, DW_MUL,
// DW_SET1(f), DW_MAX, DW_MIN, DW_ZERO(), DW_PAIR (0/1: pair output rows), DW_IDX (index vector type),
// DW_LOAD_IDX(int32 *), DW_PERMUTE(v, idx).

/// Valid tap range [lo, hi) of a window starting at input index i0 (dilation d, kernel k, input extent n).
EW_INLINE void DW_CAT(DW_NAME, _range)(int i0, int d, int k, int n, int *lo, int *hi) {
  int l = i0 < 0 ? (d == 1 ? -i0 : (-i0 + d - 1) / d) : 0;
  int h = n - i0 <= 0 ? 0 : (d == 1 ? n - i0 : (n - i0 + d - 1) / d);
  if (h > k) h = k;
  if (l > h) l = h;
  *lo = l;
  *hi = h;
}

/// One channel block over the whole image. MULT1: depth multiplier 1. MASKED: partial channel block (or M > 1).
/// K33: 3x3 kernel (weights in registers).
DW_TARGET EW_INLINE void DW_CAT(DW_NAME, _block)(const int MULT1, const int MASKED, const int K33,
                                                 const ew_conv_params *p, const float *xn, const float *w, float *yn,
                                                 int cb, DW_MASK mo, DW_MASK mi, DW_IDX idx, DW_V bv, DW_V lo,
                                                 DW_V hi) {
  const int C = p->in_c, CM = C * p->depth_multiplier, KW = p->k_w, OW = p->out_w;
  const int sw = p->stride_w, dw = p->dil_w, dh = p->dil_h, in_w = p->in_w;
  const size_t rs = (size_t)in_w * C;                       // input row stride
  const int cin0 = MULT1 ? cb : cb / p->depth_multiplier; // first input channel read by this block
  const float *xc = xn + cin0;
#define DW_IN(ptr) (MULT1 ? (MASKED ? DW_LOADM(ptr, mi) : DW_LOAD(ptr)) : DW_PERMUTE(DW_LOADM(ptr, mi), idx))
#define DW_W(off) (MASKED ? DW_LOADM(w + (size_t)(off) * CM + cb, mo) : DW_LOAD(w + (size_t)(off) * CM + cb))
#define DW_OUT(row, ox, v)                                                                                           \
  do {                                                                                                               \
    const DW_V o_ = DW_MIN(hi, DW_MAX(lo, (v)));                                                                     \
    if (MASKED) DW_STOREM((row) + (size_t)(ox) * CM + cb, mo, o_);                                                   \
    else DW_STORE((row) + (size_t)(ox) * CM + cb, o_);                                                               \
  } while (0)
  DW_V w0 = DW_ZERO(), w1 = w0, w2 = w0, w3 = w0, w4 = w0, w5 = w0, w6 = w0, w7 = w0, w8 = w0;
  if (K33) {
    w0 = DW_W(0); w1 = DW_W(1); w2 = DW_W(2); w3 = DW_W(3); w4 = DW_W(4);
    w5 = DW_W(5); w6 = DW_W(6); w7 = DW_W(7); w8 = DW_W(8);
  }
  // Output columns whose window lies inside the input: [ox_a, ox_b).
  int ox_a = (p->pad_left + sw - 1) / sw;
  const int last = in_w - 1 - (KW - 1) * dw + p->pad_left; // largest ox*sw allowed
  int ox_b = last < 0 ? 0 : last / sw + 1;
  if (ox_b > OW) ox_b = OW;
  if (ox_a > ox_b) ox_a = ox_b;
  const size_t rstep = (size_t)dh * rs, d1 = (size_t)dw * C, d2 = 2 * d1, sx = (size_t)sw * C;
  // Border columns of one output row (3x3): only the valid taps, weights still in registers. Offsets are signed:
  // the window start may lie in the padding, only valid taps are dereferenced.
#define DW_BORDER33(IY0, YROW, ROK0, ROK1, ROK2)                                                                     \
  for (int ox = 0; ox < OW; ox++) {                                                                                  \
    if (ox == a && a < b) { ox = b - 1; continue; } /* skip the interior */                                        \
    const int ix0 = ox * sw - p->pad_left;                                                                           \
    const int c0 = (unsigned)ix0 < (unsigned)in_w, c1 = (unsigned)(ix0 + dw) < (unsigned)in_w;                       \
    const int c2 = (unsigned)(ix0 + 2 * dw) < (unsigned)in_w;                                                        \
    DW_V acc = bv;                                                                                                   \
    DW_TAP(IY0, ROK0, 0, c0, 0, w0); DW_TAP(IY0, ROK0, 0, c1, 1, w1); DW_TAP(IY0, ROK0, 0, c2, 2, w2);              \
    DW_TAP(IY0, ROK1, 1, c0, 0, w3); DW_TAP(IY0, ROK1, 1, c1, 1, w4); DW_TAP(IY0, ROK1, 1, c2, 2, w5);              \
    DW_TAP(IY0, ROK2, 2, c0, 0, w6); DW_TAP(IY0, ROK2, 2, c1, 1, w7); DW_TAP(IY0, ROK2, 2, c2, 2, w8);              \
    DW_OUT(YROW, ox, acc);                                                                                           \
  }
#define DW_TAP(IY0, ROK, ky, COK, kx, wv)                                                                            \
  if ((ROK) && (COK))                                                                                                \
    acc = DW_FMA(DW_IN(xc + ((ptrdiff_t)(IY0) + (ky) * dh) * (ptrdiff_t)rs + ((ptrdiff_t)ix0 + (kx) * dw) * C), wv,  \
                 acc)
  for (int oy = 0; oy < p->out_h; oy++) {
    const int iy0 = oy * p->stride_h - p->pad_top;
    int ky_lo, ky_hi;
    DW_CAT(DW_NAME, _range)(iy0, dh, p->k_h, p->in_h, &ky_lo, &ky_hi);
    float *yrow = yn + (size_t)oy * OW * CM;
    const int full_rows = ky_lo == 0 && ky_hi == p->k_h;
    const int a = full_rows ? ox_a : OW, b = full_rows ? ox_b : OW; // interior columns [a, b)
    if (K33) {
      // Two output rows at once when they share input rows (stride 1, no row dilation) and both are full: 4 input
      // rows feed 2 outputs per column, 12 loads instead of 18.
      int pair = 0;
      if (DW_PAIR && a < b && p->stride_h == 1 && dh == 1 && oy + 1 < p->out_h) {
        int lo2, hi2;
        DW_CAT(DW_NAME, _range)(iy0 + 1, 1, 3, p->in_h, &lo2, &hi2);
        pair = lo2 == 0 && hi2 == 3;
      }
      if (a < b) {
        const float *q0 = xc + (size_t)iy0 * rs + (size_t)(a * sw - p->pad_left) * C;
        if (pair) {
          float *yrow2 = yrow + (size_t)OW * CM;
          float *o1 = yrow + (size_t)a * CM, *o2 = yrow2 + (size_t)a * CM;
          for (int ox = a; ox < b; ox++, q0 += sx, o1 += CM, o2 += CM) {
            // Opaque to the optimiser (emits nothing): without it, loop strength reduction turns each of the 12 tap
            // addresses into its own induction pointer, runs out of registers and spills (measured 53 -> 59 GFLOP/s
            // on 25x5x64 with this line).
            __asm__("" : "+r"(q0));
            const float *q1 = q0 + rs, *q2 = q1 + rs, *q3 = q2 + rs;
            DW_V x0 = DW_IN(q0), x1 = DW_IN(q0 + d1), x2 = DW_IN(q0 + d2);
            DW_V acc = DW_FMA(x0, w0, bv), acc2 = DW_MUL(x1, w1);
            acc = DW_FMA(x2, w2, acc);
            x0 = DW_IN(q1); x1 = DW_IN(q1 + d1); x2 = DW_IN(q1 + d2);
            DW_V bcc = DW_FMA(x0, w0, bv), bcc2 = DW_MUL(x1, w1);
            bcc = DW_FMA(x2, w2, bcc);
            acc2 = DW_FMA(x0, w3, acc2); acc = DW_FMA(x1, w4, acc); acc2 = DW_FMA(x2, w5, acc2);
            x0 = DW_IN(q2); x1 = DW_IN(q2 + d1); x2 = DW_IN(q2 + d2);
            acc = DW_FMA(x0, w6, acc); acc2 = DW_FMA(x1, w7, acc2); acc = DW_FMA(x2, w8, acc);
            bcc2 = DW_FMA(x0, w3, bcc2); bcc = DW_FMA(x1, w4, bcc); bcc2 = DW_FMA(x2, w5, bcc2);
            x0 = DW_IN(q3); x1 = DW_IN(q3 + d1); x2 = DW_IN(q3 + d2);
            bcc = DW_FMA(x0, w6, bcc); bcc2 = DW_FMA(x1, w7, bcc2); bcc = DW_FMA(x2, w8, bcc);
            DW_OUT(o1, 0, DW_ADD(acc, acc2));
            DW_OUT(o2, 0, DW_ADD(bcc, bcc2));
          }
        } else {
          for (int ox = a; ox < b; ox++, q0 += sx) {
            __asm__("" : "+r"(q0)); // as above
            const float *q1 = q0 + rstep, *q2 = q1 + rstep;
            DW_V acc = DW_FMA(DW_IN(q0), w0, bv);
            DW_V acc2 = DW_MUL(DW_IN(q0 + d1), w1);
            acc = DW_FMA(DW_IN(q0 + d2), w2, acc);
            acc2 = DW_FMA(DW_IN(q1), w3, acc2);
            acc = DW_FMA(DW_IN(q1 + d1), w4, acc);
            acc2 = DW_FMA(DW_IN(q1 + d2), w5, acc2);
            acc = DW_FMA(DW_IN(q2), w6, acc);
            acc2 = DW_FMA(DW_IN(q2 + d1), w7, acc2);
            acc = DW_FMA(DW_IN(q2 + d2), w8, acc);
            DW_OUT(yrow, ox, DW_ADD(acc, acc2));
          }
        }
      }
      DW_BORDER33(iy0, yrow, ky_lo <= 0 && ky_hi > 0, ky_lo <= 1 && ky_hi > 1, ky_hi > 2)
      if (pair) {
        DW_BORDER33(iy0 + 1, yrow + (size_t)OW * CM, 1, 1, 1)
        oy++;
      }
    } else {
      // Any kernel size: valid taps only, weights from memory (L1).
      for (int ox = 0; ox < OW; ox++) {
        const int ix0 = ox * sw - p->pad_left;
        int kx_lo, kx_hi;
        DW_CAT(DW_NAME, _range)(ix0, dw, KW, in_w, &kx_lo, &kx_hi);
        DW_V acc = bv;
        for (int ky = ky_lo; ky < ky_hi; ky++) {
          const float *r = xc + (size_t)(iy0 + ky * dh) * rs;
          for (int kx = kx_lo; kx < kx_hi; kx++)
            acc = DW_FMA(DW_IN(r + (size_t)(ix0 + kx * dw) * C), DW_W(ky * KW + kx), acc);
        }
        DW_OUT(yrow, ox, acc);
      }
    }
  }
#undef DW_TAP
#undef DW_BORDER33
#undef DW_IN
#undef DW_W
#undef DW_OUT
}

DW_TARGET void DW_NAME(const ew_conv_params *p, const float *x, const float *w, const float *bias, float *y) {
  const int C = p->in_c, M = p->depth_multiplier, CM = C * M;
  const int K33 = p->k_h == 3 && p->k_w == 3;
  const DW_V lo = DW_SET1(p->act_min), hi = DW_SET1(p->act_max);
  int32_t idx_buf[DW_VW] = {0};
  for (int n = 0; n < p->batch; n++) {
    const float *xn = x + (size_t)n * p->in_h * p->in_w * C;
    float *yn = y + (size_t)n * p->out_h * p->out_w * CM;
    for (int cb = 0; cb < CM; cb += DW_VW) {
      const int cnt = CM - cb < DW_VW ? CM - cb : DW_VW;
      const DW_MASK mo = DW_MASK_N(cnt);
      const DW_V bv = bias ? DW_LOADM(bias + cb, mo) : DW_ZERO();
      if (M == 1) {
        const DW_IDX idx = DW_LOAD_IDX(idx_buf); // unused
        if (cnt == DW_VW) {
          if (K33) DW_CAT(DW_NAME, _block)(1, 0, 1, p, xn, w, yn, cb, mo, mo, idx, bv, lo, hi);
          else DW_CAT(DW_NAME, _block)(1, 0, 0, p, xn, w, yn, cb, mo, mo, idx, bv, lo, hi);
        } else {
          if (K33) DW_CAT(DW_NAME, _block)(1, 1, 1, p, xn, w, yn, cb, mo, mo, idx, bv, lo, hi);
          else DW_CAT(DW_NAME, _block)(1, 1, 0, p, xn, w, yn, cb, mo, mo, idx, bv, lo, hi);
        }
      } else {
        const int base = cb / M, r = cb % M;
        for (int j = 0; j < DW_VW; j++) idx_buf[j] = (r + j) / M;
        const int in_cnt = C - base < DW_VW ? C - base : DW_VW;
        const DW_MASK mi = DW_MASK_N(in_cnt);
        const DW_IDX idx = DW_LOAD_IDX(idx_buf);
        if (K33) DW_CAT(DW_NAME, _block)(0, 1, 1, p, xn, w, yn, cb, mo, mi, idx, bv, lo, hi);
        else DW_CAT(DW_NAME, _block)(0, 1, 0, p, xn, w, yn, cb, mo, mi, idx, bv, lo, hi);
      }
    }
  }
}
