/// Why an image file, a frame stream or a camera failed. Every case names the file or device.
public enum ImageError: Error, CustomStringConvertible, Equatable, Sendable {
    /// The file does not exist or cannot be opened.
    case cannotOpen(String, reason: String)
    /// libpng or libjpeg rejected the file (corrupt, truncated or not an image).
    case undecodable(file: String, reason: String)
    /// Writing an image failed.
    case cannotWrite(file: String, reason: String)
    /// The file's extension is not one of the supported ones.
    case unsupportedFormat(file: String)
    /// A Y4M stream is malformed; `position` is the byte offset or frame number.
    case malformedY4M(source: String, position: String, reason: String)

    public var description: String {
        switch self {
        case let .cannotOpen(f, reason): "cannot open \(f): \(reason)"
        case let .undecodable(f, reason): "cannot decode image \(f): \(reason)"
        case let .cannotWrite(f, reason): "cannot write image \(f): \(reason)"
        case let .unsupportedFormat(f): "unsupported image format: \(f) (expected .png, .jpg or .jpeg)"
        case let .malformedY4M(s, pos, reason): "malformed Y4M stream \(s) at \(pos): \(reason)"
        }
    }
}
