// The per-ISA function tables. Tables are immutable; ew_kernel_table_for hands out a table only when this CPU (and
// this build's architecture) can run it.
#include "ew_internal.h"

static const ew_kernel_table ew_table_generic = {
    EW_ISA_GENERIC, "generic", ew_gemm_f32__generic, ew_conv2d_f32__generic, ew_depthwise_conv2d_f32__generic, ew_pool2d_f32__generic};

#if EW_HAVE_X86
static const ew_kernel_table ew_table_avx2 = {EW_ISA_AVX2, "avx2", ew_gemm_f32__avx2, ew_conv2d_f32__avx2,
                                              ew_depthwise_conv2d_f32__avx2, ew_pool2d_f32__avx2};
static const ew_kernel_table ew_table_avx512 = {EW_ISA_AVX512, "avx512", ew_gemm_f32__avx512, ew_conv2d_f32__avx512,
                                                ew_depthwise_conv2d_f32__avx512, ew_pool2d_f32__avx512};
#endif

const ew_kernel_table *ew_kernel_table_for(ew_isa isa) {
  if ((int)isa < 0 || isa > ew_cpu_best_isa()) return NULL;
  switch (isa) {
  case EW_ISA_GENERIC: return &ew_table_generic;
#if EW_HAVE_X86
  case EW_ISA_AVX2: return &ew_table_avx2;
  case EW_ISA_AVX512: return &ew_table_avx512;
#endif
  default: return NULL;
  }
}
