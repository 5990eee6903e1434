/// CRC-32 (IEEE 802.3 / zlib polynomial 0xEDB88320, reflected, initial value and final XOR 0xFFFFFFFF),
/// computed slicing-by-8 with explicit byte loads (no unaligned pointer casts).
///
/// `CRC32.checksum(of: "123456789")` is `0xCBF43926`, the standard check value.
enum CRC32 {
    /// Eight 256-entry tables: `tables[k * 256 + b]` is the CRC of byte `b` followed by `k` zero bytes.
    static let tables: [UInt32] = {
        var t = [UInt32](repeating: 0, count: 8 * 256)
        for i in 0..<256 {
            var c = UInt32(i)
            for _ in 0..<8 { c = (c & 1) != 0 ? (0xEDB8_8320 ^ (c >> 1)) : (c >> 1) }
            t[i] = c
        }
        for i in 0..<256 {
            var c = t[i]
            for k in 1..<8 {
                c = t[Int(c & 0xFF)] ^ (c >> 8)
                t[k * 256 + i] = c
            }
        }
        return t
    }()

    /// Continues a running CRC (start with `0`) over `bytes`.
    static func update(_ crc: UInt32, _ bytes: UnsafeRawBufferPointer) -> UInt32 {
        var c = ~crc
        let n = bytes.count
        guard n > 0, let base = bytes.baseAddress else { return crc }
        tables.withUnsafeBufferPointer { t in
            var i = 0
            while i + 8 <= n {
                let b0 = UInt32(base.load(fromByteOffset: i, as: UInt8.self))
                let b1 = UInt32(base.load(fromByteOffset: i + 1, as: UInt8.self))
                let b2 = UInt32(base.load(fromByteOffset: i + 2, as: UInt8.self))
                let b3 = UInt32(base.load(fromByteOffset: i + 3, as: UInt8.self))
                let lo = c ^ (b0 | b1 << 8 | b2 << 16 | b3 << 24)
                let b4 = Int(base.load(fromByteOffset: i + 4, as: UInt8.self))
                let b5 = Int(base.load(fromByteOffset: i + 5, as: UInt8.self))
                let b6 = Int(base.load(fromByteOffset: i + 6, as: UInt8.self))
                let b7 = Int(base.load(fromByteOffset: i + 7, as: UInt8.self))
                c = t[7 * 256 + Int(lo & 0xFF)] ^ t[6 * 256 + Int((lo >> 8) & 0xFF)]
                    ^ t[5 * 256 + Int((lo >> 16) & 0xFF)] ^ t[4 * 256 + Int(lo >> 24)]
                    ^ t[3 * 256 + b4] ^ t[2 * 256 + b5] ^ t[1 * 256 + b6] ^ t[b7]
                i += 8
            }
            while i < n {
                let b = UInt32(base.load(fromByteOffset: i, as: UInt8.self))
                c = t[Int((c ^ b) & 0xFF)] ^ (c >> 8)
                i += 1
            }
        }
        return ~c
    }

    /// The CRC-32 of `bytes`.
    static func checksum(_ bytes: UnsafeRawBufferPointer) -> UInt32 { update(0, bytes) }

    /// The CRC-32 of `bytes`.
    static func checksum(_ bytes: [UInt8]) -> UInt32 { bytes.withUnsafeBytes { update(0, $0) } }
}
