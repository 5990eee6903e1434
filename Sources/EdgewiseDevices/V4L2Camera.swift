import CV4L2
import Foundation

/// A four-character V4L2 pixel format code such as `YUYV`.
public struct FourCC: Hashable, Sendable, CustomStringConvertible {
    public let rawValue: UInt32
    public init(_ rawValue: UInt32) { self.rawValue = rawValue }
    public static let yuyv = FourCC(EW_PIX_FMT_YUYV)
    public static let mjpeg = FourCC(EW_PIX_FMT_MJPEG)
    public static let jpeg = FourCC(EW_PIX_FMT_JPEG)
    public static let grey = FourCC(EW_PIX_FMT_GREY)
    public static let rgb24 = FourCC(EW_PIX_FMT_RGB24)
    public var description: String {
        String(decoding: (0..<4).map { UInt8(truncatingIfNeeded: rawValue >> (8 * $0)) }, as: UTF8.self)
    }
}

/// One pixel format a camera offers, with its discrete frame sizes.
public struct VideoFormat: Sendable, Equatable {
    public let fourcc: FourCC
    public let description: String
    /// Converted by libv4l2 in software rather than produced by the camera.
    public let emulated: Bool
    public let compressed: Bool
    /// Discrete sizes (width, height); for stepwise ranges, the minimum and maximum.
    public let sizes: [[Int]]
}

/// What `VIDIOC_QUERYCAP` and format enumeration report for a device (`inspect devices`).
public struct VideoDeviceInfo: Sendable {
    public let path: String
    public let driver: String
    public let card: String
    public let busInfo: String
    public let capabilities: UInt32
    public let formats: [VideoFormat]
}

private func cString<T>(_ tuple: T) -> String {
    withUnsafeBytes(of: tuple) { raw in
        let bytes = raw.prefix { $0 != 0 }
        return String(decoding: bytes, as: UTF8.self)
    }
}

private let captureType = V4L2_BUF_TYPE_VIDEO_CAPTURE.rawValue

/// A V4L2 camera streaming through libv4l2 with a ring of mmap'd buffers.
///
/// Format negotiation prefers formats that need no conversion for grey output: GREY, then YUYV (luma
/// taken directly), then RGB24 (libv4l2 converts MJPEG and others to it). Errors while streaming are
/// handled rather than thrown: EAGAIN and spurious wake-ups poll again, EIO drops the frame (up to
/// `maxConsecutiveErrors` in a row), and a camera that disappears (ENODEV) or stalls past the poll
/// timeout is closed and reopened with exponential back-off; only when reopening fails
/// `maxReopenAttempts` times does `next` throw `VideoError.deviceLost`.
public final class V4L2Camera: FrameSource {
    /// Requested capture settings; the camera may adjust size and rate (read back in `width`/`height`).
    public struct Settings: Sendable {
        public var width = 640
        public var height = 480
        public var framesPerSecond = 30
        public var bufferCount = 4
        public var pollTimeoutMilliseconds: Int32 = 2000
        public var maxReopenAttempts = 6
        /// First back-off delay; doubles after each failed reopen, capped at 2 s.
        public var reopenDelaySeconds = 0.05
        public var maxConsecutiveErrors = 8
        /// Restrict negotiation to one format (tests); nil chooses as described above.
        public var pixelFormat: FourCC? = nil
        public init() {}
    }

    public let name: String
    public let settings: Settings
    public private(set) var droppedFrames = 0
    /// Negotiated format and size.
    public private(set) var pixelFormat = FourCC(0)
    public private(set) var width = 0
    public private(set) var height = 0
    public private(set) var bytesPerLine = 0
    /// How often the camera was reopened, and how many EIO/timeouts were absorbed.
    public private(set) var reopenCount = 0
    public private(set) var recoveredErrors = 0

    private var fd: Int32 = -1
    private var buffers: [(UnsafeMutableRawPointer, Int)] = []
    private var lastSequence: Int64 = -1
    private var frameNumber = 0
    private var labelBuffer = ""

    public init(path: String, settings: Settings = Settings()) throws {
        name = path
        self.settings = settings
        try open()
    }

