import EdgewiseData
import Glibc

/// Replays a decoded audio file (WAV, FLAC, anything libsndfile reads) as a stream, in real time
/// (`pacing: .realTime`: a read returns no earlier than the audio's time since the start) or as fast as
/// the reader pulls (`.fast`). Multi-channel files are averaged to mono; the sample rate must be the
/// stream's (no resampling is done).
public final class AudioFileSource: AudioSource {
    /// How reads are paced.
    public enum Pacing: Sendable { case realTime, fast }

    public let path: String
    public let sampleRate: Int
    public var name: String { "file \(path)" }
    /// The whole file, mono.
    public let samples: [Int16]
    public let pacing: Pacing
    /// Samples handed out so far.
    public private(set) var position = 0
    /// Largest read, in samples (a 20 ms period at the file's rate by default).
    public let chunk: Int

    private let stop: StopFlag?
    private var start: timespec?

    /// Decodes `path`; throws `AudioError.file` naming it when it cannot be decoded or has another sample rate.
    public init(path: String, sampleRate: Int = 16000, pacing: Pacing = .realTime, chunk: Int? = nil, stop: StopFlag? = nil) throws(AudioError) {
        let file: AudioFile
        do { file = try AudioFile(contentsOf: path) } catch { throw .file(path: path, reason: error.description) }
        guard file.sampleRate == sampleRate else {
            throw .file(path: path, reason: "sample rate is \(file.sampleRate) Hz, the stream needs \(sampleRate) Hz (no resampling is done; e.g. `sox in.wav -r \(sampleRate) out.wav`)")
        }
        self.path = path; self.sampleRate = sampleRate; self.pacing = pacing; self.stop = stop
        self.chunk = max(1, chunk ?? sampleRate / 50)
        let c = file.channelCount
        if c == 1 { samples = file.samples } else {
            samples = (0..<file.frameCount).map { f in
                var s = 0
                for k in 0..<c { s += Int(file.samples[f * c + k]) }
                return Int16(s / c)
            }
        }
    }

    /// Duration in seconds.
    public var duration: Double { Double(samples.count) / Double(sampleRate) }

    public func read(into buffer: UnsafeMutableBufferPointer<Int16>) throws(AudioError) -> Int {
        if stop?.isSet == true { return 0 }
        let n = min(buffer.count, chunk, samples.count - position)
        guard n > 0 else { return 0 }
        if pacing == .realTime {
            var now = timespec()
            clock_gettime(CLOCK_MONOTONIC, &now)
            if start == nil { start = now }
            // This chunk's audio ends at (position + n)/rate seconds after the start.
            let due = Double(position + n) / Double(sampleRate)
            while true {
                clock_gettime(CLOCK_MONOTONIC, &now)
                let elapsed = Double(now.tv_sec - start!.tv_sec) + Double(now.tv_nsec - start!.tv_nsec) * 1e-9
                if elapsed >= due { break }
                if stop?.isSet == true { return 0 }
                usleep(UInt32(min(due - elapsed, 0.05) * 1_000_000))
            }
        }
        samples.withUnsafeBufferPointer { s in
            buffer.baseAddress!.update(from: s.baseAddress! + position, count: n)
        }
        position += n
        return n
    }
}

/// Reads raw S16_LE mono samples from a file descriptor (standard input by default), as `arecord -t raw`
/// or `sox … -t raw -e signed -b 16 -L -` write them. Ends at end of file or on a stop request.
public final class RawPCMSource: AudioSource {
    public let sampleRate: Int
    public let name: String
    private let fd: Int32
    private let stop: StopFlag?
    private var pending: UInt8 = 0, hasPending = false

    /// Reads from `fd` (0 = standard input), naming it `name` in messages.
    public init(fd: Int32 = 0, name: String = "stdin", sampleRate: Int = 16000, stop: StopFlag? = nil) {
        self.fd = fd; self.name = name; self.sampleRate = sampleRate; self.stop = stop
    }

    public func read(into buffer: UnsafeMutableBufferPointer<Int16>) throws(AudioError) -> Int {
        guard let base = buffer.baseAddress, buffer.count > 0 else { return 0 }
        let raw = UnsafeMutableRawPointer(base).assumingMemoryBound(to: UInt8.self)
        let capacity = buffer.count * 2
        var have = 0
        if hasPending { raw[0] = pending; have = 1; hasPending = false }
        while have < 2 {
            if stop?.isSet == true { return 0 }
            let r = Glibc.read(fd, raw + have, capacity - have)
            if r == 0 { return 0 }  // end of stream (a lone trailing byte is dropped)
            if r < 0 {
                if errno == EINTR || errno == EAGAIN { continue }
                let e = errno
                throw .stream(name: name, code: e, reason: String(cString: strerror(e)))
            }
            have += r
        }
        if have % 2 == 1 { pending = raw[have - 1]; hasPending = true; have -= 1 }
        let n = have / 2
        #if _endian(big)
        for i in 0..<n { base[i] = Int16(littleEndian: base[i]) }
        #endif
        return n
    }
}
