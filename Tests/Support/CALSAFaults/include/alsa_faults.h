// Test-only: interposes snd_pcm_readi and snd_pcm_open in the test executable so tests can inject the
// failures real hardware gives (an overrun, an unplugged device) over ALSA's `file` plugin. Off until armed.
#ifndef EW_ALSA_FAULTS_H
#define EW_ALSA_FAULTS_H
#include <stdint.h>
/// Disarms every fault and zeroes the counters.
void ew_alsa_faults_reset(void);
/// The `call`-th snd_pcm_readi from now (1-based) returns -EPIPE without reading.
void ew_alsa_faults_xrun_at(int64_t call);
/// snd_pcm_readi calls `call` … `call + count - 1` from now return -ENODEV (count < 0: forever).
void ew_alsa_faults_gone_at(int64_t call, int64_t count);
/// The next `count` snd_pcm_open calls fail with -ENODEV (count < 0: all of them).
void ew_alsa_faults_fail_opens(int64_t count);
/// snd_pcm_readi / snd_pcm_open calls seen since the last reset.
int64_t ew_alsa_faults_readi_calls(void);
int64_t ew_alsa_faults_open_calls(void);
#endif
