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

    @Test(.enabled(if: Fixtures.frontendWAVs != nil, "shared WAV fixtures not found (../shared or EDGEWISE_SHARED)"))
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
}
