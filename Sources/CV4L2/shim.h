// libv4l2 for Swift: v4l2_open/v4l2_ioctl are variadic (unavailable in Swift) and the VIDIOC_* and
// V4L2_PIX_FMT_* macros are function-like (not imported), so this header wraps and re-exports them.
// libv4l2 converts formats the camera lacks (e.g. MJPEG -> RGB24) and reaches the kernel only through
// glibc's syscall(), which is what the test fake camera interposes (../shared/notes/platform-notes.md §4).
#include <fcntl.h>
#include <errno.h>
#include <poll.h>
#include <sys/mman.h>
#include <libv4l2.h>
#include <linux/videodev2.h>

static inline int ew_v4l2_open(const char *path, int flags) { return v4l2_open(path, flags); }
static inline int ew_v4l2_close(int fd) { return v4l2_close(fd); }
static inline int ew_v4l2_ioctl(int fd, unsigned long request, void *arg) { return v4l2_ioctl(fd, request, arg); }
static inline void *ew_v4l2_mmap(int fd, size_t length, long offset) {
    return v4l2_mmap(NULL, length, PROT_READ | PROT_WRITE, MAP_SHARED, fd, (int64_t)offset);
}
static inline int ew_v4l2_munmap(void *start, size_t length) { return v4l2_munmap(start, length); }
static inline int ew_errno(void) { return errno; }
static inline void *ew_map_failed(void) { return MAP_FAILED; }

static const unsigned long EW_VIDIOC_QUERYCAP = VIDIOC_QUERYCAP;
static const unsigned long EW_VIDIOC_ENUM_FMT = VIDIOC_ENUM_FMT;
static const unsigned long EW_VIDIOC_G_FMT = VIDIOC_G_FMT;
static const unsigned long EW_VIDIOC_S_FMT = VIDIOC_S_FMT;
static const unsigned long EW_VIDIOC_TRY_FMT = VIDIOC_TRY_FMT;
static const unsigned long EW_VIDIOC_ENUM_FRAMESIZES = VIDIOC_ENUM_FRAMESIZES;
static const unsigned long EW_VIDIOC_ENUM_FRAMEINTERVALS = VIDIOC_ENUM_FRAMEINTERVALS;
static const unsigned long EW_VIDIOC_G_PARM = VIDIOC_G_PARM;
static const unsigned long EW_VIDIOC_S_PARM = VIDIOC_S_PARM;
static const unsigned long EW_VIDIOC_REQBUFS = VIDIOC_REQBUFS;
static const unsigned long EW_VIDIOC_QUERYBUF = VIDIOC_QUERYBUF;
static const unsigned long EW_VIDIOC_QBUF = VIDIOC_QBUF;
static const unsigned long EW_VIDIOC_DQBUF = VIDIOC_DQBUF;
static const unsigned long EW_VIDIOC_STREAMON = VIDIOC_STREAMON;
static const unsigned long EW_VIDIOC_STREAMOFF = VIDIOC_STREAMOFF;

static const unsigned int EW_PIX_FMT_YUYV = V4L2_PIX_FMT_YUYV;
static const unsigned int EW_PIX_FMT_MJPEG = V4L2_PIX_FMT_MJPEG;
static const unsigned int EW_PIX_FMT_JPEG = V4L2_PIX_FMT_JPEG;
static const unsigned int EW_PIX_FMT_GREY = V4L2_PIX_FMT_GREY;
static const unsigned int EW_PIX_FMT_RGB24 = V4L2_PIX_FMT_RGB24;
