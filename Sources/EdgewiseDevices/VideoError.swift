import Foundation

/// Why a V4L2 camera could not be used. Every case names the device; errno values are spelled out.
public enum VideoError: Error, CustomStringConvertible, Equatable, Sendable {
    /// `open` failed (no such device, permission, busy).
    case cannotOpen(device: String, errno: Int32)
    /// The device is not a streaming video-capture device.
    case notACaptureDevice(device: String, capabilities: UInt32)
    /// None of the pixel formats Edgewise reads (GREY, YUYV, RGB24; libv4l2 converts MJPEG) is offered.
    case noUsableFormat(device: String, offered: [String])
    /// An ioctl the setup needs failed.
    case ioctlFailed(device: String, request: String, errno: Int32)
    /// Mapping a capture buffer failed.
    case mmapFailed(device: String, buffer: Int, errno: Int32)
    /// The camera disappeared (ENODEV) or stopped delivering, and reopening failed `attempts` times.
    case deviceLost(device: String, attempts: Int, lastErrno: Int32)

    public var description: String {
        func e(_ n: Int32) -> String { "\(String(cString: strerror(n))) (errno \(n))" }
        switch self {
        case let .cannotOpen(d, n): return "cannot open camera \(d): \(e(n))"
        case let .notACaptureDevice(d, caps): return "\(d) is not a streaming video-capture device (capabilities 0x\(String(caps, radix: 16)))"
        case let .noUsableFormat(d, offered):
            return "camera \(d) offers no usable pixel format (offered: \(offered.joined(separator: ", ")); need GREY, YUYV or RGB24)"
        case let .ioctlFailed(d, r, n): return "camera \(d): \(r) failed: \(e(n))"
        case let .mmapFailed(d, b, n): return "camera \(d): mapping buffer \(b) failed: \(e(n))"
        case let .deviceLost(d, attempts, n): return "camera \(d) was lost and \(attempts) reopen attempts failed (last: \(e(n)))"
        }
    }
}
