// See include/alsa_faults.h. Resolves the real functions with dlsym(RTLD_NEXT) (libasound).
#define _GNU_SOURCE
#include "alsa_faults.h"
#include <alsa/asoundlib.h>
#include <dlfcn.h>
#include <errno.h>

static int64_t readi_calls, open_calls, xrun_at, gone_from, gone_count, open_failures;

void ew_alsa_faults_reset(void) { readi_calls = open_calls = xrun_at = gone_from = gone_count = open_failures = 0; }
void ew_alsa_faults_xrun_at(int64_t call) { xrun_at = readi_calls + call; }
void ew_alsa_faults_gone_at(int64_t call, int64_t count) { gone_from = readi_calls + call; gone_count = count; }
void ew_alsa_faults_fail_opens(int64_t count) { open_failures = count; }
int64_t ew_alsa_faults_readi_calls(void) { return readi_calls; }
int64_t ew_alsa_faults_open_calls(void) { return open_calls; }

snd_pcm_sframes_t snd_pcm_readi(snd_pcm_t *pcm, void *buffer, snd_pcm_uframes_t size) {
    static snd_pcm_sframes_t (*real)(snd_pcm_t *, void *, snd_pcm_uframes_t);
    if (!real) real = (snd_pcm_sframes_t (*)(snd_pcm_t *, void *, snd_pcm_uframes_t))dlsym(RTLD_NEXT, "snd_pcm_readi");
    int64_t n = ++readi_calls;
    if (xrun_at && n == xrun_at) return -EPIPE;
    if (gone_from && n >= gone_from && (gone_count < 0 || n < gone_from + gone_count)) return -ENODEV;
    return real(pcm, buffer, size);
}

int snd_pcm_open(snd_pcm_t **pcm, const char *name, snd_pcm_stream_t stream, int mode) {
    static int (*real)(snd_pcm_t **, const char *, snd_pcm_stream_t, int);
    if (!real) real = (int (*)(snd_pcm_t **, const char *, snd_pcm_stream_t, int))dlsym(RTLD_NEXT, "snd_pcm_open");
    open_calls++;
    if (open_failures != 0) {
        if (open_failures > 0) open_failures--;
        return -ENODEV;
    }
    return real(pcm, name, stream, mode);
}
