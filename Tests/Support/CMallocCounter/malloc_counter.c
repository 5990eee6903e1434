// Interposes the allocator entry points in the test executable and counts calls while enabled.
#define _GNU_SOURCE
#include "malloc_counter.h"
#include <dlfcn.h>
#include <stddef.h>

// Per thread, so tests running in parallel on other threads do not pollute the count.
static _Thread_local int enabled;
static _Thread_local int64_t count;

extern void *__libc_malloc(size_t);
extern void *__libc_calloc(size_t, size_t);
extern void *__libc_realloc(void *, size_t);
extern void *__libc_memalign(size_t, size_t);

void *malloc(size_t n) { if (enabled) count++; return __libc_malloc(n); }
void *calloc(size_t a, size_t b) { if (enabled) count++; return __libc_calloc(a, b); }
void *realloc(void *p, size_t n) { if (enabled) count++; return __libc_realloc(p, n); }
int posix_memalign(void **out, size_t align, size_t n) {
  if (enabled) count++;
  void *p = __libc_memalign(align, n);
  if (!p) return 12;
  *out = p;
  return 0;
}
void *aligned_alloc(size_t align, size_t n) { if (enabled) count++; return __libc_memalign(align, n); }
void *memalign(size_t align, size_t n) { if (enabled) count++; return __libc_memalign(align, n); }

void ew_malloc_counter_start(void) { count = 0; enabled = 1; }
int64_t ew_malloc_counter_stop(void) { enabled = 0; return count; }
