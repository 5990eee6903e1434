import CALSA
import Glibc

/// Captures S16_LE mono audio from an ALSA PCM (`default`, `plughw:1,0`, `hw:1,0`, or any PCM the ALSA
/// configuration defines) through libasound.
///
/// - Format: S16_LE, 1 channel, `sampleRate` Hz, interleaved reads. Use a `plug` PCM (`default` usually is
///   one, or `plughw:…`) to let ALSA convert from what the hardware has; a bare `hw:` device that cannot
///   do 16 kHz mono is refused with `AudioError.unsupportedParameters`.
/// - Latency: a period of `periodFrames` (20 ms at 16 kHz by default) and a ring of `periodsPerBuffer`
///   periods, so a read returns every period and a late reader has the rest of the ring before it overruns.
/// - Overruns (`-EPIPE`) and suspends (`-ESTRPIPE`) are recovered with `snd_pcm_recover` and counted in
///   `overruns`; the stream goes on.
/// - A device that disappears (`-ENODEV`, an unplugged USB microphone) is closed and reopened with
///   exponential back-off (`ReopenPolicy`); each success counts in `reopens`. When the budget runs out the
///   read throws `AudioError.deviceLost`; a set `StopFlag` ends the stream instead. Nothing here traps.
public final class ALSACapture: AudioSource {
    /// How a lost device is reopened.
    public struct ReopenPolicy: Sendable {
        /// Wait before the first attempt, in seconds; each failure doubles it up to `maximumDelay`.
        public var initialDelay: Double
        /// Longest wait between attempts, in seconds.
        public var maximumDelay: Double
        /// Attempts before giving up; `nil` retries until stopped.
        public var maximumAttempts: Int?
        public init(initialDelay: Double = 0.1, maximumDelay: Double = 2, maximumAttempts: Int? = nil) {
            self.initialDelay = initialDelay; self.maximumDelay = maximumDelay; self.maximumAttempts = maximumAttempts
        }
    }

    /// Something the capture recovered from, for a log line.
    public enum Event: Sendable, Equatable {
        /// An overrun was recovered (samples were lost).
        case overrun
        /// The device disappeared; reopening starts.
        case lost(reason: String)
        /// An attempt to reopen failed; the next one comes after `retryIn` seconds.
        case reopenFailed(attempt: Int, reason: String, retryIn: Double)
        /// The device is back after `attempts` attempts.
        case reopened(attempts: Int)
    }

    public let device: String
    public let sampleRate: Int
    public var name: String { "ALSA \(device)" }
    /// Frames per period and per ring buffer as the device granted them.
    public private(set) var periodFrames: Int = 0, bufferFrames: Int = 0
    public private(set) var overruns = 0
    public private(set) var reopens = 0
    /// Called on the reading thread for each recovered event (optional).
    public var onEvent: ((Event) -> Void)?

    private let requestedPeriod: Int, periodsPerBuffer: Int
    private let reopenPolicy: ReopenPolicy
    private let stop: StopFlag?
    private var pcm: OpaquePointer?

    /// Opens and configures `device`. Throws `AudioError` naming the device when it cannot be opened or
    /// refuses the format.
    public init(device: String = "default", sampleRate: Int = 16000, periodFrames: Int = 320, periodsPerBuffer: Int = 8,
                reopen: ReopenPolicy = .init(), stop: StopFlag? = nil) throws(AudioError) {
        self.device = device; self.sampleRate = sampleRate
        requestedPeriod = max(16, periodFrames); self.periodsPerBuffer = max(2, periodsPerBuffer)
        reopenPolicy = reopen; self.stop = stop
        ew_alsa_quiet()
        pcm = try open()
    }

    deinit { if let pcm { snd_pcm_close(pcm) } }

    /// Closes the device; later reads return 0.
    public func close() {
        if let pcm { snd_pcm_close(pcm) }
        pcm = nil
    }

    private static func message(_ code: Int32) -> String { String(cString: snd_strerror(code)) }

    private func open() throws(AudioError) -> OpaquePointer {
        var handle: OpaquePointer?
        let rc = snd_pcm_open(&handle, device, SND_PCM_STREAM_CAPTURE, 0)
        guard rc >= 0, let handle else { throw .cannotOpen(device: device, code: rc, reason: Self.message(rc)) }
        do throws(AudioError) {
            try configure(handle)
        } catch {
            snd_pcm_close(handle)
            throw error
        }
        return handle
    }

