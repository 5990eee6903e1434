/// Why a `.npy` file could not be read.
public enum NPYError: Error, Equatable, CustomStringConvertible, Sendable {
    case unreadable(file: String, reason: String)
    case malformed(file: String, detail: String)
    case unsupported(file: String, detail: String)

    public var description: String {
        switch self {
        case .unreadable(let f, let r): return "\(f): cannot read the file: \(r)"
        case .malformed(let f, let d): return "\(f): malformed .npy file: \(d)"
        case .unsupported(let f, let d): return "\(f): unsupported .npy file: \(d)"
        }
    }
}

/// A NumPy `.npy` array (format versions 1.0, 2.0 and 3.0), C order, little-endian.
///
/// Element types: `'<f4'` (float32), `'|i1'` (int8), `'|u1'` (uint8), `'<i4'` (int32). The header is
/// parsed strictly (keys `descr`, `fortran_order`, `shape`; Fortran order is refused) and the data must be
/// exactly `shape`'s element count times the element size, so a malformed file is an error, never a trap.
///
/// ```swift
/// let mfcc = try NPYFile(path: "mfcc_tf_ops.npy")   // shape [11, 490], float32
/// let rows = try mfcc.floats()
/// ```
public struct NPYFile: Sendable {
    /// The element type, named by its NumPy `descr`.
    public enum DType: String, Sendable, CaseIterable {
        case float32 = "<f4"
        case int8 = "|i1"
        case uint8 = "|u1"
        case int32 = "<i4"

        /// Bytes per element.
        public var size: Int {
            switch self {
            case .float32, .int32: return 4
            case .int8, .uint8: return 1
            }
        }

        /// The `descr` spellings accepted for this type (NumPy writes the first).
        static func parse(_ descr: String) -> DType? {
            switch descr {
            case "<f4": return .float32
            case "|i1", "<i1", "i1": return .int8
            case "|u1", "<u1", "u1": return .uint8
            case "<i4": return .int32
            default: return nil
            }
        }
    }

    public let dtype: DType
    /// Dimensions, outermost first (`[]` for a scalar).
    public let shape: [Int]
    /// The raw element bytes, little-endian, C (row-major) order.
    public let data: [UInt8]

    /// The number of elements.
    public var elementCount: Int { data.count / dtype.size }

    /// Reads the file at `path`.
    public init(path: String) throws {
        let bytes: [UInt8]
        do { bytes = try readWholeFile(path) } catch let e as FileReadError {
            throw NPYError.unreadable(file: path, reason: e.reason)
        }
        try self.init(bytes: bytes, name: path)
    }

