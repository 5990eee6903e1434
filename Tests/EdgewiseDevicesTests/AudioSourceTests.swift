import CMallocCounter
import Foundation
import Testing
@testable import EdgewiseDevices

@Suite struct AudioSourceTests {
    static func tempFile(_ name: String) -> String { NSTemporaryDirectory() + "edgewise-audio-\(getpid())-\(name)" }

    /// A 16-bit PCM WAV header + samples.
    static func wav(_ samples: [Int16], rate: Int = 16000, channels: Int = 1) -> Data {
        var d = Data()
        func u32(_ v: Int) { withUnsafeBytes(of: UInt32(v).littleEndian) { d.append(contentsOf: $0) } }
        func u16(_ v: Int) { withUnsafeBytes(of: UInt16(v).littleEndian) { d.append(contentsOf: $0) } }
        d.append(contentsOf: Array("RIFF".utf8)); u32(36 + samples.count * 2); d.append(contentsOf: Array("WAVEfmt ".utf8))
        u32(16); u16(1); u16(channels); u32(rate); u32(rate * channels * 2); u16(channels * 2); u16(16)
        d.append(contentsOf: Array("data".utf8)); u32(samples.count * 2)
        samples.withUnsafeBytes { d.append(contentsOf: $0) }
        return d
    }

    func drain(_ s: AudioSource, chunk: Int = 333) throws -> [Int16] {
        var out: [Int16] = [], buf = [Int16](repeating: 0, count: chunk)
        while true {
            let n = try buf.withUnsafeMutableBufferPointer { try s.read(into: $0) }
            if n == 0 { return out }
            out += buf[..<n]
        }
    }

    @Test func fileReplayFastDeliversEverySample() throws {
        let samples = (0..<8000).map { Int16(truncatingIfNeeded: $0 * 7) }
        let path = Self.tempFile("a.wav")
        _ = FileManager.default.createFile(atPath: path, contents: Self.wav(samples))
        let s = try AudioFileSource(path: path, pacing: .fast)
        #expect(try drain(s) == samples)
        #expect(s.duration == 0.5)
    }

    @Test func fileReplayInRealTimeTakesTheAudiosDuration() throws {
        let path = Self.tempFile("b.wav")
        _ = FileManager.default.createFile(atPath: path, contents: Self.wav([Int16](repeating: 1, count: 3200)))  // 0.2 s
        let s = try AudioFileSource(path: path, pacing: .realTime)
        let t0 = Date()
        #expect(try drain(s).count == 3200)
        let dt = Date().timeIntervalSince(t0)
        #expect(dt >= 0.19 && dt < 1.0, "took \(dt) s")
    }

    @Test func stereoIsAveragedAndOtherRatesAreRefused() throws {
        let path = Self.tempFile("c.wav")
        _ = FileManager.default.createFile(atPath: path, contents: Self.wav([100, 300, -50, -150], channels: 2))
        #expect(try drain(try AudioFileSource(path: path, pacing: .fast)) == [200, -100])
        let p8 = Self.tempFile("d.wav")
        _ = FileManager.default.createFile(atPath: p8, contents: Self.wav([1, 2, 3], rate: 8000))
        do { _ = try AudioFileSource(path: p8); Issue.record("accepted 8 kHz") }
        catch let AudioError.file(path, reason) { #expect(path == p8 && reason.contains("8000 Hz")) }
    }

    @Test func rawStreamHandlesOddByteReads() throws {
        var fds: [Int32] = [0, 0]
        #expect(pipe(&fds) == 0)
        let samples: [Int16] = [1, -2, 300, -32768, 32767]
        let bytes = samples.withUnsafeBytes { Array($0) }
        // Write in pieces that split samples, then close.
        _ = bytes.withUnsafeBytes { write(fds[1], $0.baseAddress!, 3) }
        let s = RawPCMSource(fd: fds[0], name: "pipe")
        var buf = [Int16](repeating: 0, count: 16)
        var got: [Int16] = []
        var n = try buf.withUnsafeMutableBufferPointer { try s.read(into: $0) }
        got += buf[..<n]
        _ = bytes.withUnsafeBytes { write(fds[1], $0.baseAddress! + 3, bytes.count - 3) }
        close(fds[1])
        repeat {
            n = try buf.withUnsafeMutableBufferPointer { try s.read(into: $0) }
            got += buf[..<n]
        } while n > 0
        close(fds[0])
        #expect(got == samples)
    }

    @Test func fileReadsAllocateNothing() throws {
        let path = Self.tempFile("e.wav")
        _ = FileManager.default.createFile(atPath: path, contents: Self.wav([Int16](repeating: 5, count: 16000)))
        let s = try AudioFileSource(path: path, pacing: .fast)
        var buf = [Int16](repeating: 0, count: 320)
        ew_malloc_counter_start()
        var total = 0
        buf.withUnsafeMutableBufferPointer { p in
            while let n = try? s.read(into: p), n > 0 { total += n }
        }
        let allocations = ew_malloc_counter_stop()
        #expect(total == 16000)
        #expect(allocations == 0)
    }
}
