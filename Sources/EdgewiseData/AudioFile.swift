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
        guard channels <= Self.maxChannels else {
            throw .unreadableAudio(file: path, reason: "header declares \(channels) channels (at most \(Self.maxChannels) are read)")
        }
        guard declared <= Self.maxFrames else {
            throw .unreadableAudio(file: path, reason: "header declares \(declared) frames (at most \(Self.maxFrames) are read)")
        }
        // Nothing is allocated from the header's frame count alone: a 100-byte file may declare 2^31 frames.
        // The first reservation is bounded by the bytes on disk (an uncompressed frame takes at least one byte
        // per channel); compressed audio grows the buffer as it actually decodes, one chunk at a time.
        let fileBytes = Self.fileSize(path) ?? 0
        var buffer = [Int16]()
        buffer.reserveCapacity(min(declared * channels, max(fileBytes, 0)))
        let chunkFrames = 1 << 14
        var chunk = [Int16](repeating: 0, count: chunkFrames * channels)
        var done = 0
        while done < declared {
            let want = min(declared - done, chunkFrames)
            let got = chunk.withUnsafeMutableBufferPointer { Int(sf_readf_short(handle, $0.baseAddress!, sf_count_t(want))) }
            if got <= 0 { break }
            buffer.append(contentsOf: chunk[0..<(min(got, want) * channels)])
            done += min(got, want)
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

    /// The most channels a file may declare (libsndfile's own limit is 1024).
    public static let maxChannels = 1024
    /// The most frames a file may declare: 2^31 (about 37 hours at 16 kHz).
    public static let maxFrames = 1 << 31

    /// The size of the file at `path` in bytes, if it can be stat'ed.
    private static func fileSize(_ path: String) -> Int? {
        var st = stat()
        return stat(path, &st) == 0 ? Int(st.st_size) : nil
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