    deinit { close() }

    private func xioctl(_ request: UInt, _ arg: UnsafeMutableRawPointer) -> Int32 {
        var rc: Int32
        repeat { rc = ew_v4l2_ioctl(fd, request, arg) } while rc == -1 && ew_errno() == EINTR
        return rc
    }

    private func open() throws {
        fd = ew_v4l2_open(name, O_RDWR | O_NONBLOCK)
        guard fd >= 0 else { throw VideoError.cannotOpen(device: name, errno: ew_errno()) }
        do { try configure() } catch { close(); throw error }
    }

    private func configure() throws {
        var cap = v4l2_capability()
        guard xioctl(EW_VIDIOC_QUERYCAP, &cap) == 0 else {
            throw VideoError.ioctlFailed(device: name, request: "VIDIOC_QUERYCAP", errno: ew_errno())
        }
        let caps = cap.capabilities & UInt32(V4L2_CAP_DEVICE_CAPS) != 0 ? cap.device_caps : cap.capabilities
        guard caps & UInt32(V4L2_CAP_VIDEO_CAPTURE) != 0, caps & UInt32(V4L2_CAP_STREAMING) != 0 else {
            throw VideoError.notACaptureDevice(device: name, capabilities: caps)
        }
        let offered = V4L2Camera.enumerateFormats(fd: fd).map(\.fourcc)
        let preference: [FourCC] = settings.pixelFormat.map { [$0] } ?? [.grey, .yuyv, .rgb24]
        guard let chosen = preference.first(where: offered.contains) else {
            throw VideoError.noUsableFormat(device: name, offered: offered.map(\.description))
        }
        var fmt = v4l2_format()
        fmt.type = captureType
        fmt.fmt.pix.width = UInt32(settings.width)
        fmt.fmt.pix.height = UInt32(settings.height)
        fmt.fmt.pix.pixelformat = chosen.rawValue
        fmt.fmt.pix.field = V4L2_FIELD_NONE.rawValue
        guard xioctl(EW_VIDIOC_S_FMT, &fmt) == 0 else {
            throw VideoError.ioctlFailed(device: name, request: "VIDIOC_S_FMT \(chosen)", errno: ew_errno())
        }
        pixelFormat = FourCC(fmt.fmt.pix.pixelformat)
        width = Int(fmt.fmt.pix.width)
        height = Int(fmt.fmt.pix.height)
        let minLine = pixelFormat == .grey ? width : pixelFormat == .yuyv ? 2 * width : 3 * width
        bytesPerLine = max(Int(fmt.fmt.pix.bytesperline), minLine)
        guard [.grey, .yuyv, .rgb24].contains(pixelFormat), width > 0, height > 0 else {
            throw VideoError.noUsableFormat(device: name, offered: [pixelFormat.description])
        }
        // Frame rate: best effort (many cameras and libv4l2 emulation ignore it).
        var parm = v4l2_streamparm()
        parm.type = captureType
        parm.parm.capture.timeperframe = v4l2_fract(numerator: 1, denominator: UInt32(max(1, settings.framesPerSecond)))
        _ = xioctl(EW_VIDIOC_S_PARM, &parm)

        var req = v4l2_requestbuffers()
        req.count = UInt32(settings.bufferCount)
        req.type = captureType
        req.memory = V4L2_MEMORY_MMAP.rawValue
        guard xioctl(EW_VIDIOC_REQBUFS, &req) == 0, req.count > 0 else {
            throw VideoError.ioctlFailed(device: name, request: "VIDIOC_REQBUFS", errno: ew_errno())
        }
        for i in 0..<Int(req.count) {
            var buf = v4l2_buffer()
            buf.type = captureType
            buf.memory = V4L2_MEMORY_MMAP.rawValue
            buf.index = UInt32(i)
            guard xioctl(EW_VIDIOC_QUERYBUF, &buf) == 0 else {
                throw VideoError.ioctlFailed(device: name, request: "VIDIOC_QUERYBUF \(i)", errno: ew_errno())
            }
            let p = ew_v4l2_mmap(fd, Int(buf.length), Int(buf.m.offset))
            guard let p, p != ew_map_failed() else { throw VideoError.mmapFailed(device: name, buffer: i, errno: ew_errno()) }
            buffers.append((p, Int(buf.length)))
            guard xioctl(EW_VIDIOC_QBUF, &buf) == 0 else {
                throw VideoError.ioctlFailed(device: name, request: "VIDIOC_QBUF \(i)", errno: ew_errno())
            }
        }
        var type = Int32(captureType)
        guard xioctl(EW_VIDIOC_STREAMON, &type) == 0 else {
            throw VideoError.ioctlFailed(device: name, request: "VIDIOC_STREAMON", errno: ew_errno())
        }
        lastSequence = -1
    }

