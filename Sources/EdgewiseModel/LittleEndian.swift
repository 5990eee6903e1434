/// Little-endian integer access by explicit byte loads, so no read depends on alignment or host order.
///
/// Reads take a buffer and an offset the caller has already range-checked against `count`;
/// the reader checks every range before it reads a field.
enum LittleEndian {
    @inline(__always)
    static func u16(_ b: UnsafeRawBufferPointer, _ o: Int) -> UInt16 {
        UInt16(b[o]) | UInt16(b[o + 1]) << 8
    }

    @inline(__always)
    static func u32(_ b: UnsafeRawBufferPointer, _ o: Int) -> UInt32 {
        UInt32(b[o]) | UInt32(b[o + 1]) << 8 | UInt32(b[o + 2]) << 16 | UInt32(b[o + 3]) << 24
    }

    @inline(__always)
    static func u64(_ b: UnsafeRawBufferPointer, _ o: Int) -> UInt64 {
        UInt64(u32(b, o)) | UInt64(u32(b, o + 4)) << 32
    }

    static func put16(_ v: UInt16, into a: inout [UInt8], at o: Int) {
        a[o] = UInt8(truncatingIfNeeded: v); a[o + 1] = UInt8(truncatingIfNeeded: v >> 8)
    }

    static func put32(_ v: UInt32, into a: inout [UInt8], at o: Int) {
        for k in 0..<4 { a[o + k] = UInt8(truncatingIfNeeded: v >> (8 * UInt32(k))) }
    }

    static func put64(_ v: UInt64, into a: inout [UInt8], at o: Int) {
        for k in 0..<8 { a[o + k] = UInt8(truncatingIfNeeded: v >> (8 * UInt64(k))) }
    }
}
