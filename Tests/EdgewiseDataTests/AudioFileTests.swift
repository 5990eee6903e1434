import EdgewiseTesting
import CSndfile
import EdgewiseCore
import Foundation
import Testing
@testable import EdgewiseData

@Suite struct AudioFileTests {
    static func tone(_ n: Int) -> [Int16] { (0..<n).map { Int16(12000 * sin(Double($0) * 0.05)) } }

    @Test func readsWrittenWAVExactly() throws {
        let dir = try Fixtures.tempDirectory()
        var rng = SeededGenerator(seed: 11)
        let samples = (0..<5000).map { _ in Int16.random(in: .min ... .max, using: &rng) }
        try Fixtures.write(Fixtures.wavBytes(samples), to: dir + "/a.wav")
        let f = try AudioFile(contentsOf: dir + "/a.wav")
        #expect(f.sampleRate == 16000 && f.channelCount == 1 && f.frameCount == 5000)
        #expect(f.samples == samples)
        #expect(f.floatSamples[7] == Float(samples[7]) / 32768)
        #expect(try AudioFile.readMono(dir + "/a.wav") == samples)
    }

    @Test(SharedData.needs("models/fixtures/kws_frontend/wav/yes.wav"))
    func sharedWAVFixturesMatchIndependentParser() throws {
        let dir = try #require(Fixtures.frontendWAVs)
        let names = try FileManager.default.contentsOfDirectory(atPath: dir).filter { $0.hasSuffix(".wav") }
        #expect(names.count == 11)
        for name in names {
            let f = try AudioFile(contentsOf: dir + "/" + name)
            let ref = try Fixtures.parseWAV16(dir + "/" + name)
            #expect(f.sampleRate == 16000 && f.channelCount == 1 && f.frameCount == 16000, "\(name)")
            #expect(f.samples == ref.samples, "\(name)")
        }
    }

