// libpng's simplified API (png_image_*): 8-bit grey and RGB read/write, no setjmp needed.
#include <png.h>
static const unsigned int EW_PNG_IMAGE_VERSION = PNG_IMAGE_VERSION;
static const unsigned int EW_PNG_FORMAT_GRAY = PNG_FORMAT_GRAY;
static const unsigned int EW_PNG_FORMAT_RGB = PNG_FORMAT_RGB;