    private func close() {
        guard fd >= 0 else { return }
        var type = Int32(captureType)
        _ = ew_v4l2_ioctl(fd, EW_VIDIOC_STREAMOFF, &type)
        for (p, n) in buffers { _ = ew_v4l2_munmap(p, n) }
        buffers.removeAll()
        _ = ew_v4l2_close(fd)
        fd = -1
    }

    /// Closes and reopens with exponential back-off; throws `deviceLost` when every attempt fails.
    private func reopen(after errno: Int32) throws {
        close()
        var delay = settings.reopenDelaySeconds
        var last = errno
        for _ in 0..<settings.maxReopenAttempts {
            Thread.sleep(forTimeInterval: delay)
            delay = min(delay * 2, 2)
            do {
                try open()
                reopenCount += 1
                return
            } catch let VideoError.cannotOpen(_, n) {
                last = n
            } catch {
                last = ENODEV
            }
        }
        throw VideoError.deviceLost(device: name, attempts: settings.maxReopenAttempts, lastErrno: last)
    }

    public func next(into frame: inout GreyImage) throws -> String? {
        var errors = 0
        var reopensWithoutFrame = 0
        var deadline = ContinuousClock.now + .milliseconds(Int(settings.pollTimeoutMilliseconds))
        /// Reopens, giving up once reopening keeps "working" but no frame ever arrives.
        func recover(_ e: Int32) throws {
            reopensWithoutFrame += 1
            if reopensWithoutFrame > settings.maxReopenAttempts {
                close()
                throw VideoError.deviceLost(device: name, attempts: reopensWithoutFrame - 1, lastErrno: e)
            }
            try reopen(after: e)
            deadline = ContinuousClock.now + .milliseconds(Int(settings.pollTimeoutMilliseconds))
        }
        while true {
            if fd < 0 { try reopen(after: ENODEV) }
            var pfd = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            let ready = poll(&pfd, 1, settings.pollTimeoutMilliseconds)
            if ready == 0 || (ready < 0 && errno != EINTR) || ContinuousClock.now > deadline {
                // A stalled camera (or one that is readable but never yields a frame): reopen.
                recoveredErrors += 1
                try recover(ready < 0 ? errno : ETIMEDOUT)
                continue
            }
            if ready < 0 { continue }
            var buf = v4l2_buffer()
            buf.type = captureType
            buf.memory = V4L2_MEMORY_MMAP.rawValue
            if xioctl(EW_VIDIOC_DQBUF, &buf) != 0 {
                let e = ew_errno()
                switch e {
                case EAGAIN: continue
                case ENODEV, ENXIO, EBADF:
                    recoveredErrors += 1
                    try recover(e)
                    continue
                default:  // EIO and the rest: drop this frame, retry; too many in a row means reopen.
                    recoveredErrors += 1
                    droppedFrames += 1
                    errors += 1
                    if errors >= settings.maxConsecutiveErrors { errors = 0; try recover(e) }
                    continue
                }
            }
            let seq = Int64(buf.sequence)
            if lastSequence >= 0 && seq > lastSequence + 1 { droppedFrames += Int(seq - lastSequence - 1) }
            lastSequence = seq
            let index = Int(buf.index)
            if index < buffers.count {
                convert(buffers[index].0, bytesUsed: Int(buf.bytesused), into: &frame)
            }
            _ = xioctl(EW_VIDIOC_QBUF, &buf)
            frameNumber += 1
            return String(frameNumber - 1)
        }
    }