    /// Parses `.npy` bytes; `name` identifies them in errors.
    public init(bytes: [UInt8], name: String = "<npy>") throws {
        func malformed(_ d: String) -> NPYError { .malformed(file: name, detail: d) }
        let magic: [UInt8] = [0x93, 0x4E, 0x55, 0x4D, 0x50, 0x59]  // \x93NUMPY
        guard bytes.count >= 10, Array(bytes[0..<6]) == magic else { throw malformed("missing the \\x93NUMPY magic") }
        let major = bytes[6]
        let headerLength: Int, headerStart: Int
        switch major {
        case 1:
            headerLength = Int(bytes[8]) | Int(bytes[9]) << 8
            headerStart = 10
        case 2, 3:
            guard bytes.count >= 12 else { throw malformed("truncated header length") }
            headerLength = Int(bytes[8]) | Int(bytes[9]) << 8 | Int(bytes[10]) << 16 | Int(bytes[11]) << 24
            headerStart = 12
        default:
            throw NPYError.unsupported(file: name, detail: "format version \(major).\(bytes[7])")
        }
        guard headerLength <= bytes.count - headerStart else {
            throw malformed("header of \(headerLength) bytes runs past the end of the \(bytes.count)-byte file")
        }
        let header = String(decoding: bytes[headerStart..<(headerStart + headerLength)], as: UTF8.self)
        let dict: [String: HeaderValue]
        do { var parser = HeaderParser(header); dict = try parser.parseDict() } catch let e as HeaderParser.Failure {
            throw malformed("header \(String(reflecting: header)): \(e.detail)")
        }
        guard Set(dict.keys) == ["descr", "fortran_order", "shape"] else {
            throw malformed("header keys are \(dict.keys.sorted()), expected descr, fortran_order and shape")
        }
        guard case .string(let descr)? = dict["descr"] else { throw malformed("'descr' is not a string") }
        guard case .bool(let fortran)? = dict["fortran_order"] else { throw malformed("'fortran_order' is not True or False") }
        guard case .tuple(let shape)? = dict["shape"] else { throw malformed("'shape' is not a tuple of integers") }
        guard let dt = DType.parse(descr) else {
            throw NPYError.unsupported(file: name, detail: "dtype '\(descr)' (supported: <f4, |i1, |u1, <i4)")
        }
        guard !fortran else { throw NPYError.unsupported(file: name, detail: "Fortran (column-major) order") }
        var count = 1
        for d in shape {
            let (p, o) = count.multipliedReportingOverflow(by: d)
            guard !o else { throw malformed("shape \(shape) overflows") }
            count = p
        }
        let dataStart = headerStart + headerLength
        let available = bytes.count - dataStart
        let (needed, o) = count.multipliedReportingOverflow(by: dt.size)
        guard !o, needed == available else {
            throw malformed("shape \(shape) of \(descr) needs \(o ? "too many" : String(needed)) data bytes, the file has \(available)")
        }
        self.dtype = dt
        self.shape = shape
        self.data = Array(bytes[dataStart...])
    }

    /// The elements as `Float` (dtype must be float32).
    /// A version-1.0 .npy file (C order, little endian) holding `data` as `dtype` with `shape`.
    public static func encode(dtype: DType, shape: [Int], data: [UInt8]) -> [UInt8] {
        let dims = shape.map(String.init).joined(separator: ", ") + (shape.count == 1 ? "," : "")
        var header = "{'descr': '\(dtype.rawValue)', 'fortran_order': False, 'shape': (\(dims)), }"
        // magic (6) + version (2) + length (2) + header + "\n", padded to a multiple of 64.
        let total = 10 + header.utf8.count + 1
        header += String(repeating: " ", count: (64 - total % 64) % 64) + "\n"
        var out: [UInt8] = [0x93] + Array("NUMPY".utf8) + [1, 0]
        let n = UInt16(header.utf8.count)
        out += [UInt8(n & 0xFF), UInt8(n >> 8)]
        out += Array(header.utf8)
        return out + data
    }

    public func floats() throws -> [Float] {
        guard dtype == .float32 else { throw NPYError.unsupported(file: "<npy>", detail: "floats() on a \(dtype.rawValue) array") }
        return (0..<elementCount).map { i in
            let p = 4 * i
            return Float(bitPattern: UInt32(data[p]) | UInt32(data[p + 1]) << 8 | UInt32(data[p + 2]) << 16 | UInt32(data[p + 3]) << 24)
        }
    }

    /// The elements as `Int8` (dtype must be int8).
    public func int8s() throws -> [Int8] {
        guard dtype == .int8 else { throw NPYError.unsupported(file: "<npy>", detail: "int8s() on a \(dtype.rawValue) array") }
        return data.map { Int8(bitPattern: $0) }
    }

    /// The elements as `Int32` (dtype must be int32).
    public func int32s() throws -> [Int32] {
        guard dtype == .int32 else { throw NPYError.unsupported(file: "<npy>", detail: "int32s() on a \(dtype.rawValue) array") }
        return (0..<elementCount).map { i in
            let p = 4 * i
            return Int32(bitPattern: UInt32(data[p]) | UInt32(data[p + 1]) << 8 | UInt32(data[p + 2]) << 16 | UInt32(data[p + 3]) << 24)
        }
    }

