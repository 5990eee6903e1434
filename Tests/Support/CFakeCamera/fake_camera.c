// Test-only emulated V4L2 camera (see include/fake_camera.h).
#define _GNU_SOURCE
#include "fake_camera.h"
#include <dlfcn.h>
#include <errno.h>
#include <linux/videodev2.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#define NBUF 8
typedef long (*syscall_fn)(long, ...);

static char fake_path[256];
static int enabled = 0, fake_fd = -1;
static uint32_t fmt_fourcc;
static int fmt_w, fmt_h;
static unsigned char **frames;
static size_t *frame_len;
static int nframes, next_frame, served, opens;
static size_t slot;
static int nbuf, queued[NBUF], queue_order[NBUF], qhead, qcount, streaming;
static unsigned sequence;
static int fail_after = -1, fail_err, fail_count;
static int vanish_after = -1, vanished, failed_opens_left;

static long real_syscall(long nr, long a, long b, long c, long d, long e, long f) {
    static syscall_fn real;
    if (!real) real = (syscall_fn)dlsym(RTLD_NEXT, "syscall");
    return real(nr, a, b, c, d, e, f);
}

void ew_fakecam_configure(const char *path, uint32_t fourcc, int width, int height) {
    for (int i = 0; i < nframes; i++) free(frames[i]);
    free(frames); free(frame_len);
    frames = NULL; frame_len = NULL; nframes = 0; next_frame = 0; served = 0; opens = 0;
    strncpy(fake_path, path, sizeof fake_path - 1);
    fmt_fourcc = fourcc; fmt_w = width; fmt_h = height;
    fail_after = -1; fail_count = 0; vanish_after = -1; vanished = 0; failed_opens_left = 0;
    enabled = 1;
}

void ew_fakecam_add_frame(const void *data, size_t length) {
    frames = realloc(frames, sizeof(*frames) * (size_t)(nframes + 1));
    frame_len = realloc(frame_len, sizeof(*frame_len) * (size_t)(nframes + 1));
    frames[nframes] = malloc(length);
    memcpy(frames[nframes], data, length);
    frame_len[nframes] = length;
    nframes++;
}

void ew_fakecam_fail_dqbuf(int after_frames, int err, int count) { fail_after = after_frames; fail_err = err; fail_count = count; }
void ew_fakecam_vanish(int after_frames, int failed_opens) { vanish_after = after_frames; failed_opens_left = failed_opens; }
int ew_fakecam_open_count(void) { return opens; }
int ew_fakecam_frames_served(void) { return served; }
void ew_fakecam_disable(void) { enabled = 0; }

static size_t frame_bytes(void) {
    return fmt_fourcc == V4L2_PIX_FMT_YUYV ? (size_t)fmt_w * (size_t)fmt_h * 2 : slot;
}

static void fill_pix(struct v4l2_pix_format *p) {
    p->width = (uint32_t)fmt_w; p->height = (uint32_t)fmt_h;
    p->pixelformat = fmt_fourcc;
    p->field = V4L2_FIELD_NONE;
    p->bytesperline = fmt_fourcc == V4L2_PIX_FMT_YUYV ? (uint32_t)fmt_w * 2 : 0;
    p->sizeimage = (uint32_t)frame_bytes();
    p->colorspace = fmt_fourcc == V4L2_PIX_FMT_YUYV ? V4L2_COLORSPACE_SMPTE170M : V4L2_COLORSPACE_JPEG;
}

static int fail(int err) { errno = err; return -1; }

