import CFakeCamera
import Foundation
import Testing
import EdgewiseDevices

/// A 64x48 test pattern: a diagonal ramp plus a bright square, so conversions and offsets show.
func testPattern(width: Int = 64, height: Int = 48, shift: Int = 0) -> GreyImage {
    var img = GreyImage(width: width, height: height)
    for y in 0..<height {
        for x in 0..<width {
            var v = 40 + (x + y + shift) * 2
            if x >= 20 && x < 36 && y >= 10 && y < 26 { v = 230 }
            img[x, y] = UInt8(min(v, 255))
        }
    }
    return img
}

func yuyv(_ img: GreyImage) -> [UInt8] {
    var out = [UInt8](repeating: 128, count: img.width * img.height * 2)
    for i in 0..<img.pixels.count { out[2 * i] = img.pixels[i] }
    return out
}

func maxAbsDiff(_ a: GreyImage, _ b: GreyImage) -> Int {
    guard a.pixels.count == b.pixels.count else { return 256 }
    return zip(a.pixels, b.pixels).map { abs(Int($0) - Int($1)) }.max() ?? 0
}

func meanAbsDiff(_ a: GreyImage, _ b: GreyImage) -> Double {
    precondition(a.pixels.count == b.pixels.count)
    var s = 0
    for i in 0..<a.pixels.count { s += abs(Int(a.pixels[i]) - Int(b.pixels[i])) }
    return Double(s) / Double(a.pixels.count)
}

/// Every test that uses the interposed `syscall` camera lives in this one serialized suite.
@Suite(.serialized) struct EmulatedCameraTests {
    static let path = "/dev/video-edgewise-fake"

    func configureYUYV(frames: Int = 3) {
        ew_fakecam_configure(Self.path, FourCC.yuyv.rawValue, 64, 48)
        for k in 0..<frames {
            let bytes = yuyv(testPattern(shift: k))
            bytes.withUnsafeBytes { ew_fakecam_add_frame($0.baseAddress, $0.count) }
        }
    }

    var fastSettings: V4L2Camera.Settings {
        var s = V4L2Camera.Settings()
        s.width = 64; s.height = 48
        s.reopenDelaySeconds = 0.001
        s.pollTimeoutMilliseconds = 200
        return s
    }

    @Test func queryListsNativeAndEmulatedFormats() throws {
        configureYUYV()
        defer { ew_fakecam_disable() }
        let info = try V4L2Camera.query(Self.path)
        #expect(info.driver == "ew-fakecam")
        #expect(info.card == "Edgewise emulated camera")
        let yuyvFormat = try #require(info.formats.first { $0.fourcc == .yuyv })
        #expect(!yuyvFormat.emulated)
        #expect(yuyvFormat.sizes == [[64, 48]])
        #expect(info.formats.contains { $0.fourcc == .rgb24 && $0.emulated })
    }

    /// libv4l2 serves a YUYV camera through its converter (it reports RGB3 after S_FMT YUYV), so the
    /// luma comes back BT.601-expanded: grey ≈ (Y − 16)·255/219. Either path must give those pixels.
    @Test func streamsYUYVFrames() throws {
        configureYUYV()
        defer { ew_fakecam_disable() }
        let cam = try V4L2Camera(path: Self.path, settings: fastSettings)
        #expect([FourCC.yuyv, .rgb24].contains(cam.pixelFormat))
        #expect(cam.width == 64 && cam.height == 48)
        var frame = GreyImage(width: 0, height: 0)
        for k in 0..<7 {
            let label = try cam.next(into: &frame)
            #expect(label == String(k))
            var expected = testPattern(shift: k % 3)
            if cam.pixelFormat == .rgb24 {
                for i in 0..<expected.pixels.count {
                    let y = Double(expected.pixels[i])
                    expected.pixels[i] = UInt8(max(0, min(255, ((y - 16) * 255 / 219).rounded())))
                }
            }
            #expect(maxAbsDiff(frame, expected) <= 2, "frame \(k)")
        }
        #expect(cam.droppedFrames == 0)
    }

    @Test func streamsMJPEGThroughLibv4lConversion() throws {
        ew_fakecam_configure(Self.path, FourCC.mjpeg.rawValue, 64, 48)
        defer { ew_fakecam_disable() }
        let jpeg = try ImageFile.encodeJPEG(testPattern(), quality: 95, colour: true)
        jpeg.withUnsafeBytes { ew_fakecam_add_frame($0.baseAddress, $0.count) }
        let cam = try V4L2Camera(path: Self.path, settings: fastSettings)
        #expect(cam.pixelFormat == .rgb24)
        var frame = GreyImage(width: 0, height: 0)
        for _ in 0..<3 {
            _ = try cam.next(into: &frame)
            #expect(meanAbsDiff(frame, testPattern()) < 4)
        }
    }

    @Test func eioDropsFramesAndStreamingContinues() throws {
        configureYUYV()
        defer { ew_fakecam_disable() }
        let cam = try V4L2Camera(path: Self.path, settings: fastSettings)
        var frame = GreyImage(width: 0, height: 0)
        _ = try cam.next(into: &frame)
        ew_fakecam_fail_dqbuf(1, EIO, 3)
        for _ in 0..<5 { _ = try cam.next(into: &frame) }
        #expect(cam.droppedFrames == 3)
        #expect(cam.recoveredErrors == 3)
        #expect(cam.reopenCount == 0)
        #expect(ew_fakecam_frames_served() == 6)
    }

    @Test func vanishedCameraIsReopenedWithBackoff() throws {
        configureYUYV()
        defer { ew_fakecam_disable() }
        let cam = try V4L2Camera(path: Self.path, settings: fastSettings)
        var frame = GreyImage(width: 0, height: 0)
        _ = try cam.next(into: &frame)
        ew_fakecam_vanish(2, 3)
        for _ in 0..<5 { _ = try cam.next(into: &frame) }
        #expect(cam.reopenCount == 1)
        #expect(ew_fakecam_open_count() == 2)
        #expect(frame.width == 64)
    }

    @Test func undecodableMJPEGEndsInDeviceLostNotAHang() throws {
        ew_fakecam_configure(Self.path, FourCC.mjpeg.rawValue, 64, 48)
        defer { ew_fakecam_disable() }
        let grey = try ImageFile.encodeJPEG(testPattern(), quality: 95, colour: false)  // libv4lconvert rejects 1-component JPEG
        grey.withUnsafeBytes { ew_fakecam_add_frame($0.baseAddress, $0.count) }
        var s = fastSettings
        s.maxReopenAttempts = 2
        s.maxConsecutiveErrors = 2
        let cam = try V4L2Camera(path: Self.path, settings: s)
        var frame = GreyImage(width: 0, height: 0)
        #expect(throws: VideoError.self) { _ = try cam.next(into: &frame) }
    }

    @Test func cameraThatNeverReturnsEndsInDeviceLost() throws {
        configureYUYV()
        defer { ew_fakecam_disable() }
        var s = fastSettings
        s.maxReopenAttempts = 3
        let cam = try V4L2Camera(path: Self.path, settings: s)
        var frame = GreyImage(width: 0, height: 0)
        ew_fakecam_vanish(0, 1000)
        #expect(throws: VideoError.self) { _ = try cam.next(into: &frame) }
    }

    @Test func missingDeviceIsATypedError() {
        ew_fakecam_disable()
        #expect(throws: VideoError.cannotOpen(device: "/dev/video-edgewise-missing", errno: ENOENT)) {
            _ = try V4L2Camera(path: "/dev/video-edgewise-missing")
        }
    }
}
