import Foundation
import Testing
import EdgewiseDevices

@Suite struct ImageSourceTests {
    func tempDir() throws -> String {
        let d = NSTemporaryDirectory() + "edgewise-devices-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: d, withIntermediateDirectories: true)
        return d
    }

    @Test func pngRoundTripIsExact() throws {
        let d = try tempDir()
        defer { try? FileManager.default.removeItem(atPath: d) }
        let img = testPattern()
        try ImageFile.writePNG(img, to: d + "/a.png")
        #expect(maxAbsDiff(try ImageFile.read(d + "/a.png"), img) == 0)
    }

    @Test func jpegRoundTripIsClose() throws {
        let d = try tempDir()
        defer { try? FileManager.default.removeItem(atPath: d) }
        try ImageFile.encodeJPEG(testPattern(), quality: 95).write(to: URL(fileURLWithPath: d + "/a.jpg"))
        let back = try ImageFile.read(d + "/a.jpg")
        #expect(back.width == 64 && back.height == 48)
        #expect(meanAbsDiff(back, testPattern()) < 3)
    }

    @Test func corruptFilesAreTypedErrors() throws {
        let d = try tempDir()
        defer { try? FileManager.default.removeItem(atPath: d) }
        try Data("not an image".utf8).write(to: URL(fileURLWithPath: d + "/bad.jpg"))
        try Data("not an image".utf8).write(to: URL(fileURLWithPath: d + "/bad.png"))
        #expect(throws: ImageError.self) { _ = try ImageFile.read(d + "/bad.jpg") }
        #expect(throws: ImageError.self) { _ = try ImageFile.read(d + "/bad.png") }
        #expect(throws: ImageError.unsupportedFormat(file: d + "/x.gif")) { _ = try ImageFile.read(d + "/x.gif") }
    }

    @Test func folderSkipsMasksAndKeepsOrder() throws {
        let d = try tempDir()
        defer { try? FileManager.default.removeItem(atPath: d) }
        try ImageFile.writePNG(testPattern(shift: 1), to: d + "/b.png")
        try ImageFile.encodeJPEG(testPattern()).write(to: URL(fileURLWithPath: d + "/a.jpg"))
        try ImageFile.writePNG(GreyImage(width: 64, height: 48), to: d + "/a.png")       // mask of a.jpg
        try ImageFile.writePNG(GreyImage(width: 64, height: 48), to: d + "/b_mask.png")  // mask of b.png
        let src = try ImageFolderSource(directory: d)
        var frame = GreyImage(width: 0, height: 0)
        #expect(try src.next(into: &frame) == "a.jpg")
        #expect(try src.next(into: &frame) == "b.png")
        #expect(maxAbsDiff(frame, testPattern(shift: 1)) == 0)
        #expect(try src.next(into: &frame) == nil)
    }

    @Test func y4mLumaPlanes() throws {
        let d = try tempDir()
        defer { try? FileManager.default.removeItem(atPath: d) }
        var bytes = Array("YUV4MPEG2 W64 H48 F30:1 Ip A1:1 C420jpeg\n".utf8)
        for k in 0..<2 {
            bytes += Array("FRAME\n".utf8) + testPattern(shift: k).pixels + [UInt8](repeating: 128, count: 2 * 32 * 24)
        }
        try Data(bytes).write(to: URL(fileURLWithPath: d + "/s.y4m"))
        let src = try Y4MSource(path: d + "/s.y4m")
        var frame = GreyImage(width: 0, height: 0)
        #expect(try src.next(into: &frame) == "0")
        #expect(maxAbsDiff(frame, testPattern(shift: 0)) == 0)
        #expect(try src.next(into: &frame) == "1")
        #expect(maxAbsDiff(frame, testPattern(shift: 1)) == 0)
        #expect(try src.next(into: &frame) == nil)
        try Data(bytes.prefix(100)).write(to: URL(fileURLWithPath: d + "/t.y4m"))
        let truncated = try Y4MSource(path: d + "/t.y4m")
        #expect(throws: ImageError.self) { _ = try truncated.next(into: &frame) }
    }
}
