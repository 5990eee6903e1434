// Test-only: an emulated V4L2 camera. This target defines `syscall`, which libv4l2 calls for every
// device operation (open, ioctl, mmap, close), so linking it into a test executable turns one chosen
// path into a camera backed by a memfd (../shared/notes/platform-notes.md §4). Other paths and
// syscalls pass through to glibc. Not thread-safe: keep its tests in one `.serialized` suite.
#ifndef EW_FAKE_CAMERA_H
#define EW_FAKE_CAMERA_H
#include <stddef.h>
#include <stdint.h>

/// Forgets frames and cues; the camera will appear at `path` with native format `fourcc` (YUYV or MJPG).
void ew_fakecam_configure(const char *path, uint32_t fourcc, int width, int height);
/// Appends one frame (raw YUYV bytes, or one JPEG); frames are served in a loop. Copies the bytes.
void ew_fakecam_add_frame(const void *data, size_t length);
/// After `after_frames` more frames, the next `count` DQBUFs fail with `err` (e.g. EIO).
void ew_fakecam_fail_dqbuf(int after_frames, int err, int count);
/// After `after_frames` more frames the camera vanishes: ioctls fail with ENODEV and the next
/// `failed_opens` opens fail with ENOENT, after which it is back.
void ew_fakecam_vanish(int after_frames, int failed_opens);
/// Successful opens of the fake path so far, and frames served.
int ew_fakecam_open_count(void);
int ew_fakecam_frames_served(void);
/// Turns the fake off (the path then behaves like any missing file).
void ew_fakecam_disable(void);
#endif
