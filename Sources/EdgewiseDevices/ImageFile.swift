import CJPEG
import CPNG
import Foundation

/// PNG and JPEG files, decoded by libpng and libjpeg-turbo (never by a decoder of our own). Colour
/// images are converted to grey by the libraries (libpng: sRGB luminance; libjpeg: the Y channel).
public enum ImageFile {
    /// The extensions `read` accepts, lower case.
    public static let extensions: Set<String> = ["png", "jpg", "jpeg"]

    /// Decodes a PNG or JPEG file (chosen by extension) to grey.
    public static func read(_ path: String) throws -> GreyImage {
        var image = GreyImage(width: 0, height: 0)
        try read(path, into: &image)
        return image
    }

    /// Decodes into an existing image, reusing its storage when the size matches.
    public static func read(_ path: String, into image: inout GreyImage) throws {
        switch (path as NSString).pathExtension.lowercased() {
        case "png": try readPNG(path, into: &image)
        case "jpg", "jpeg":
            guard let data = FileManager.default.contents(atPath: path) else {
                throw ImageError.cannotOpen(path, reason: "no such file or not readable")
            }
            try decodeJPEG(data, name: path, into: &image)
        default: throw ImageError.unsupportedFormat(file: path)
        }
    }

    static func readPNG(_ path: String, into image: inout GreyImage) throws {
        guard FileManager.default.isReadableFile(atPath: path) else {
            throw ImageError.cannotOpen(path, reason: "no such file or not readable")
        }
        var png = png_image()
        png.version = png_uint_32(EW_PNG_IMAGE_VERSION)
        guard png_image_begin_read_from_file(&png, path) != 0 else {
            throw ImageError.undecodable(file: path, reason: pngMessage(&png))
        }
        png.format = png_uint_32(EW_PNG_FORMAT_GRAY)
        image.resize(width: Int(png.width), height: Int(png.height))
        let ok = image.pixels.withUnsafeMutableBytes {
            png_image_finish_read(&png, nil, $0.baseAddress, png_int_32(png.width), nil)
        }
        guard ok != 0 else {
            let message = pngMessage(&png)
            png_image_free(&png)
            throw ImageError.undecodable(file: path, reason: message)
        }
    }

    private static func pngMessage(_ png: inout png_image) -> String {
        withUnsafeBytes(of: &png.message) { String(cString: $0.bindMemory(to: CChar.self).baseAddress!) }
    }

    /// Decodes a JPEG held in memory (a file's bytes or an MJPEG frame) to grey.
    public static func decodeJPEG(_ data: Data, name: String, into image: inout GreyImage) throws {
        var err = [CChar](repeating: 0, count: 256)
        var w: Int32 = 0, h: Int32 = 0
        let rc = data.withUnsafeBytes { raw -> Int32 in
            let p = raw.bindMemory(to: UInt8.self).baseAddress
            guard ew_jpeg_size(p, UInt(raw.count), &w, &h, &err) == 0 else { return -1 }
            image.resize(width: Int(w), height: Int(h))
            return image.pixels.withUnsafeMutableBufferPointer {
                ew_jpeg_decode_grey(p, UInt(raw.count), $0.baseAddress, w, h, &err)
            }
        }
        guard rc == 0 else { throw ImageError.undecodable(file: name, reason: String(cString: err)) }
    }

    /// Encodes a grey image as a baseline JPEG; `colour` writes three YCbCr components (as webcam
    /// MJPEG does; libv4l2's MJPEG converter needs them) instead of one.
    public static func encodeJPEG(_ image: GreyImage, quality: Int = 90, colour: Bool = false) throws -> Data {
        var err = [CChar](repeating: 0, count: 256)
        var out: UnsafeMutablePointer<UInt8>? = nil
        var length: UInt = 0
        let rc = image.pixels.withUnsafeBufferPointer {
            ew_jpeg_encode_grey($0.baseAddress, Int32(image.width), Int32(image.height), Int32(quality), colour ? 1 : 0, &out, &length, &err)
        }
        defer { free(out) }
        guard rc == 0, let out else { throw ImageError.cannotWrite(file: "<memory>", reason: String(cString: err)) }
        return Data(bytes: out, count: Int(length))
    }

    /// Writes an 8-bit grey PNG.
    public static func writePNG(_ image: GreyImage, to path: String) throws {
        try writePNG(bytes: image.pixels, width: image.width, height: image.height,
                     format: EW_PNG_FORMAT_GRAY, channels: 1, to: path)
    }

    /// Writes an 8-bit RGB PNG.
    public static func writePNG(_ image: RGBImage, to path: String) throws {
        try writePNG(bytes: image.pixels, width: image.width, height: image.height,
                     format: EW_PNG_FORMAT_RGB, channels: 3, to: path)
    }

    private static func writePNG(bytes: [UInt8], width: Int, height: Int, format: UInt32, channels: Int, to path: String) throws {
        var png = png_image()
        png.version = png_uint_32(EW_PNG_IMAGE_VERSION)
        png.width = png_uint_32(width)
        png.height = png_uint_32(height)
        png.format = png_uint_32(format)
        let ok = bytes.withUnsafeBytes {
            png_image_write_to_file(&png, path, 0, $0.baseAddress, png_int_32(width * channels), nil)
        }
        guard ok != 0 else { throw ImageError.cannotWrite(file: path, reason: pngMessage(&png)) }
    }
}
