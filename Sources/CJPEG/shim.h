// libjpeg(-turbo) for Swift. libjpeg reports errors by calling error_exit, which must not return, so
// the decode/encode calls are wrapped here with setjmp/longjmp (not expressible in Swift). Every
// function returns 0 on success, or -1 with a message in `err` (at least JMSG_LENGTH_MAX bytes).
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <setjmp.h>
#include <jpeglib.h>

typedef struct { struct jpeg_error_mgr pub; jmp_buf jump; char *err; } ew_jpeg_error;

static void ew_jpeg_error_exit(j_common_ptr cinfo) {
    ew_jpeg_error *e = (ew_jpeg_error *)cinfo->err;
    (*cinfo->err->format_message)(cinfo, e->err);
    longjmp(e->jump, 1);
}
static void ew_jpeg_silence(j_common_ptr cinfo, int level) { (void)cinfo; (void)level; }

/// The error manager every call below installs: errors longjmp back with their message in `err`, warnings
/// are silent. The caller still does the `setjmp(jerr->jump)` itself (it must run in the caller's frame).
static inline struct jpeg_error_mgr *ew_jpeg_errors(ew_jpeg_error *jerr, char *err) {
    struct jpeg_error_mgr *mgr = jpeg_std_error(&jerr->pub);
    jerr->pub.error_exit = ew_jpeg_error_exit;
    jerr->pub.emit_message = ew_jpeg_silence;
    jerr->err = err;
    return mgr;
}

/// Reads the size of a JPEG held in memory.
static inline int ew_jpeg_size(const unsigned char *data, unsigned long length, int *width, int *height, char *err) {
    struct jpeg_decompress_struct cinfo;
    ew_jpeg_error jerr;
    cinfo.err = ew_jpeg_errors(&jerr, err);
    if (setjmp(jerr.jump)) { jpeg_destroy_decompress(&cinfo); return -1; }
    jpeg_create_decompress(&cinfo);
    jpeg_mem_src(&cinfo, data, length);
    jpeg_read_header(&cinfo, TRUE);
    *width = (int)cinfo.image_width;
    *height = (int)cinfo.image_height;
    jpeg_destroy_decompress(&cinfo);
    return 0;
}

/// Decodes a JPEG held in memory to 8-bit grey (libjpeg converts colour) into `out` (width*height bytes).
static inline int ew_jpeg_decode_grey(const unsigned char *data, unsigned long length, unsigned char *out,
                                      int width, int height, char *err) {
    struct jpeg_decompress_struct cinfo;
    ew_jpeg_error jerr;
    cinfo.err = ew_jpeg_errors(&jerr, err);
    if (setjmp(jerr.jump)) { jpeg_destroy_decompress(&cinfo); return -1; }
    jpeg_create_decompress(&cinfo);
    jpeg_mem_src(&cinfo, data, length);
    jpeg_read_header(&cinfo, TRUE);
    cinfo.out_color_space = JCS_GRAYSCALE;
    jpeg_start_decompress(&cinfo);
    if ((int)cinfo.output_width != width || (int)cinfo.output_height != height || cinfo.output_components != 1) {
        snprintf(err, JMSG_LENGTH_MAX, "decoded size %ux%u differs from the header", cinfo.output_width, cinfo.output_height);
        jpeg_destroy_decompress(&cinfo);
        return -1;
    }
    while (cinfo.output_scanline < cinfo.output_height) {
        JSAMPROW row = out + (size_t)cinfo.output_scanline * (size_t)width;
        jpeg_read_scanlines(&cinfo, &row, 1);
    }
    jpeg_finish_decompress(&cinfo);
    jpeg_destroy_decompress(&cinfo);
    return 0;
}

/// Encodes 8-bit grey pixels as a baseline JPEG; `*out` is malloc'd (free it with free()).
/// `colour` 1 writes a three-component YCbCr JPEG of the grey image (what webcams' MJPEG carries).
static inline int ew_jpeg_encode_grey(const unsigned char *pixels, int width, int height, int quality, int colour,
                                      unsigned char **out, unsigned long *length, char *err) {
    unsigned char *rgb = colour ? (unsigned char *)malloc((size_t)width * 3) : NULL;
    struct jpeg_compress_struct cinfo;
    ew_jpeg_error jerr;
    cinfo.err = ew_jpeg_errors(&jerr, err);
    *out = NULL; *length = 0;
    if (setjmp(jerr.jump)) { jpeg_destroy_compress(&cinfo); free(rgb); return -1; }
    jpeg_create_compress(&cinfo);
    jpeg_mem_dest(&cinfo, out, length);
    cinfo.image_width = (JDIMENSION)width;
    cinfo.image_height = (JDIMENSION)height;
    cinfo.input_components = colour ? 3 : 1;
    cinfo.in_color_space = colour ? JCS_RGB : JCS_GRAYSCALE;
    jpeg_set_defaults(&cinfo);
    jpeg_set_quality(&cinfo, quality, TRUE);
    jpeg_start_compress(&cinfo, TRUE);
    while (cinfo.next_scanline < cinfo.image_height) {
        JSAMPROW row = (JSAMPROW)(pixels + (size_t)cinfo.next_scanline * (size_t)width);
        if (colour) {
            for (int x = 0; x < width; x++) rgb[3 * x] = rgb[3 * x + 1] = rgb[3 * x + 2] = row[x];
            row = rgb;
        }
        jpeg_write_scanlines(&cinfo, &row, 1);
    }
    jpeg_finish_compress(&cinfo);
    jpeg_destroy_compress(&cinfo);
    free(rgb);
    return 0;
}
