/// Why audio could not be captured or read. Every case names the device or file.
public enum AudioError: Error, CustomStringConvertible, Equatable, Sendable {
    /// `snd_pcm_open` failed (no such PCM, device busy, no sound card); `code` is the negative errno.
    case cannotOpen(device: String, code: Int32, reason: String)
    /// The device refused the format: `what` names the parameter (format, channels, rate, period, buffer).
    case unsupportedParameters(device: String, what: String, reason: String)
    /// The device disappeared and did not come back within the retry budget.
    case deviceLost(device: String, attempts: Int, reason: String)
    /// A read failed in a way recovery could not fix.
    case readFailed(device: String, code: Int32, reason: String)
    /// An audio file could not be decoded or has a format the stream cannot use.
    case file(path: String, reason: String)
    /// Reading a raw stream (standard input) failed; `code` is the errno.
    case stream(name: String, code: Int32, reason: String)

    public var description: String {
        switch self {
        case let .cannotOpen(device, code, reason): "cannot open ALSA capture device '\(device)': \(reason) (\(code))"
        case let .unsupportedParameters(device, what, reason): "ALSA device '\(device)' refused \(what): \(reason)"
        case let .deviceLost(device, attempts, reason):
            "ALSA device '\(device)' was lost and did not come back after \(attempts) attempt\(attempts == 1 ? "" : "s"): \(reason)"
        case let .readFailed(device, code, reason): "reading ALSA device '\(device)' failed: \(reason) (\(code))"
        case let .file(path, reason): "\(path): \(reason)"
        case let .stream(name, code, reason): "reading \(name) failed: \(reason) (errno \(code))"
        }
    }
}