    /// FLAC written here through libsndfile, then read back; a truncated copy must fail naming the file.
    @Test func flacRoundTripAndTruncation() throws {
        let dir = try Fixtures.tempDirectory()
        let path = dir + "/t.flac"
        let samples = Self.tone(16000)
        var info = SF_INFO(frames: 0, samplerate: 16000, channels: 1, format: Int32(SF_FORMAT_FLAC | SF_FORMAT_PCM_16), sections: 0, seekable: 0)
        let h = try #require(sf_open(path, Int32(SFM_WRITE), &info))
        #expect(samples.withUnsafeBufferPointer { sf_writef_short(h, $0.baseAddress!, 16000) } == 16000)
        sf_close(h)
        #expect(try AudioFile.readMono(path) == samples)

        let bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
        try Fixtures.write(Array(bytes[0..<bytes.count / 2]), to: dir + "/cut.flac")
        #expect {
            _ = try AudioFile(contentsOf: dir + "/cut.flac")
        } throws: { error in
            guard let e = error as? DatasetError else { return false }
            // Names the file and where decoding stopped.
            return e.description.contains(dir + "/cut.flac") && e.description.contains("of 16000")
        }
    }

    @Test func truncatedWAVIsAnErrorNotAShortClip() throws {
        let dir = try Fixtures.tempDirectory()
        let bytes = Fixtures.wavBytes(Self.tone(16000))
        try Fixtures.write(Array(bytes[0..<20000]), to: dir + "/cut.wav")
        let error = #expect(throws: DatasetError.self) { try AudioFile(contentsOf: dir + "/cut.wav") }
        #expect(error == .truncatedAudio(file: dir + "/cut.wav", expectedFrames: 16000, decodedFrames: 9978))
        #expect(error?.description.contains("cut.wav") == true)
    }

    @Test func garbageAndMissingFilesNameTheFile() throws {
        let dir = try Fixtures.tempDirectory()
        try Fixtures.write(Array("RIFF".utf8) + (0..<2000).map { UInt8(truncatingIfNeeded: $0 &* 37) }, to: dir + "/junk.wav")
        let e1 = #expect(throws: DatasetError.self) { try AudioFile(contentsOf: dir + "/junk.wav") }
        guard case .unreadableAudio(let file, _)? = e1 else { Issue.record("expected unreadableAudio, got \(String(describing: e1))"); return }
        #expect(file == dir + "/junk.wav")
        #expect(e1!.description.contains("junk.wav"))
        try Fixtures.write([], to: dir + "/empty.flac")
        #expect(throws: DatasetError.self) { try AudioFile(contentsOf: dir + "/empty.flac") }
        let e2 = #expect(throws: DatasetError.self) { try AudioFile(contentsOf: dir + "/nope.flac") }
        #expect(e2 == .missingFile(dir + "/nope.flac"))
    }

    @Test func wrongRateOrChannelsIsRejectedByReadMono() throws {
        let dir = try Fixtures.tempDirectory()
        try Fixtures.write(Fixtures.wavBytes(Self.tone(800), sampleRate: 8000), to: dir + "/8k.wav")
        try Fixtures.write(Fixtures.wavBytes(Self.tone(800), sampleRate: 16000, channels: 2), to: dir + "/stereo.wav")
        let e1 = #expect(throws: DatasetError.self) { try AudioFile.readMono(dir + "/8k.wav") }
        #expect(e1 == .unsupportedFormat(file: dir + "/8k.wav", sampleRate: 8000, channels: 1, expected: "16000 Hz mono"))
        #expect(e1?.description.contains("8k.wav") == true && e1?.description.contains("8000 Hz") == true)
        let e2 = #expect(throws: DatasetError.self) { try AudioFile.readMono(dir + "/stereo.wav") }
        #expect(e2 == .unsupportedFormat(file: dir + "/stereo.wav", sampleRate: 16000, channels: 2, expected: "16000 Hz mono"))
        // AudioFile itself reads any layout.
        let f = try AudioFile(contentsOf: dir + "/stereo.wav")
        #expect(f.channelCount == 2 && f.frameCount == 400)
    }

    // MARK: malformed files: nothing is allocated from a header beyond the bytes present

    /// A FLAC file written here (`channels` channels), with the total-samples field of its STREAMINFO set to
    /// `totalSamples` (36 bits, big-endian at byte 8 + 10, after the rate, channel and bit-depth fields).
    static func flacClaiming(_ totalSamples: UInt64, channels: Int32, in dir: String) throws -> String {
        let path = dir + "/claim-\(totalSamples)-\(channels).flac"
        var info = SF_INFO(frames: 0, samplerate: 16000, channels: channels, format: Int32(SF_FORMAT_FLAC | SF_FORMAT_PCM_16), sections: 0, seekable: 0)
        let h = try #require(sf_open(path, Int32(SFM_WRITE), &info))
        let samples = [Int16](repeating: 100, count: 4096 * Int(channels))
        _ = samples.withUnsafeBufferPointer { sf_writef_short(h, $0.baseAddress!, 4096) }
        sf_close(h)
        var bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
        #expect(Array(bytes[0..<4]) == Array("fLaC".utf8))
        var word = (10..<18).reduce(UInt64(0)) { $0 << 8 | UInt64(bytes[8 + $1]) }
        word = (word & ~((1 << 36) - 1)) | (totalSamples & ((1 << 36) - 1))
        for k in 0..<8 { bytes[8 + 10 + k] = UInt8(truncatingIfNeeded: word >> (8 * (7 - k))) }
        try Fixtures.write(bytes, to: path)
        return path
    }

    @Test func hugeDeclaredFrameCountsAreErrorsNotAllocations() throws {
        let dir = try Fixtures.tempDirectory()
        // 2^31 - 1 frames of 8 channels would be 32 GiB if allocated from the header; the file is a few KB.
        let big = try Self.flacClaiming((1 << 31) - 1, channels: 8, in: dir)
        let e1 = #expect(throws: DatasetError.self) { try AudioFile(contentsOf: big) }
        guard case .truncatedAudio(let file, let expected, let decoded)? = e1 else {
            Issue.record("expected truncatedAudio, got \(String(describing: e1))"); return
        }
        #expect(file == big && expected == (1 << 31) - 1 && decoded == 4096)
        // Beyond the 2^31-frame cap: refused before decoding, naming the file and the count.
        let huge = try Self.flacClaiming((1 << 36) - 1, channels: 2, in: dir)
        let e2 = #expect(throws: DatasetError.self) { try AudioFile(contentsOf: huge) }
        #expect(e2?.description.contains(huge) == true && e2?.description.contains("\((1 << 36) - 1) frames") == true)
        // A WAV whose data chunk claims 2 GiB while 200 bytes follow.
        var wav = Fixtures.wavBytes(Self.tone(100))
        for k in 0..<4 { wav[40 + k] = [0xF0, 0xFF, 0xFF, 0x7F][k] }
        try Fixtures.write(wav, to: dir + "/claims.wav")
        let e3 = #expect(throws: DatasetError.self) { try AudioFile(contentsOf: dir + "/claims.wav") }
        #expect(e3?.description.contains("claims.wav") == true)
    }

    /// Random bytes behind each container's magic, and random byte flips and cuts of valid WAV and FLAC files:
    /// each decodes or throws a `DatasetError` naming the file (a crash or a trap fails the whole run).
    @Test func garbageAndMutatedFilesNeverCrash() throws {
        let dir = try Fixtures.tempDirectory()
        var rng = SeededGenerator(seed: 0xA0D10)
        let flac = [UInt8](try Data(contentsOf: URL(fileURLWithPath: try Self.flacClaiming(4096, channels: 1, in: dir))))
        let wav = Fixtures.wavBytes(Self.tone(2000))
        let magics: [[UInt8]] = [Array("RIFF\u{0}\u{1}\u{0}\u{0}WAVEfmt ".utf8), Array("fLaC".utf8), Array("OggS".utf8),
                                 Array("FORM\u{0}\u{0}\u{1}\u{0}AIFF".utf8), Array(".snd".utf8), []]
        var thrown = 0, decoded = 0
        for i in 0..<240 {
            var bytes: [UInt8]
            switch i % 3 {
            case 0: bytes = magics[i % magics.count] + (0..<Int.random(in: 0...3000, using: &rng)).map { _ in UInt8.random(in: 0...255, using: &rng) }
            case 1:
                bytes = (i % 2 == 0 ? wav : flac)
                for _ in 0..<Int.random(in: 1...12, using: &rng) { bytes[Int.random(in: 0..<min(bytes.count, 120), using: &rng)] = UInt8.random(in: 0...255, using: &rng) }
            default: bytes = Array((i % 2 == 0 ? wav : flac).prefix(Int.random(in: 0..<flac.count, using: &rng)))
            }
            let path = dir + "/g\(i).\(i % 2 == 0 ? "wav" : "flac")"
            try Fixtures.write(bytes, to: path)
            do {
                let f = try AudioFile(contentsOf: path)
                #expect(f.samples.count == f.frameCount * f.channelCount)
                #expect(f.samples.count <= 64 * bytes.count, "decoded more samples than a codec makes from \(bytes.count) bytes")
                decoded += 1
            } catch {
                #expect(error.description.contains(path), "\(error)")
                thrown += 1
            }
        }
        #expect(thrown > 100, "only \(thrown) of 240 garbage files were rejected (\(decoded) decoded)")
    }
}
