// Benchmark support: the fp32 FMA peak of one core, measured in the calling process, so kernel benchmarks can report
// a fraction of the peak of the same machine in the same run (frequency and host load vary between runs and VMs).
// Each variant runs 12 independent FMA chains on the ISA's widest vector register (this CPU needs >= 8 chains to
// saturate its FMA pipes) and times them with clock_gettime(CLOCK_MONOTONIC); best of 7 runs of ~5-10 ms.
#define _POSIX_C_SOURCE 199309L
#include "../ew_internal.h"
#include <time.h>

#if EW_HAVE_X86
#include <immintrin.h>
#endif

static double ew_now_s(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

#define EW_PEAK_ITERS (1u << 20)
#define EW_PEAK_RUNS 7

/// Portable: 12 chains of 4-float multiply-adds in plain C (whatever the compiler makes of it for the baseline).
static double ew_peak_generic(void) {
  float acc[12][4];
  for (int i = 0; i < 12; i++)
    for (int l = 0; l < 4; l++) acc[i][l] = 1.0f + 0.001f * (float)(i * 4 + l);
  const float b = 0.99999994f, c = 1e-7f;
  const double t0 = ew_now_s();
  for (unsigned it = 0; it < EW_PEAK_ITERS / 16; it++) {
    for (int u = 0; u < 8; u++)
      for (int i = 0; i < 12; i++)
        for (int l = 0; l < 4; l++) acc[i][l] = acc[i][l] * b + c;
    ew_escape(acc);
  }
  const double t = ew_now_s() - t0;
  return (double)(EW_PEAK_ITERS / 16) * 8 * 12 * 4 * 2 / t * 1e-9;
}

#if EW_HAVE_X86
#define EW_PEAK_BODY(V, SET1, FMA, ADD, STORE, LANES)                                                                \
  V a0 = SET1(1.00f), a1 = SET1(1.01f), a2 = SET1(1.02f), a3 = SET1(1.03f), a4 = SET1(1.04f), a5 = SET1(1.05f);    \
  V a6 = SET1(1.06f), a7 = SET1(1.07f), a8 = SET1(1.08f), a9 = SET1(1.09f), a10 = SET1(1.10f), a11 = SET1(1.11f);  \
  const V b = SET1(0.99999994f), c = SET1(1e-7f);                                                                    \
  const double t0 = ew_now_s();                                                                                      \
  for (unsigned it = 0; it < EW_PEAK_ITERS; it++) {                                                                  \
    a0 = FMA(a0, b, c); a1 = FMA(a1, b, c); a2 = FMA(a2, b, c); a3 = FMA(a3, b, c);                                  \
    a4 = FMA(a4, b, c); a5 = FMA(a5, b, c); a6 = FMA(a6, b, c); a7 = FMA(a7, b, c);                                  \
    a8 = FMA(a8, b, c); a9 = FMA(a9, b, c); a10 = FMA(a10, b, c); a11 = FMA(a11, b, c);                              \
    /* keeps the chains in registers and opaque to the optimiser; emits no instruction */                           \
    __asm__ volatile("" : "+v"(a0), "+v"(a1), "+v"(a2), "+v"(a3), "+v"(a4), "+v"(a5));                              \
    __asm__ volatile("" : "+v"(a6), "+v"(a7), "+v"(a8), "+v"(a9), "+v"(a10), "+v"(a11));                            \
  }                                                                                                                  \
  const double t = ew_now_s() - t0;                                                                                  \
  V s = ADD(ADD(ADD(a0, a1), ADD(a2, a3)), ADD(ADD(a4, a5), ADD(a6, a7)));                                           \
  s = ADD(s, ADD(ADD(a8, a9), ADD(a10, a11)));                                                                       \
  float sink[LANES];                                                                                                 \
  STORE(sink, s);                                                                                                    \
  ew_escape(sink);                                                                                                   \
  return (double)EW_PEAK_ITERS * 12 * (LANES) * 2 / t * 1e-9;

EW_TARGET_AVX2 static double ew_peak_avx2(void) {
  EW_PEAK_BODY(__m256, _mm256_set1_ps, _mm256_fmadd_ps, _mm256_add_ps, _mm256_storeu_ps, 8)
}

EW_TARGET_AVX512 static double ew_peak_avx512(void) {
  EW_PEAK_BODY(__m512, _mm512_set1_ps, _mm512_fmadd_ps, _mm512_add_ps, _mm512_storeu_ps, 16)
}
#endif

double ew_bench_peak_f32_gflops(ew_isa isa) {
  if (!ew_kernel_table_for(isa)) return 0.0;
  double best = 0.0;
  for (int r = 0; r < EW_PEAK_RUNS; r++) {
    double g = 0.0;
    switch (isa) {
#if EW_HAVE_X86
    case EW_ISA_AVX2: g = ew_peak_avx2(); break;
    case EW_ISA_AVX512: g = ew_peak_avx512(); break;
#endif
    default: g = ew_peak_generic(); break;
    }
    if (g > best) best = g;
  }
  return best;
}
