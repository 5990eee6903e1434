/// Why a dataset or audio file could not be read. Every case names the file (and the line, where there is one).
public enum DatasetError: Error, CustomStringConvertible, Equatable, Sendable {
    /// A data directory does not exist; `hint` says how to point Edgewise at it.
    case missingDirectory(String, hint: String)
    /// A file the dataset lists, or the caller asked for, does not exist.
    case missingFile(String)
    /// libsndfile could not open or decode the file (not audio, corrupt header, unsupported encoding).
    case unreadableAudio(file: String, reason: String)
    /// The file decoded to fewer frames than its header declares.
    case truncatedAudio(file: String, expectedFrames: Int, decodedFrames: Int)
    /// The audio is not in the format the reader requires (e.g. 16000 Hz mono); no resampling is done.
    case unsupportedFormat(file: String, sampleRate: Int, channels: Int, expected: String)
    /// A line of an index file (e.g. `splits.csv`) is malformed.
    case malformedIndex(file: String, line: Int, reason: String)

    public var description: String {
        switch self {
        case let .missingDirectory(path, hint): "data directory not found: \(path) (\(hint))"
        case let .missingFile(path): "file not found: \(path)"
        case let .unreadableAudio(file, reason): "cannot decode audio file \(file): \(reason)"
        case let .truncatedAudio(file, expected, decoded):
            "audio file \(file) is truncated: decoding stopped at frame \(decoded) of \(expected)"
        case let .unsupportedFormat(file, rate, channels, expected):
            "audio file \(file) is \(rate) Hz with \(channels) channel\(channels == 1 ? "" : "s"); expected \(expected) (no resampling is done)"
        case let .malformedIndex(file, line, reason): "\(file):\(line): \(reason)"
        }
    }
}
