import Foundation

/// Minimal `.npy` reader for test fixtures: version 1/2/3 headers, little-endian `<f4`, `<f8`, `|i1`, C order.
enum NPY {
    struct Array {
        var shape: [Int]
        var values: [Float]
    }

    struct FormatError: Error, CustomStringConvertible {
        var path: String, reason: String
        var description: String { "\(path): \(reason)" }
    }

    static func read(_ path: String) throws -> Array {
        let bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
        func fail(_ why: String) -> FormatError { FormatError(path: path, reason: why) }
        guard bytes.count >= 10, bytes[0] == 0x93, Array0.magic.elementsEqual(bytes[1..<6]) else { throw fail("not an .npy file") }
        let major = bytes[6]
        let headerLength: Int, start: Int
        if major == 1 {
            headerLength = Int(bytes[8]) | Int(bytes[9]) << 8
            start = 10
        } else {
            guard bytes.count >= 12 else { throw fail("truncated header") }
            headerLength = Int(bytes[8]) | Int(bytes[9]) << 8 | Int(bytes[10]) << 16 | Int(bytes[11]) << 24
            start = 12
        }
        guard bytes.count >= start + headerLength,
              let header = String(bytes: bytes[start..<start + headerLength], encoding: .ascii) else { throw fail("truncated header") }
        guard !header.contains("'fortran_order': True") else { throw fail("Fortran order not supported") }
        func field(_ key: String) -> Substring? {
            guard let r = header.range(of: "'\(key)': ") else { return nil }
            return header[r.upperBound...]
        }
        guard let d = field("descr"), let q1 = d.dropFirst().firstIndex(of: "'") else { throw fail("no descr") }
        let descr = String(d[d.index(after: d.startIndex)..<q1])
        guard let s = field("shape"), let close = s.firstIndex(of: ")") else { throw fail("no shape") }
        let shape = s[s.index(after: s.startIndex)..<close].split(separator: ",")
            .map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }.compactMap { Int($0) }
        let count = shape.reduce(1, *)
        let body = start + headerLength
        let width: Int
        switch descr {
        case "<f4": width = 4
        case "<f8": width = 8
        case "|i1", "<i1": width = 1
        default: throw fail("dtype \(descr) not supported")
        }
        guard bytes.count - body == count * width else { throw fail("expected \(count * width) data bytes, found \(bytes.count - body)") }
        var values = [Float](repeating: 0, count: count)
        bytes.withUnsafeBytes { raw in
            for i in 0..<count {
                let o = body + i * width
                switch width {
                case 4: values[i] = Float(bitPattern: raw.loadUnaligned(fromByteOffset: o, as: UInt32.self).littleEndian)
                case 8: values[i] = Float(Double(bitPattern: raw.loadUnaligned(fromByteOffset: o, as: UInt64.self).littleEndian))
                default: values[i] = Float(Int8(bitPattern: raw[o]))
                }
            }
        }
        return Array(shape: shape, values: values)
    }

    private enum Array0 { static let magic = Swift.Array("NUMPY".utf8) }
}