    private func convert(_ src: UnsafeMutableRawPointer, bytesUsed: Int, into frame: inout GreyImage) {
        frame.resize(width: width, height: height)
        let s = src.assumingMemoryBound(to: UInt8.self)
        let (w, h, stride, format) = (width, height, bytesPerLine, pixelFormat)
        frame.pixels.withUnsafeMutableBufferPointer { dst in
            for y in 0..<h {
                let row = s + y * stride
                let out = dst.baseAddress! + y * w
                if format == .grey {
                    out.update(from: row, count: w)
                } else if format == .yuyv {
                    for x in 0..<w { out[x] = row[2 * x] }
                } else {
                    for x in 0..<w {
                        let r = UInt32(row[3 * x]), g = UInt32(row[3 * x + 1]), b = UInt32(row[3 * x + 2])
                        out[x] = UInt8((77 * r + 150 * g + 29 * b + 128) >> 8)
                    }
                }
            }
        }
    }

    // MARK: - Discovery

    /// `/dev/video*` in name order.
    public static func devicePaths() -> [String] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: "/dev")) ?? []
        return names.filter { $0.hasPrefix("video") }.sorted {
            (Int($0.dropFirst(5)) ?? 0, $0) < (Int($1.dropFirst(5)) ?? 0, $1)
        }.map { "/dev/" + $0 }
    }

    /// Capabilities and formats (with frame sizes) of one device, including libv4l2's emulated formats.
    public static func query(_ path: String) throws -> VideoDeviceInfo {
        let fd = ew_v4l2_open(path, O_RDWR | O_NONBLOCK)
        guard fd >= 0 else { throw VideoError.cannotOpen(device: path, errno: ew_errno()) }
        defer { _ = ew_v4l2_close(fd) }
        var cap = v4l2_capability()
        guard ew_v4l2_ioctl(fd, EW_VIDIOC_QUERYCAP, &cap) == 0 else {
            throw VideoError.ioctlFailed(device: path, request: "VIDIOC_QUERYCAP", errno: ew_errno())
        }
        let caps = cap.capabilities & UInt32(V4L2_CAP_DEVICE_CAPS) != 0 ? cap.device_caps : cap.capabilities
        return VideoDeviceInfo(path: path, driver: cString(cap.driver), card: cString(cap.card),
                               busInfo: cString(cap.bus_info), capabilities: caps, formats: enumerateFormats(fd: fd))
    }

    private static func enumerateFormats(fd: Int32) -> [VideoFormat] {
        var formats: [VideoFormat] = []
        for i in 0..<64 {
            var d = v4l2_fmtdesc()
            d.index = UInt32(i)
            d.type = captureType
            guard ew_v4l2_ioctl(fd, EW_VIDIOC_ENUM_FMT, &d) == 0 else { break }
            var sizes: [[Int]] = []
            for j in 0..<64 {
                var s = v4l2_frmsizeenum()
                s.index = UInt32(j)
                s.pixel_format = d.pixelformat
                guard ew_v4l2_ioctl(fd, EW_VIDIOC_ENUM_FRAMESIZES, &s) == 0 else { break }
                if s.type == V4L2_FRMSIZE_TYPE_DISCRETE.rawValue {
                    sizes.append([Int(s.discrete.width), Int(s.discrete.height)])
                } else {
                    sizes.append([Int(s.stepwise.min_width), Int(s.stepwise.min_height)])
                    sizes.append([Int(s.stepwise.max_width), Int(s.stepwise.max_height)])
                    break
                }
            }
            formats.append(VideoFormat(fourcc: FourCC(d.pixelformat), description: cString(d.description),
                                       emulated: d.flags & UInt32(V4L2_FMT_FLAG_EMULATED) != 0,
                                       compressed: d.flags & UInt32(V4L2_FMT_FLAG_COMPRESSED) != 0, sizes: sizes))
        }
        return formats
    }
}