static int fake_ioctl(unsigned long req, void *arg) {
    if (vanished) return fail(ENODEV);
    switch (req) {
    case VIDIOC_QUERYCAP: {
        struct v4l2_capability *c = arg;
        memset(c, 0, sizeof *c);
        strcpy((char *)c->driver, "ew-fakecam");
        strcpy((char *)c->card, "Edgewise emulated camera");
        strcpy((char *)c->bus_info, "platform:ew-fakecam");
        c->version = 0x060100;
        c->device_caps = V4L2_CAP_VIDEO_CAPTURE | V4L2_CAP_STREAMING;
        c->capabilities = c->device_caps | V4L2_CAP_DEVICE_CAPS;
        return 0;
    }
    case VIDIOC_ENUM_FMT: {
        struct v4l2_fmtdesc *d = arg;
        if (d->index != 0 || d->type != V4L2_BUF_TYPE_VIDEO_CAPTURE) return fail(EINVAL);
        d->pixelformat = fmt_fourcc;
        d->flags = fmt_fourcc == V4L2_PIX_FMT_YUYV ? 0 : V4L2_FMT_FLAG_COMPRESSED;
        strcpy((char *)d->description, fmt_fourcc == V4L2_PIX_FMT_YUYV ? "YUYV 4:2:2" : "Motion-JPEG");
        return 0;
    }
    case VIDIOC_ENUM_FRAMESIZES: {
        struct v4l2_frmsizeenum *s = arg;
        if (s->index != 0 || s->pixel_format != fmt_fourcc) return fail(EINVAL);
        s->type = V4L2_FRMSIZE_TYPE_DISCRETE;
        s->discrete.width = (uint32_t)fmt_w; s->discrete.height = (uint32_t)fmt_h;
        return 0;
    }
    case VIDIOC_ENUM_FRAMEINTERVALS: {
        struct v4l2_frmivalenum *v = arg;
        if (v->index != 0) return fail(EINVAL);
        v->type = V4L2_FRMIVAL_TYPE_DISCRETE;
        v->discrete.numerator = 1; v->discrete.denominator = 30;
        return 0;
    }
    case VIDIOC_G_FMT: case VIDIOC_S_FMT: case VIDIOC_TRY_FMT: {
        struct v4l2_format *f = arg;
        if (f->type != V4L2_BUF_TYPE_VIDEO_CAPTURE) return fail(EINVAL);
        if (req == VIDIOC_S_FMT && streaming) return fail(EBUSY);
        fill_pix(&f->fmt.pix);
        return 0;
    }
    case VIDIOC_G_PARM: case VIDIOC_S_PARM: {
        struct v4l2_streamparm *p = arg;
        if (p->type != V4L2_BUF_TYPE_VIDEO_CAPTURE) return fail(EINVAL);
        memset(&p->parm, 0, sizeof p->parm);
        p->parm.capture.capability = V4L2_CAP_TIMEPERFRAME;
        p->parm.capture.timeperframe.numerator = 1;
        p->parm.capture.timeperframe.denominator = 30;
        return 0;
    }
    case VIDIOC_G_INPUT: *(int *)arg = 0; return 0;
    case VIDIOC_S_INPUT: return *(int *)arg == 0 ? 0 : fail(EINVAL);
    case VIDIOC_ENUMINPUT: {
        struct v4l2_input *in = arg;
        if (in->index != 0) return fail(EINVAL);
        strcpy((char *)in->name, "Camera");
        in->type = V4L2_INPUT_TYPE_CAMERA;
        return 0;
    }
    case VIDIOC_REQBUFS: {
        struct v4l2_requestbuffers *r = arg;
        if (r->memory != V4L2_MEMORY_MMAP) return fail(EINVAL);
        if (streaming && r->count) return fail(EBUSY);
        nbuf = r->count > NBUF ? NBUF : (int)r->count;
        r->count = (uint32_t)nbuf;
        memset(queued, 0, sizeof queued); qhead = 0; qcount = 0;
        return 0;
    }
    case VIDIOC_QUERYBUF: case VIDIOC_QBUF: {
        struct v4l2_buffer *b = arg;
        if ((int)b->index >= nbuf || b->memory != V4L2_MEMORY_MMAP) return fail(EINVAL);
        b->length = (uint32_t)slot;
        b->m.offset = (uint32_t)(b->index * slot);
        if (req == VIDIOC_QBUF) {
            if (queued[b->index]) return fail(EINVAL);
            queued[b->index] = 1;
            queue_order[(qhead + qcount) % NBUF] = (int)b->index;
            qcount++;
        }
        b->flags = V4L2_BUF_FLAG_MAPPED | (queued[b->index] ? V4L2_BUF_FLAG_QUEUED : 0);
        return 0;
    }
    case VIDIOC_STREAMON: streaming = 1; return 0;
    case VIDIOC_STREAMOFF: streaming = 0; memset(queued, 0, sizeof queued); qcount = 0; return 0;
    case VIDIOC_DQBUF: {
        struct v4l2_buffer *b = arg;
        if (!streaming || qcount == 0 || nframes == 0) return fail(EAGAIN);
        if (vanish_after == 0) { vanished = 1; vanish_after = -1; return fail(ENODEV); }
        if (fail_after == 0 && fail_count > 0) { fail_count--; return fail(fail_err); }
        int index = queue_order[qhead];
        qhead = (qhead + 1) % NBUF; qcount--;
        queued[index] = 0;
        int k = next_frame++ % nframes;
        real_syscall(SYS_pwrite64, fake_fd, (long)frames[k], (long)frame_len[k], (long)((size_t)index * slot), 0, 0);
        memset(b, 0, sizeof *b);
        b->type = V4L2_BUF_TYPE_VIDEO_CAPTURE;
        b->memory = V4L2_MEMORY_MMAP;
        b->index = (uint32_t)index;
        b->bytesused = (uint32_t)frame_len[k];
        b->length = (uint32_t)slot;
        b->m.offset = (uint32_t)((size_t)index * slot);
        b->flags = V4L2_BUF_FLAG_MAPPED | V4L2_BUF_FLAG_DONE;
        b->field = V4L2_FIELD_NONE;
        b->sequence = sequence++;
        struct timespec ts; clock_gettime(CLOCK_MONOTONIC, &ts);
        b->timestamp.tv_sec = ts.tv_sec; b->timestamp.tv_usec = ts.tv_nsec / 1000;
        served++;
        if (fail_after > 0) fail_after--;
        if (vanish_after > 0) vanish_after--;
        return 0;
    }
    default: return fail(ENOTTY);
    }
}