    /// Row `i` of a 2-D float32 array.
    public func floatRow(_ i: Int) throws -> [Float] {
        guard shape.count == 2, i >= 0, i < shape[0] else { throw NPYError.unsupported(file: "<npy>", detail: "row \(i) of shape \(shape)") }
        let all = try floats()
        return Array(all[(i * shape[1])..<((i + 1) * shape[1])])
    }
}

/// A value in a `.npy` header dictionary.
enum HeaderValue: Equatable {
    case string(String)
    case bool(Bool)
    case tuple([Int])
}

/// Parses the Python dict literal of a `.npy` header: `{'descr': '<f4', 'fortran_order': False, 'shape': (11, 490), }`.
struct HeaderParser {
    struct Failure: Error { var detail: String }
    private let chars: [Character]
    private var i = 0

    init(_ s: String) { chars = Array(s) }

    private mutating func skipSpace() { while i < chars.count, chars[i].isWhitespace { i += 1 } }

    private mutating func expect(_ c: Character) throws {
        skipSpace()
        guard i < chars.count, chars[i] == c else { throw Failure(detail: "expected '\(c)' at \(i)") }
        i += 1
    }

    private mutating func peek() -> Character? {
        skipSpace()
        return i < chars.count ? chars[i] : nil
    }

    private mutating func string() throws -> String {
        skipSpace()
        guard i < chars.count, chars[i] == "'" || chars[i] == "\"" else { throw Failure(detail: "expected a string at \(i)") }
        let q = chars[i]
        i += 1
        var s = ""
        while i < chars.count, chars[i] != q {
            s.append(chars[i]); i += 1
            guard s.count <= 64 else { throw Failure(detail: "string too long") }
        }
        guard i < chars.count else { throw Failure(detail: "unterminated string") }
        i += 1
        return s
    }

    private mutating func integer() throws -> Int {
        skipSpace()
        var v = 0, digits = 0
        while i < chars.count, let d = chars[i].wholeNumberValue, chars[i].isASCII {
            let (m, o1) = v.multipliedReportingOverflow(by: 10)
            let (a, o2) = m.addingReportingOverflow(d)
            guard !o1, !o2 else { throw Failure(detail: "dimension too large") }
            v = a; digits += 1; i += 1
        }
        guard digits > 0 else { throw Failure(detail: "expected a non-negative integer at \(i)") }
        // Accept NumPy 1.x's `L` suffix on Python 2 longs.
        if i < chars.count, chars[i] == "L" { i += 1 }
        return v
    }

    private mutating func value() throws -> HeaderValue {
        switch peek() {
        case "'", "\"": return .string(try string())
        case "(":
            i += 1
            var dims: [Int] = []
            while true {
                if peek() == ")" { i += 1; break }
                dims.append(try integer())
                guard dims.count <= 32 else { throw Failure(detail: "more than 32 dimensions") }
                if peek() == "," { i += 1; continue }
                try expect(")")
                break
            }
            return .tuple(dims)
        default:
            for (word, v) in [("True", true), ("False", false)] {
                let w = Array(word)
                if i + w.count <= chars.count, Array(chars[i..<(i + w.count)]) == w {
                    i += w.count
                    return .bool(v)
                }
            }
            throw Failure(detail: "unexpected value at \(i)")
        }
    }

    mutating func parseDict() throws -> [String: HeaderValue] {
        try expect("{")
        var d: [String: HeaderValue] = [:]
        while true {
            if peek() == "}" { i += 1; break }
            let k = try string()
            try expect(":")
            guard d[k] == nil else { throw Failure(detail: "duplicate key '\(k)'") }
            d[k] = try value()
            guard d.count <= 8 else { throw Failure(detail: "too many keys") }
            if peek() == "," { i += 1; continue }
            try expect("}")
            break
        }
        // Only padding spaces and the final newline may follow.
        skipSpace()
        guard i == chars.count else { throw Failure(detail: "trailing characters after the dictionary") }
        return d
    }
}
