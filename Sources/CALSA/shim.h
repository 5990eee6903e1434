// libasound (ALSA), Debian package libasound2-dev. The error handler type is variadic, so Swift cannot
// write one: ew_alsa_quiet() installs a silent handler here (the library reports errors through return
// codes and snd_strerror instead of printing "ALSA lib ..." lines to standard error).
#include <alsa/asoundlib.h>

static void ew_alsa_silent_handler(const char *file, int line, const char *function, int err, const char *fmt, ...) {
    (void)file; (void)line; (void)function; (void)err; (void)fmt;
}

static inline void ew_alsa_quiet(void) { snd_lib_error_set_handler(ew_alsa_silent_handler); }
