// Edgewise int8 kernels, bit-exact with TFLite's reference integer kernels (LiteRT 2.3 BUILTIN_REF):
// int32 accumulation of (x - input_zero_point) * w, + bias, per-channel requantisation with TFLite's
// double-rounding MultiplyByQuantizedMultiplier, + output zero point, clamp. Integer sums are exact in any
// order, so every variant equals the reference exactly (tested against the Swift Int8Reference kernels).
//
// Variants, chosen once at run time like the fp32 tables (ew_int8_isa / ew_int8_gemm_*):
//   generic  portable C;
//   avx2     exact: int8 sign-extended to int16 and `vpmaddwd` (no saturating `vpmaddubsw` pair sums);
//   vnni     AVX-512 VNNI `vpdpbusd`: activations offset by +128 to u8, the offset compensated through
//            per-column weight sums folded into the bias at pack time.
// Weights are packed once (at load) into the layout the chosen variant reads: ew_int8_gemm_pack.
#ifndef EDGEWISE_INT8_H
#define EDGEWISE_INT8_H
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/// int8 kernel families, lowest first.
typedef enum ew_int8_isa {
  EW_INT8_GENERIC = 0,  ///< portable C
  EW_INT8_AVX2 = 1,     ///< x86-64 AVX2, exact int16 `vpmaddwd`
  EW_INT8_VNNI = 2,     ///< x86-64 AVX-512 F/BW/VL + VNNI `vpdpbusd`
} ew_int8_isa;

/// The best int8 family this CPU runs (probed once), capped by EDGEWISE_MAX_ISA (generic|avx2|avx512).
ew_int8_isa ew_int8_best_isa(void);
/// Whether this CPU (after the cap) runs `isa`.
int ew_int8_isa_available(ew_int8_isa isa);
/// "generic", "avx2" or "vnni".
const char *ew_int8_isa_name(ew_int8_isa isa);

/// Bytes of a packed GEMM weight block for K x N weights and `isa` (64-byte aligned buffer expected).
size_t ew_int8_gemm_packed_bytes(ew_int8_isa isa, size_t k, size_t n);

/// Packs weights w[K][N] (row stride ldw), int32 bias[N] (or NULL), the input zero point and the per-column
/// requantisation (TFLite multiplier in [0, 2^31) and shift, positive = left) into `packed`
/// (ew_int8_gemm_packed_bytes(isa, k, n) bytes, 64-byte aligned). Zero-point compensation is folded into the bias.
void ew_int8_gemm_pack(ew_int8_isa isa, size_t k, size_t n, const int8_t *w, size_t ldw, const int32_t *bias,
                       int32_t input_zero_point, const int32_t *multiplier, const int32_t *shift, void *packed);

/// Y[M][N] = clamp(requant(sum_k (A[m][k] - zp_in) * W[k][n] + bias[n]) + zp_out, act_min, act_max), with W,
/// bias, zp_in and the requantisation from `packed` (made by ew_int8_gemm_pack for the same isa, k and n).
/// Row strides lda, ldy in elements. Any M >= 0.
void ew_int8_gemm(ew_int8_isa isa, size_t m, const int8_t *a, size_t lda, const void *packed, int8_t *y, size_t ldy,
                  int32_t output_zero_point, int32_t act_min, int32_t act_max);

/// Geometry of an int8 convolution or depthwise convolution over NHWC tensors (1-D signals use in_h = 1).
typedef struct ew_int8_conv_params {
  int32_t batch, in_h, in_w, in_c;
  int32_t out_h, out_w, out_c;
  int32_t k_h, k_w, stride_h, stride_w, dil_h, dil_w;
  int32_t pad_top, pad_left;
  int32_t depth_multiplier;  ///< depthwise only
  int32_t input_zero_point, output_zero_point, act_min, act_max;
} ew_int8_conv_params;

/// Scratch bytes ew_int8_conv2d needs: 0 for 1x1 stride-1 unpadded convolutions (one GEMM over every pixel),
/// else one image's im2col matrix (OH*OW x KH*KW*Cin int8).
size_t ew_int8_conv2d_scratch_bytes(const ew_int8_conv_params *p);

/// Convolution with weights packed by ew_int8_gemm_pack(isa, KH*KW*Cin, Cout, w[KH,KW,Cin,Cout], ...).
/// im2col fills padding taps with the input zero point, so they contribute nothing, as in TFLite.
void ew_int8_conv2d(ew_int8_isa isa, const ew_int8_conv_params *p, const int8_t *x, const void *packed, int8_t *y,
                    void *scratch);

/// Bytes of packed depthwise parameters for C*M output channels.
size_t ew_int8_depthwise_packed_bytes(size_t channels, size_t kh, size_t kw);

/// Packs depthwise weights w[KH,KW,C*M] (int8), bias[C*M] (or NULL) and per-channel requantisation.
void ew_int8_depthwise_pack(size_t channels, size_t kh, size_t kw, const int8_t *w, const int32_t *bias,
                            const int32_t *multiplier, const int32_t *shift, void *packed);

/// Depthwise convolution (any window, stride, dilation, depth multiplier) with parameters from
/// ew_int8_depthwise_pack.
void ew_int8_depthwise_conv2d(ew_int8_isa isa, const ew_int8_conv_params *p, const int8_t *x, const void *packed,
                              int8_t *y);

/// int8 average pooling (TFLite reference_integer_ops::AveragePool): raw values summed over the in-bounds part
/// of the k_h x k_w window, divided rounding half away from zero, clamped to [act_min, act_max]. Portable C.
void ew_int8_average_pool(const ew_int8_conv_params *p, const int8_t *x, int8_t *y);

/// Parameters of TFLite's int8 ADD (see Int8AddParams in Swift): input offsets (-zero point), the common
/// left shift (20), per-input and output multipliers with right-shift amounts (>= 0), output zero point, clamp.
typedef struct ew_int8_add_params {
  int32_t input1_offset, input2_offset, left_shift;
  int32_t input1_multiplier, input1_right_shift, input2_multiplier, input2_right_shift;
  int32_t output_multiplier, output_right_shift, output_zero_point, act_min, act_max;
} ew_int8_add_params;

/// Element-wise int8 ADD of two tensors with their own scales, exactly as TFLite's reference_integer_ops::Add.
void ew_int8_add(ew_int8_isa isa, size_t n, const int8_t *a, const int8_t *b, const ew_int8_add_params *p, int8_t *y);

/// Benchmark support: the int8 multiply-accumulate peak of one core in GOP/s (1 MAC = 2 ops) for `isa`'s inner
/// instruction: `vpdpbusd` zmm (vnni), `vpmaddwd` + `vpaddd` ymm on int16 (avx2); 0 when unavailable.
double ew_bench_peak_int8_gops(ew_int8_isa isa);

#ifdef __cplusplus
}
#endif
#endif
