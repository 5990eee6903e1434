// CPU feature probe. The ISA level is computed on first use and cached in an atomic: the probe is idempotent, so
// concurrent first calls from several threads may each compute it, but all store the same value (no data race, no
// lock). `__builtin_cpu_supports` also checks that the OS saves the AVX/AVX-512 register state (XCR0).
//
// EDGEWISE_MAX_ISA=generic|avx2|avx512 in the environment caps the level (read once, at the first probe), so the
// lower tables can be exercised on a bigger CPU (tests then report the capped ISAs' tests as skipped).
#include "ew_internal.h"
#include <stdlib.h>
#include <string.h>

static int ew_isa_cap(void) {
  const char *v = getenv("EDGEWISE_MAX_ISA");
  if (!v) return EW_ISA_AVX512;
  if (!strcmp(v, "generic")) return EW_ISA_GENERIC;
  if (!strcmp(v, "avx2")) return EW_ISA_AVX2;
  return EW_ISA_AVX512;
}

static int ew_probe_isa(void) {
#if EW_HAVE_X86
  __builtin_cpu_init();
  if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) {
    if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
        __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512dq"))
      return EW_ISA_AVX512;
    return EW_ISA_AVX2;
  }
#endif
  return EW_ISA_GENERIC;
}

static int cached = -1; // the probed level, or -1 before the first call; accessed only through __atomic builtins

void ew_cpu_best_isa_forget(void) { __atomic_store_n(&cached, -1, __ATOMIC_RELEASE); }

ew_isa ew_cpu_best_isa(void) {
  int v = __atomic_load_n(&cached, __ATOMIC_ACQUIRE);
  if (v < 0) {
    v = ew_probe_isa();
    const int cap = ew_isa_cap();
    if (v > cap) v = cap;
    __atomic_store_n(&cached, v, __ATOMIC_RELEASE);
  }
  return (ew_isa)v;
}

void ew_escape(void *p) { __asm__ volatile("" : : "r"(p) : "memory"); }
