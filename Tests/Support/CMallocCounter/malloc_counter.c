// Interposes the allocator entry points in the test executable and counts calls while enabled.
#define _GNU_SOURCE
#include "malloc_counter.h"
#include <dlfcn.h>
#include <stddef.h>
#include <stdatomic.h>

static _Atomic int enabled;
static _Atomic int64_t count;

extern void *__libc_malloc(size_t);
extern void *__libc_calloc(size_t, size_t);
extern void *__libc_realloc(void *, size_t);
extern void *__libc_memalign(size_t, size_t);

void *malloc(size_t n) { if (enabled) atomic_fetch_add(&count, 1); return __libc_malloc(n); }
void *calloc(size_t a, size_t b) { if (enabled) atomic_fetch_add(&count, 1); return __libc_calloc(a, b); }
void *realloc(void *p, size_t n) { if (enabled) atomic_fetch_add(&count, 1); return __libc_realloc(p, n); }
int posix_memalign(void **out, size_t align, size_t n) {
  if (enabled) atomic_fetch_add(&count, 1);
  void *p = __libc_memalign(align, n);
  if (!p) return 12;
  *out = p;
  return 0;
}
void *aligned_alloc(size_t align, size_t n) { if (enabled) atomic_fetch_add(&count, 1); return __libc_memalign(align, n); }
void *memalign(size_t align, size_t n) { if (enabled) atomic_fetch_add(&count, 1); return __libc_memalign(align, n); }

void ew_malloc_counter_start(void) { atomic_store(&count, 0); atomic_store(&enabled, 1); }
int64_t ew_malloc_counter_stop(void) { atomic_store(&enabled, 0); return atomic_load(&count); }
