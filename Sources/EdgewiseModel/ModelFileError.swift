import EdgewiseCore

/// Why a model file could not be read or written.
///
/// Every case names the file (its path, or the `name` given to ``ModelFile/decode(_:name:)``) and,
/// except ``io(file:detail:)``, the byte offset in the file of the field or data that is wrong, so a
/// message reads like `model.edgewise: offset 16: section 'weights' CRC-32 is 0x1234abcd, expected …`.
public enum ModelFileError: Error, Equatable, CustomStringConvertible {
    /// The file ends before a structure that starts at `offset` and needs `needed` bytes; only
    /// `available` bytes are left from `offset` to the end of the file.
    case truncated(file: String, offset: Int, needed: UInt64, available: Int)
    /// The first four bytes are not `EDGW`: not an Edgewise model file.
    case badMagic(file: String, offset: Int, found: [UInt8])
    /// The file's major version is not one this reader understands (newer files need a newer reader).
    case unsupportedVersion(file: String, offset: Int, found: ModelFileVersion, supported: ModelFileVersion)
    /// The stored CRC-32 of `section` (`header`, `section table`, `structure`, `weights`, …), which
    /// starts at `offset`, does not match its bytes.
    case checksumMismatch(file: String, section: String, offset: Int, stored: UInt32, computed: UInt32)
    /// The section table entry at `offset` places `section` at `start ..< start + length`, outside
    /// the file's `fileSize` bytes (or the table itself does not fit).
    case sectionOutOfBounds(file: String, section: String, offset: Int, start: UInt64, length: UInt64, fileSize: Int)
    /// The field `field` at `offset` claims `claimed`, more than `limit` (the file size or a format limit).
    /// Rejected before anything is allocated from it.
    case oversizedClaim(file: String, field: String, offset: Int, claimed: UInt64, limit: UInt64)
    /// The bytes at `offset` are well-formed as far as the checksums go but do not describe a valid model.
    case malformedStructure(file: String, offset: Int, detail: String)
    /// The decoded graph (from the structure section at `offset`) failed ``EdgewiseCore/Graph/validate()``.
    case invalidGraph(file: String, offset: Int, GraphError)
    /// Opening, mapping, writing or renaming the file failed.
    case io(file: String, detail: String)

    /// The file's path or name.
    public var file: String {
        switch self {
        case .truncated(let f, _, _, _), .badMagic(let f, _, _), .unsupportedVersion(let f, _, _, _),
             .checksumMismatch(let f, _, _, _, _), .sectionOutOfBounds(let f, _, _, _, _, _),
             .oversizedClaim(let f, _, _, _, _), .malformedStructure(let f, _, _), .invalidGraph(let f, _, _),
             .io(let f, _):
            return f
        }
    }

    /// The byte offset the error refers to, or `nil` for ``io(file:detail:)``.
    public var offset: Int? {
        switch self {
        case .truncated(_, let o, _, _), .badMagic(_, let o, _), .unsupportedVersion(_, let o, _, _),
             .checksumMismatch(_, _, let o, _, _), .sectionOutOfBounds(_, _, let o, _, _, _),
             .oversizedClaim(_, _, let o, _, _), .malformedStructure(_, let o, _), .invalidGraph(_, let o, _):
            return o
        case .io: return nil
        }
    }

    /// `FILE: offset N: what is wrong` (`FILE: what is wrong` for ``io(file:detail:)``).
    public var description: String {
        func hex(_ v: UInt32) -> String { "0x" + String(v, radix: 16) }
        switch self {
        case .truncated(let f, let o, let n, let a):
            return "\(f): offset \(o): file is truncated: needs \(n) bytes from here, only \(a) remain"
        case .badMagic(let f, let o, let found):
            let shown = found.map { String($0, radix: 16) }.joined(separator: " ")
            return "\(f): offset \(o): not an Edgewise model file (magic bytes [\(shown)], expected 'EDGW')"
        case .unsupportedVersion(let f, let o, let found, let s):
            return "\(f): offset \(o): format version \(found) is not supported (this reader reads \(s.major).x, up to \(s)); a newer major version needs a newer Edgewise"
        case .checksumMismatch(let f, let s, let o, let stored, let computed):
            return "\(f): offset \(o): \(s) is corrupted: stored CRC-32 \(hex(stored)), computed \(hex(computed))"
        case .sectionOutOfBounds(let f, let s, let o, let start, let len, let size):
            return "\(f): offset \(o): \(s) claims \(len) bytes at offset \(start), past the end of the file (\(size) bytes)"
        case .oversizedClaim(let f, let field, let o, let claimed, let limit):
            return "\(f): offset \(o): \(field) claims \(claimed), more than the limit \(limit)"
        case .malformedStructure(let f, let o, let d):
            return "\(f): offset \(o): malformed model: \(d)"
        case .invalidGraph(let f, let o, let e):
            return "\(f): offset \(o): invalid graph: \(e)"
        case .io(let f, let d):
            return "\(f): \(d)"
        }
    }
}

/// A model file format version. Readers accept their own major version with any minor version.
public struct ModelFileVersion: Hashable, Sendable, CustomStringConvertible {
    /// Incremented for changes old readers cannot read.
    public var major: UInt16
    /// Incremented for additions old readers can skip (new JSON keys, longer header, new section kinds).
    public var minor: UInt16

    /// A version `major.minor`.
    public init(major: UInt16, minor: UInt16) { self.major = major; self.minor = minor }

    /// `major.minor`, e.g. `1.0`.
    public var description: String { "\(major).\(minor)" }
}
