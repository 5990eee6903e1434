import CSndfile
import Foundation

/// A decoded audio file (WAV, FLAC, or anything else libsndfile reads) as interleaved 16-bit PCM.
public struct AudioFile: Sendable {
    /// Path the file was read from.
    public let path: String
    /// Sample rate in Hz.
    public let sampleRate: Int
    /// Channels per frame.
    public let channelCount: Int
    /// Interleaved samples, `frameCount × channelCount` values.
    public let samples: [Int16]
    /// Frames (samples per channel).
    public var frameCount: Int { channelCount == 0 ? 0 : samples.count / channelCount }
    /// Samples scaled to [-1, 1) by 1/32768.
    public var floatSamples: [Float] { samples.map { Float($0) * (1.0 / 32768) } }

    /// `sf_open` and `sf_strerror(NULL)` share libsndfile's global error slot; serialise them.
    private static let openLock = NSLock()

    /// Decodes the whole file. Throws `DatasetError` naming the file if it is missing, not decodable, or ends
    /// before the frame count in its header.
    public init(contentsOf path: String) throws(DatasetError) {
        var info = SF_INFO()
        let (opened, openError): (OpaquePointer?, String) = Self.openLock.withLock {
            let h = sf_open(path, Int32(SFM_READ), &info)
            return (h, h == nil ? String(cString: sf_strerror(nil)) : "")
        }
        guard let handle = opened else {
            if !FileManager.default.fileExists(atPath: path) { throw .missingFile(path) }
            throw .unreadableAudio(file: path, reason: openError)
        }
        defer { sf_close(handle) }
        let channels = Int(info.channels), declared = Int(info.frames)
        // libsndfile quietly shortens a WAV whose data chunk runs past the end of the file; its log says so.
        if let (headerBytes, presentBytes) = Self.shortenedDataChunk(handle), presentBytes > 0 {
            let expected = Int((Double(declared) * Double(headerBytes) / Double(presentBytes)).rounded())
            throw .truncatedAudio(file: path, expectedFrames: expected, decodedFrames: declared)
        }
        guard channels >= 1, info.samplerate > 0, declared >= 0 else {
            throw .unreadableAudio(file: path, reason: "header declares \(channels) channels at \(info.samplerate) Hz")
        }
        guard declared <= 1 << 31 else { throw .unreadableAudio(file: path, reason: "header declares \(declared) frames") }
        var buffer = [Int16](repeating: 0, count: declared * channels)
        var done = 0
        buffer.withUnsafeMutableBufferPointer { p in
            while done < declared {
                let want = min(declared - done, 1 << 16)
                let got = Int(sf_readf_short(handle, p.baseAddress! + done * channels, sf_count_t(want)))
                if got <= 0 { break }
                done += got
            }
        }
        let err = sf_error(handle)
        if done < declared {
            if err != 0 { throw .unreadableAudio(file: path, reason: "\(String(cString: sf_strerror(handle))) at frame \(done) of \(declared)") }
            throw .truncatedAudio(file: path, expectedFrames: declared, decodedFrames: done)
        }
        if err != 0 { throw .unreadableAudio(file: path, reason: String(cString: sf_strerror(handle))) }
        self.path = path
        sampleRate = Int(info.samplerate)
        channelCount = channels
        samples = buffer
    }

    /// Reads "data : <header bytes> (should be <bytes present>)" from libsndfile's log, if present.
    private static func shortenedDataChunk(_ handle: OpaquePointer) -> (Int, Int)? {
        var log = [CChar](repeating: 0, count: 8192)
        _ = sf_command(handle, Int32(SFC_GET_LOG_INFO), &log, Int32(log.count))
        let text = log.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
        for line in text.split(separator: "\n") {
            let parts = line.split(whereSeparator: { $0 == " " || $0 == ":" || $0 == "(" || $0 == ")" })
            // ["data", "32000", "should", "be", "19956"]
            guard parts.count >= 5, parts[0] == "data" || parts[0] == "SSND", parts[2] == "should", parts[3] == "be",
                  let header = Int(parts[1]), let present = Int(parts[4]), present < header else { continue }
            return (header, present)
        }
        return nil
    }

    /// Decodes a mono file at `sampleRate` Hz and returns its samples; any other rate or channel count is
    /// `DatasetError.unsupportedFormat` naming the file.
    public static func readMono(_ path: String, sampleRate: Int = 16000) throws(DatasetError) -> [Int16] {
        let f = try AudioFile(contentsOf: path)
        guard f.sampleRate == sampleRate, f.channelCount == 1 else {
            throw .unsupportedFormat(file: path, sampleRate: f.sampleRate, channels: f.channelCount, expected: "\(sampleRate) Hz mono")
        }
        return f.samples
    }
}
