// Private declarations of the int8 kernels: the packed-weight layout and the exact requantisation helpers.
#ifndef EW_INT8_INTERNAL_H
#define EW_INT8_INTERNAL_H
#include "../ew_internal.h"
#include "../include/edgewise_int8.h"

#if EW_HAVE_X86
#define EW_TARGET_VNNI __attribute__((target("avx2,fma,avx512f,avx512bw,avx512vl,avx512dq,avx512vnni")))
#endif

/// Columns are padded to a multiple of this (the widest micro-kernel block).
#define EW_INT8_NR 16

/// Header of a packed GEMM block (64 bytes). After it: int32 bias_adj[n_pad], multiplier[n_pad],
/// left_shift[n_pad], right_shift[n_pad], then the weights in the variant's layout:
///   generic: int8 [k][n_pad]
///   avx2:    int16 pairs [k_pad/2][n_pad][2] (k_pad = k rounded up to 2), bias_adj = bias - zp_in * colsum
///   vnni:    int8 quads  [k_pad/4][n_pad][4] (k_pad = k rounded up to 4), bias_adj = bias - (zp_in + 128) * colsum
/// (generic also uses bias - zp_in * colsum). Padding columns and rows hold zero weights.
typedef struct ew_int8_packed {
  int32_t isa, k, n, k_pad, n_pad, reserved[11];
} ew_int8_packed;

EW_INLINE const int32_t *ew_int8_bias(const ew_int8_packed *p) { return (const int32_t *)(p + 1); }
EW_INLINE const int32_t *ew_int8_mult(const ew_int8_packed *p) { return ew_int8_bias(p) + p->n_pad; }
EW_INLINE const int32_t *ew_int8_lshift(const ew_int8_packed *p) { return ew_int8_bias(p) + 2 * p->n_pad; }
EW_INLINE const int32_t *ew_int8_rshift(const ew_int8_packed *p) { return ew_int8_bias(p) + 3 * p->n_pad; }
EW_INLINE const void *ew_int8_weights(const ew_int8_packed *p) { return ew_int8_bias(p) + 4 * p->n_pad; }

/// gemmlowp SaturatingRoundingDoublingHighMul for b >= 0 (TFLite multipliers are non-negative, so the
/// INT32_MIN * INT32_MIN saturation cannot occur): nudge-then-truncate equals floor((a*b + 2^30) / 2^31).
EW_INLINE int32_t ew_srdhm(int32_t a, int32_t b) {
  const int64_t ab = (int64_t)a * (int64_t)b;
  return (int32_t)((ab + ((int64_t)1 << 30)) >> 31);
}

/// gemmlowp RoundingDivideByPOT: x / 2^e, rounded to nearest, ties away from zero.
EW_INLINE int32_t ew_rdbpot(int32_t x, int32_t e) {
  const int32_t mask = (int32_t)(((int64_t)1 << e) - 1);
  const int32_t remainder = x & mask;
  const int32_t threshold = (mask >> 1) + (x < 0 ? 1 : 0);
  return (x >> e) + (remainder > threshold ? 1 : 0);
}

/// TFLite MultiplyByQuantizedMultiplier (double rounding) with the shift split into left/right parts.
EW_INLINE int32_t ew_requant(int32_t acc, int32_t mult, int32_t lsh, int32_t rsh) {
  return ew_rdbpot(ew_srdhm((int32_t)((uint32_t)acc << lsh), mult), rsh);
}

EW_INLINE int8_t ew_sat8(int32_t v, int32_t lo, int32_t hi) { return (int8_t)(v < lo ? lo : (v > hi ? hi : v)); }

/// Header of packed depthwise parameters (64 bytes), then int32 bias[c_pad], multiplier[c_pad],
/// left_shift[c_pad], right_shift[c_pad], then int16 weights [kh*kw][c_pad]. c_pad = channels rounded up to 16.
typedef struct ew_int8_dw_packed {
  int32_t channels, c_pad, kh, kw, reserved[12];
} ew_int8_dw_packed;

EW_INLINE const int32_t *ew_int8_dw_bias(const ew_int8_dw_packed *p) { return (const int32_t *)(p + 1); }
EW_INLINE const int16_t *ew_int8_dw_weights(const ew_int8_dw_packed *p) {
  return (const int16_t *)(ew_int8_dw_bias(p) + 4 * p->c_pad);
}

void ew_int8_gemm__generic(size_t m, const int8_t *a, size_t lda, const ew_int8_packed *p, int8_t *y, size_t ldy,
                           int32_t zp, int32_t lo, int32_t hi);
void ew_int8_depthwise__generic(const ew_int8_conv_params *q, const int8_t *x, const ew_int8_dw_packed *p, int8_t *y);
void ew_int8_add__generic(size_t n, const int8_t *a, const int8_t *b, const ew_int8_add_params *p, int8_t *y);
#if EW_HAVE_X86
void ew_int8_add__avx2(size_t n, const int8_t *a, const int8_t *b, const ew_int8_add_params *p, int8_t *y);
void ew_int8_add__avx512(size_t n, const int8_t *a, const int8_t *b, const ew_int8_add_params *p, int8_t *y);
void ew_int8_gemm__avx2(size_t m, const int8_t *a, size_t lda, const ew_int8_packed *p, int8_t *y, size_t ldy,
                        int32_t zp, int32_t lo, int32_t hi);
void ew_int8_gemm__vnni(size_t m, const int8_t *a, size_t lda, const ew_int8_packed *p, int8_t *y, size_t ldy,
                        int32_t zp, int32_t lo, int32_t hi);
void ew_int8_depthwise__avx2(const ew_int8_conv_params *q, const int8_t *x, const ew_int8_dw_packed *p, int8_t *y);
void ew_int8_depthwise__avx512(const ew_int8_conv_params *q, const int8_t *x, const ew_int8_dw_packed *p, int8_t *y);
#endif

#endif