    private func configure(_ pcm: OpaquePointer) throws(AudioError) {
        var hw: OpaquePointer?
        guard snd_pcm_hw_params_malloc(&hw) >= 0, let hw else {
            throw .unsupportedParameters(device: device, what: "hardware parameters", reason: "out of memory")
        }
        defer { snd_pcm_hw_params_free(hw) }
        func check(_ rc: Int32, _ what: String) throws(AudioError) {
            if rc < 0 { throw .unsupportedParameters(device: device, what: what, reason: Self.message(rc)) }
        }
        try check(snd_pcm_hw_params_any(pcm, hw), "any configuration")
        _ = snd_pcm_hw_params_set_rate_resample(pcm, hw, 1)
        try check(snd_pcm_hw_params_set_access(pcm, hw, SND_PCM_ACCESS_RW_INTERLEAVED), "interleaved access")
        try check(snd_pcm_hw_params_set_format(pcm, hw, SND_PCM_FORMAT_S16_LE), "format S16_LE")
        try check(snd_pcm_hw_params_set_channels(pcm, hw, 1), "1 channel (use a plug PCM such as plughw: to convert)")
        var rate = UInt32(sampleRate)
        try check(snd_pcm_hw_params_set_rate_near(pcm, hw, &rate, nil), "rate \(sampleRate) Hz")
        guard Int(rate) == sampleRate else {
            throw .unsupportedParameters(device: device, what: "rate \(sampleRate) Hz",
                                         reason: "device offers \(rate) Hz (use a plug PCM such as plughw: to resample)")
        }
        var period = snd_pcm_uframes_t(requestedPeriod)
        try check(snd_pcm_hw_params_set_period_size_near(pcm, hw, &period, nil), "period of \(requestedPeriod) frames")
        var buffer = snd_pcm_uframes_t(Int(period) * periodsPerBuffer)
        try check(snd_pcm_hw_params_set_buffer_size_near(pcm, hw, &buffer), "buffer of \(Int(period) * periodsPerBuffer) frames")
        try check(snd_pcm_hw_params(pcm, hw), "the configuration")
        periodFrames = Int(period); bufferFrames = Int(buffer)
        try check(snd_pcm_prepare(pcm), "prepare")
    }

    public func read(into buffer: UnsafeMutableBufferPointer<Int16>) throws(AudioError) -> Int {
        guard let base = buffer.baseAddress, buffer.count > 0 else { return 0 }
        while true {
            if stop?.isSet == true { return 0 }
            guard let pcm else { return 0 }
            let n = snd_pcm_readi(pcm, base, snd_pcm_uframes_t(buffer.count))
            if n > 0 { return n }
            if n == 0 || n == -Int(EAGAIN) || n == -Int(EINTR) { continue }
            let code = Int32(n)
            if code == -EPIPE || code == -ESTRPIPE {
                overruns += code == -EPIPE ? 1 : 0
                onEvent?(.overrun)
                if snd_pcm_recover(pcm, code, 1) >= 0 { continue }
            }
            if code == -ENODEV || code == -EBADFD || code == -EIO || code == -EPIPE || code == -ESTRPIPE {
                guard try reopen(reason: Self.message(code)) else { return 0 }
                continue
            }
            throw .readFailed(device: device, code: code, reason: Self.message(code))
        }
    }

    /// Closes the lost device and opens it again with back-off. Returns false when stopped.
    private func reopen(reason: String) throws(AudioError) -> Bool {
        onEvent?(.lost(reason: reason))
        close()
        var delay = reopenPolicy.initialDelay, attempt = 0
        var lastReason = reason
        while true {
            if let limit = reopenPolicy.maximumAttempts, attempt >= limit {
                throw .deviceLost(device: device, attempts: attempt, reason: lastReason)
            }
            if !sleep(seconds: delay) { return false }
            attempt += 1
            do throws(AudioError) {
                pcm = try open()
                reopens += 1
                onEvent?(.reopened(attempts: attempt))
                return true
            } catch {
                lastReason = error.description
                delay = min(delay * 2, reopenPolicy.maximumDelay)
                onEvent?(.reopenFailed(attempt: attempt, reason: lastReason, retryIn: delay))
            }
        }
    }

    /// Sleeps in short slices so a stop request is honoured quickly; false if stopped.
    private func sleep(seconds: Double) -> Bool {
        var left = seconds
        while left > 0 {
            if stop?.isSet == true { return false }
            let slice = min(left, 0.05)
            usleep(UInt32(slice * 1_000_000))
            left -= slice
        }
        return stop?.isSet != true
    }
}
