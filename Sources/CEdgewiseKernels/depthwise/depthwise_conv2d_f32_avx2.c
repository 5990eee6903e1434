// Depthwise convolution, fp32, AVX2+FMA: 8 channels per ymm. Algorithm in depthwise_conv2d_f32_x86_body.h.
#include "../ew_internal.h"

#if EW_HAVE_X86
#include <immintrin.h>

static const int32_t ew_dw_avx2_mask_tab[16] = {-1, -1, -1, -1, -1, -1, -1, -1, 0, 0, 0, 0, 0, 0, 0, 0};

#define DW_CAT2(a, b) a##b
#define DW_CAT(a, b) DW_CAT2(a, b)
#define DW_NAME ew_depthwise_conv2d_f32__avx2
#define DW_TARGET EW_TARGET_AVX2
#define DW_V __m256
#define DW_VW 8
#define DW_MASK __m256i
#define DW_MASK_N(n) _mm256_loadu_si256((const __m256i *)(ew_dw_avx2_mask_tab + 8 - (n)))
#define DW_LOAD(p) _mm256_loadu_ps(p)
#define DW_LOADM(p, m) _mm256_maskload_ps((p), (m))
#define DW_STORE(p, v) _mm256_storeu_ps((p), (v))
#define DW_STOREM(p, m, v) _mm256_maskstore_ps((p), (m), (v))
#define DW_FMA(a, b, c) _mm256_fmadd_ps((a), (b), (c))
#define DW_ADD(a, b) _mm256_add_ps((a), (b))
#define DW_MUL(a, b) _mm256_mul_ps((a), (b))
#define DW_PAIR 1
#define DW_SET1(f) _mm256_set1_ps(f)
#define DW_MAX(a, b) _mm256_max_ps((a), (b))
#define DW_MIN(a, b) _mm256_min_ps((a), (b))
#define DW_ZERO() _mm256_setzero_ps()
#define DW_IDX __m256i
#define DW_LOAD_IDX(p) _mm256_loadu_si256((const __m256i *)(p))
#define DW_PERMUTE(v, idx) _mm256_permutevar8x32_ps((v), (idx))

#include "depthwise_conv2d_f32_x86_body.h"

#endif
