// Test-only: counts heap allocations made by this process while counting is on.
#ifndef EW_MALLOC_COUNTER_H
#define EW_MALLOC_COUNTER_H
#include <stdint.h>
void ew_malloc_counter_start(void);
/// Counts on the calling thread only. Stops counting and returns the number of malloc/calloc/realloc/posix_memalign/aligned_alloc calls.
int64_t ew_malloc_counter_stop(void);
#endif
