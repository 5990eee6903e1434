// Edgewise optimised kernels. Every kernel has a portable C variant (`__generic`, any CPU) and, on
// x86-64, AVX2+FMA and AVX-512 variants chosen once at run time by CPU feature (see ew_kernel_table).
// Layouts are channels last (NHWC); see Sources/EdgewiseCore/Operator.swift for weight layouts.
//
// Sources: gemm/gemm_f32_<isa>.c, conv2d/conv2d_f32.c (im2col + the table's GEMM), depthwise/
// depthwise_conv2d_f32_<isa>.c, isa.c (CPU probe), kernel_table.c, bench/bench_peak_f32.c. x86 variants use
// per-function __attribute__((target(...))) and are only reachable through a table the probe allowed, so the
// library itself needs no -m flags; on other architectures only the generic table exists.
//
// Threading: the kernels keep no state (all buffers come from the caller), so any number of threads may run them
// concurrently on disjoint outputs. The probe behind ew_cpu_best_isa/ew_kernel_table_for is computed on first use
// and cached atomically (idempotent; safe to call from several threads at once).
// Numerics: results differ from the plain-loop Swift reference only by summation order and fused multiply-add,
// within (K + 2) * FLT_EPSILON * sum|a*b| per output (see Tests/EdgewiseCoreTests/Kernels).
#ifndef EDGEWISE_KERNELS_H
#define EDGEWISE_KERNELS_H
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/// Instruction-set levels, lowest first.
typedef enum ew_isa {
  EW_ISA_GENERIC = 0,  ///< portable C (auto-vectorised by the compiler for the baseline target)
  EW_ISA_AVX2 = 1,     ///< x86-64 AVX2 + FMA
  EW_ISA_AVX512 = 2,   ///< x86-64 AVX-512 F/BW/VL/DQ (+VNNI for int8 when present)
} ew_isa;

/// Geometry of a 2-D convolution or pooling window over NHWC tensors (1-D signals use in_h = 1).
typedef struct ew_conv_params {
  int32_t batch, in_h, in_w, in_c;
  int32_t out_h, out_w, out_c;
  int32_t k_h, k_w, stride_h, stride_w, dil_h, dil_w;
  int32_t pad_top, pad_left;   ///< bottom/right padding follows from the output size
  int32_t depth_multiplier;    ///< depthwise only
  float act_min, act_max;      ///< fused clamp (use -INFINITY/INFINITY for none)
} ew_conv_params;

/// Function table of one ISA level. All pointers are non-NULL. Outputs must not overlap inputs (or scratch).
typedef struct ew_kernel_table {
  ew_isa isa;
  const char *name;
  /// C[M,N] = clamp(A[M,K] · B[K,N] + bias[N]). Row strides lda, ldb, ldc in elements. bias may be NULL.
  /// B is read in place (no packing, no scratch); only the M x N elements of C are written (never C's row padding).
  /// Any M, N, K >= 0 (K = 0 gives clamp(bias)); no alignment required.
  void (*gemm_f32)(size_t m, size_t n, size_t k, const float *a, size_t lda, const float *b, size_t ldb,
                   const float *bias, float *c, size_t ldc, float act_min, float act_max);
  /// Convolution, weights [KH,KW,Cin,Cout], bias [Cout] or NULL. `scratch` holds at least
  /// ew_conv2d_f32_scratch_bytes(p) bytes, 64-byte aligned.
  void (*conv2d_f32)(const ew_conv_params *p, const float *x, const float *w, const float *bias, float *y, void *scratch);
  /// Depthwise convolution, weights [KH,KW,Cin*M], bias [Cin*M] or NULL.
  void (*depthwise_conv2d_f32)(const ew_conv_params *p, const float *x, const float *w, const float *bias, float *y);
  /// Max (is_max = 1) or average pooling; the window is k_h x k_w (dilation, weights and act_* unused). Average
  /// divides by the number of in-bounds elements (TFLite semantics). Global average pooling is the full window.
  void (*pool2d_f32)(const ew_conv_params *p, const float *x, float *y, int is_max);
} ew_kernel_table;

/// Scratch bytes conv2d_f32 needs for `p`: 0 for 1x1 stride-1 unpadded convolutions (one plain GEMM over all pixels
/// of the batch), else the im2col matrix of one image (OH*OW x KH*KW*Cin floats) plus, when a window reaches into the
/// padding, a zero-padded copy of the part of one image the windows cover.
size_t ew_conv2d_f32_scratch_bytes(const ew_conv_params *p);

/// The best ISA this CPU supports (probed once), capped by the environment variable EDGEWISE_MAX_ISA
/// (generic|avx2|avx512) when set.
ew_isa ew_cpu_best_isa(void);

/// The table for `isa`, or NULL when this CPU (or this build's architecture) cannot run it.
const ew_kernel_table *ew_kernel_table_for(ew_isa isa);

/// An opaque compiler barrier for benchmarks: keeps `p`'s memory observably used.
void ew_escape(void *p);

/// Benchmark support: the fp32 FMA peak of one core in GFLOP/s, measured now with `isa`'s widest vectors
/// (12 independent FMA chains, best of 7 timed runs, about 50 ms in all). 0 when this CPU cannot run `isa`.
double ew_bench_peak_f32_gflops(ew_isa isa);

/// Training GEMM: C[M,N] = op(A)·op(B) + beta·C, row-major with row strides lda, ldb, ldc (elements).
/// op(A) is A[M,K] (trans_a = 0) or Aᵀ with A stored [K,M] (trans_a = 1); likewise op(B) is B[K,N]
/// or Bᵀ with B stored [N,K]. beta is 0 (overwrite) or 1 (accumulate). `isa`: an ew_isa level, or -1
/// for the best this CPU has. BLIS-style packing into thread-local buffers allocated on a thread's
/// first call; single-threaded per call. The backward passes use it (dW = Xᵀ·dY, dX = dY·Wᵀ).
void ew_gemm_f32_packed(int isa, int trans_a, int trans_b, size_t m, size_t n, size_t k,
                        const float *a, size_t lda, const float *b, size_t ldb, float beta, float *c, size_t ldc);

/// Sets flush-to-zero and denormals-are-zero for the calling thread (x86-64; no-op elsewhere) and
/// returns the previous control word for ew_restore_fp_mode.
unsigned ew_enable_flush_to_zero(void);
/// Restores a control word returned by ew_enable_flush_to_zero.
void ew_restore_fp_mode(unsigned previous);

#ifdef __cplusplus
}
#endif
#include "edgewise_int8.h"  // the int8 kernels (TFLite-exact requantisation)
#endif
