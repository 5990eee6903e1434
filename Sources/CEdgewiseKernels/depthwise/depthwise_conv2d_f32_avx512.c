// Depthwise convolution, fp32, AVX-512: 16 channels per zmm, opmask-predicated channel tails.
// Algorithm in depthwise_conv2d_f32_x86_body.h.
#include "../ew_internal.h"

#if EW_HAVE_X86
#include <immintrin.h>

#define DW_CAT2(a, b) a##b
#define DW_CAT(a, b) DW_CAT2(a, b)
#define DW_NAME ew_depthwise_conv2d_f32__avx512
#define DW_TARGET EW_TARGET_AVX512
#define DW_V __m512
#define DW_VW 16
#define DW_MASK __mmask16
#define DW_MASK_N(n) ((__mmask16)((1u << (n)) - 1u))
#define DW_LOAD(p) _mm512_loadu_ps(p)
#define DW_LOADM(p, m) _mm512_maskz_loadu_ps((m), (p))
#define DW_STORE(p, v) _mm512_storeu_ps((p), (v))
#define DW_STOREM(p, m, v) _mm512_mask_storeu_ps((p), (m), (v))
#define DW_FMA(a, b, c) _mm512_fmadd_ps((a), (b), (c))
#define DW_ADD(a, b) _mm512_add_ps((a), (b))
#define DW_MUL(a, b) _mm512_mul_ps((a), (b))
#define DW_PAIR 1
#define DW_SET1(f) _mm512_set1_ps(f)
#define DW_MAX(a, b) _mm512_max_ps((a), (b))
#define DW_MIN(a, b) _mm512_min_ps((a), (b))
#define DW_ZERO() _mm512_setzero_ps()
#define DW_IDX __m512i
#define DW_LOAD_IDX(p) _mm512_loadu_si512((const void *)(p))
#define DW_PERMUTE(v, idx) _mm512_permutexvar_ps((idx), (v))

#include "depthwise_conv2d_f32_x86_body.h"

#endif