long syscall(long nr, ...) {
    va_list ap;
    va_start(ap, nr);
    long a = va_arg(ap, long), b = va_arg(ap, long), c = va_arg(ap, long);
    long d = va_arg(ap, long), e = va_arg(ap, long), f = va_arg(ap, long);
    va_end(ap);
    if (enabled) {
        if (nr == SYS_openat && b && strcmp((const char *)b, fake_path) == 0) {
            if (failed_opens_left > 0 && vanished) {
                if (--failed_opens_left == 0) vanished = 0;
                errno = ENOENT; return -1;
            }
            vanished = 0;
            size_t maxlen = (size_t)fmt_w * (size_t)fmt_h * 2;
            for (int i = 0; i < nframes; i++) if (frame_len[i] > maxlen) maxlen = frame_len[i];
            slot = (maxlen + 4095) & ~(size_t)4095;
            long fd = real_syscall(SYS_memfd_create, (long)"ew-fakecam", 0, 0, 0, 0, 0);
            if (fd < 0) return fd;
            real_syscall(SYS_ftruncate, fd, (long)(slot * NBUF), 0, 0, 0, 0);
            fake_fd = (int)fd; nbuf = 0; streaming = 0; qcount = 0; qhead = 0; sequence = 0;
            opens++;
            return fd;
        }
        if (nr == SYS_ioctl && fake_fd >= 0 && (int)a == fake_fd) return fake_ioctl((unsigned long)b, (void *)c);
        if (nr == SYS_close && fake_fd >= 0 && (int)a == fake_fd) fake_fd = -1;
    }
    return real_syscall(nr, a, b, c, d, e, f);
}
