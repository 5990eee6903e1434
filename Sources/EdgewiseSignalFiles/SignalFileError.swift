/// Why a signal or annotation file could not be read or written. Every case names the file and,
/// where there is one, the position (line, byte offset, sample or record).
public enum SignalFileError: Error, CustomStringConvertible, Equatable, Sendable {
    /// The file does not exist or cannot be opened.
    case cannotOpen(file: String, reason: String)
    /// A header line (WFDB `.hea`, CSV header, EDF header field) is malformed.
    case badHeader(file: String, line: Int, reason: String)
    /// The file ends before the header says it should.
    case truncated(file: String, offset: Int, reason: String)
    /// The samples do not match the checksum (or initial value) the header gives for a signal.
    case checksumMismatch(file: String, signal: Int, expected: Int, computed: Int)
    /// A value in the body of the file is malformed (annotation stream, CSV cell, …).
    case badData(file: String, position: String, reason: String)
    /// A well-formed file in a variant this reader does not handle (e.g. WFDB format 310).
    case unsupported(file: String, reason: String)
    /// Writing failed.
    case cannotWrite(file: String, reason: String)

    public var description: String {
        switch self {
        case let .cannotOpen(file, reason): "cannot open \(file): \(reason)"
        case let .badHeader(file, line, reason): "\(file):\(line): \(reason)"
        case let .truncated(file, offset, reason): "\(file) is truncated at byte \(offset): \(reason)"
        case let .checksumMismatch(file, signal, expected, computed):
            "\(file): signal \(signal) checksum mismatch (header \(expected), samples give \(computed))"
        case let .badData(file, position, reason): "\(file) (\(position)): \(reason)"
        case let .unsupported(file, reason): "\(file): unsupported: \(reason)"
        case let .cannotWrite(file, reason): "cannot write \(file): \(reason)"
        }
    }
}

/// Reads a whole file into memory, mapping the failure to ``SignalFileError/cannotOpen(file:reason:)``.
func readBytes(_ path: String) throws -> [UInt8] {
    guard let f = fopen(path, "rb") else { throw SignalFileError.cannotOpen(file: path, reason: String(cString: strerror(errno))) }
    defer { fclose(f) }
    var out: [UInt8] = []
    var chunk = [UInt8](repeating: 0, count: 1 << 16)
    while true {
        let n = chunk.withUnsafeMutableBytes { fread($0.baseAddress, 1, $0.count, f) }
        if n > 0 { out.append(contentsOf: chunk[0..<n]) }
        if n < chunk.count { break }
    }
    if ferror(f) != 0 { throw SignalFileError.cannotOpen(file: path, reason: "read error") }
    return out
}

/// Writes bytes to a file, replacing it.
func writeBytes(_ bytes: [UInt8], to path: String) throws {
    guard let f = fopen(path, "wb") else { throw SignalFileError.cannotWrite(file: path, reason: String(cString: strerror(errno))) }
    defer { fclose(f) }
    let n = bytes.withUnsafeBytes { fwrite($0.baseAddress, 1, $0.count, f) }
    if n != bytes.count { throw SignalFileError.cannotWrite(file: path, reason: "short write") }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
