import CZlib

/// CRC-32 (IEEE 802.3 / zlib polynomial 0xEDB88320, reflected, initial value and final XOR
/// 0xFFFFFFFF), computed by zlib's `crc32` (Debian zlib1g-dev): a well-kept, vectorised implementation
/// instead of our own tables. `CRC32.checksum("123456789")` is `0xCBF43926`, the standard check value
/// (tested).
enum CRC32 {
    /// Continues a running CRC (start with `0`) over `bytes`.
    static func update(_ crc: UInt32, _ bytes: UnsafeRawBufferPointer) -> UInt32 {
        guard var p = bytes.baseAddress?.assumingMemoryBound(to: UInt8.self) else { return crc }
        var c = UInt(crc), n = bytes.count
        // zlib takes a 32-bit length: feed large buffers in chunks.
        while n > 0 {
            let k = min(n, 1 << 30)
            c = CZlib.crc32(c, p, UInt32(k))
            p += k; n -= k
        }
        return UInt32(truncatingIfNeeded: c)
    }

    /// The CRC-32 of `bytes`.
    static func checksum(_ bytes: UnsafeRawBufferPointer) -> UInt32 { update(0, bytes) }

    /// The CRC-32 of `bytes`.
    static func checksum(_ bytes: [UInt8]) -> UInt32 { bytes.withUnsafeBytes { update(0, $0) } }
}
