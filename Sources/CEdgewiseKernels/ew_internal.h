// Private declarations shared by the kernel files (not part of the module's public header).
#ifndef EW_INTERNAL_H
#define EW_INTERNAL_H
#include "include/edgewise_kernels.h"
#include <stddef.h>
#include <stdint.h>

#define EW_INLINE static inline __attribute__((always_inline))

#if defined(__x86_64__)
#define EW_HAVE_X86 1
/// Per-function ISA targets: the translation units are compiled for baseline x86-64; only functions carrying these
/// attributes may use the wider instructions, and they are only reached through the run-time checked tables.
#define EW_TARGET_AVX2 __attribute__((target("avx2,fma")))
#define EW_TARGET_AVX512 __attribute__((target("avx2,fma,avx512f,avx512bw,avx512vl,avx512dq")))
#else
#define EW_HAVE_X86 0
#endif

/// GEMMs whose B (K*N floats) is at most this size run M-block outer (B stays in this core's 1 MiB L2).
#define EW_GEMM_B_L2_BYTES ((size_t)512 * 1024)

typedef void (*ew_gemm_f32_fn)(size_t m, size_t n, size_t k, const float *a, size_t lda, const float *b, size_t ldb,
                               const float *bias, float *c, size_t ldc, float act_min, float act_max);

// GEMM family (gemm/gemm_f32_<isa>.c)
void ew_gemm_f32__generic(size_t m, size_t n, size_t k, const float *a, size_t lda, const float *b, size_t ldb,
                          const float *bias, float *c, size_t ldc, float act_min, float act_max);
// Conv2d (conv2d/conv2d_f32.c): im2col + the given table's GEMM.
void ew_conv2d_f32__generic(const ew_conv_params *p, const float *x, const float *w, const float *bias, float *y,
                            void *scratch);
// Depthwise family (depthwise/depthwise_conv2d_f32_<isa>.c)
void ew_depthwise_conv2d_f32__generic(const ew_conv_params *p, const float *x, const float *w, const float *bias,
                                      float *y);
// Pooling (pool/pool2d_f32.c): one body per target.
void ew_pool2d_f32__generic(const ew_conv_params *p, const float *x, float *y, int is_max);
#if EW_HAVE_X86
void ew_pool2d_f32__avx2(const ew_conv_params *p, const float *x, float *y, int is_max);
void ew_pool2d_f32__avx512(const ew_conv_params *p, const float *x, float *y, int is_max);
void ew_gemm_f32__avx2(size_t m, size_t n, size_t k, const float *a, size_t lda, const float *b, size_t ldb,
                       const float *bias, float *c, size_t ldc, float act_min, float act_max);
void ew_gemm_f32__avx512(size_t m, size_t n, size_t k, const float *a, size_t lda, const float *b, size_t ldb,
                         const float *bias, float *c, size_t ldc, float act_min, float act_max);
void ew_conv2d_f32__avx2(const ew_conv_params *p, const float *x, const float *w, const float *bias, float *y,
                         void *scratch);
void ew_conv2d_f32__avx512(const ew_conv_params *p, const float *x, const float *w, const float *bias, float *y,
                           void *scratch);
void ew_depthwise_conv2d_f32__avx2(const ew_conv_params *p, const float *x, const float *w, const float *bias,
                                   float *y);
void ew_depthwise_conv2d_f32__avx512(const ew_conv_params *p, const float *x, const float *w, const float *bias,
                                     float *y);
#endif

/// The fused activation clamp. NaN semantics, the same on every ISA and in the Swift reference: a NaN
/// input stays NaN (never becomes a bound), ±inf clamps to the bounds like any other value. The x86
/// variants get this from operand order: `max_ps(a, b)` / `min_ps(a, b)` return their SECOND operand when
/// either is NaN, so the accumulator goes second: `min_ps(hi, max_ps(lo, acc))`.
static inline float ew_clampf(float v, float lo, float hi) { return v < lo ? lo : (v > hi ? hi : v); }

/// Max pooling's running maximum, NaN-propagating (a NaN anywhere in the window gives NaN, as in the
/// Swift reference): takes `v` when it is larger or NaN; keeps `m` when `m` is already NaN.
static inline float ew_max_nan(float m, float v) { return ((m < v) | (v != v)) ? v : m; }

#endif
