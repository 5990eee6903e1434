/// Why a FlatBuffer could not be read: every offset, vtable, vector and string is checked against the
/// buffer before use, and the first one that does not fit ends the read with this error.
struct FlatBufferError: Error, Equatable, CustomStringConvertible, Sendable {
    /// What was being read and what was wrong, e.g. "vector at 1234: 99999 elements of 4 bytes run past the end (4096 bytes)".
    var detail: String
    init(_ detail: String) { self.detail = detail }
    var description: String { detail }
}

/// A bounds-checked reader of the FlatBuffers binary format (little-endian), written for untrusted files.
/// Internal to EdgewiseInterop: its errors surface as ``TFLiteImportError/malformed(file:detail:)``.
///
/// The format in short: the buffer starts with a `uoffset` (u32) to the root table. A table starts with
/// an `soffset` (i32): the table position minus that value is its vtable. A vtable is a list of u16:
/// its own size in bytes, the table's inline size, then one offset per field id (0 = field absent, take
/// the schema default). Scalars are stored inline; tables, vectors and strings are reached through a
/// u32 `uoffset` relative to where that offset is stored. A vector is a u32 element count followed by
/// the elements; a string is a byte vector followed by a NUL.
///
/// Every accessor throws ``FlatBufferError`` instead of trapping: no position is used before it is
/// checked to lie in the buffer, all arithmetic is done on `Int` (64-bit) from 32-bit file values so it
/// cannot overflow, and no allocation is sized from a length that was not checked against the bytes
/// that would have to hold it.
struct FlatBufferReader: Sendable {
    /// The whole buffer.
    let bytes: [UInt8]

    init(bytes: [UInt8]) { self.bytes = bytes }

    var count: Int { bytes.count }

    // MARK: Checked scalar reads

    /// Throws unless `size` bytes at `position` lie inside the buffer.
    @inline(__always)
    func check(_ position: Int, _ size: Int, _ what: @autoclosure () -> String) throws {
        guard position >= 0, size >= 0, position <= bytes.count, size <= bytes.count - position else {
            throw FlatBufferError("\(what()) at \(position) (+\(size) bytes) lies outside the \(bytes.count)-byte buffer")
        }
    }

    func u8(at p: Int) throws -> UInt8 {
        try check(p, 1, "u8")
        return bytes[p]
    }

    func u16(at p: Int) throws -> UInt16 {
        try check(p, 2, "u16")
        return UInt16(bytes[p]) | UInt16(bytes[p + 1]) << 8
    }

    func u32(at p: Int) throws -> UInt32 {
        try check(p, 4, "u32")
        return UInt32(bytes[p]) | UInt32(bytes[p + 1]) << 8 | UInt32(bytes[p + 2]) << 16 | UInt32(bytes[p + 3]) << 24
    }

    func i32(at p: Int) throws -> Int32 { Int32(bitPattern: try u32(at: p)) }

    func u64(at p: Int) throws -> UInt64 {
        try check(p, 8, "u64")
        var v: UInt64 = 0
        for i in 0..<8 { v |= UInt64(bytes[p + i]) << (8 * UInt64(i)) }
        return v
    }

    func i64(at p: Int) throws -> Int64 { Int64(bitPattern: try u64(at: p)) }

    func f32(at p: Int) throws -> Float { Float(bitPattern: try u32(at: p)) }

    // MARK: Tables

    /// The root table: the u32 at offset 0 points to it.
    func root() throws -> FlatTable {
        let off = Int(try u32(at: 0))
        return try table(at: off)
    }

    /// The 4-byte file identifier stored after the root offset, or `nil` when the buffer is too short.
    var fileIdentifier: String? {
        guard bytes.count >= 8 else { return nil }
        return String(decoding: bytes[4..<8], as: UTF8.self)
    }

    /// The table starting at `position`, with its vtable checked.
    func table(at position: Int) throws -> FlatTable {
        try check(position, 4, "table")
        let soffset = Int(try i32(at: position))
        let vtable = position - soffset
        try check(vtable, 4, "vtable of table at \(position)")
        let vtableSize = Int(try u16(at: vtable))
        let inlineSize = Int(try u16(at: vtable + 2))
        guard vtableSize >= 4, vtableSize % 2 == 0 else {
            throw FlatBufferError("vtable at \(vtable) of table at \(position) has invalid size \(vtableSize)")
        }
        try check(vtable, vtableSize, "vtable of table at \(position)")
        guard inlineSize >= 4 else {
            throw FlatBufferError("table at \(position) has invalid inline size \(inlineSize)")
        }
        try check(position, inlineSize, "table body")
        return FlatTable(reader: self, position: position, vtable: vtable, vtableSize: vtableSize, inlineSize: inlineSize)
    }
}

/// One table of a ``FlatBufferReader``'s buffer. Fields are addressed by their schema id (declaration
/// order, counting a union as two ids: its `_type` byte, then its value).
struct FlatTable: Sendable {
    let reader: FlatBufferReader
    /// Where the table starts (its soffset to the vtable).
    let position: Int
    let vtable: Int
    let vtableSize: Int
    let inlineSize: Int

    /// The absolute position of field `id`'s inline data, or `nil` when the field is absent. Throws when
    /// the field's `size` bytes would not lie inside the table.
    func fieldPosition(_ id: Int, size: Int) throws -> Int? {
        let entry = 4 + 2 * id
        guard id >= 0, entry + 2 <= vtableSize else { return nil }
        let off = Int(try reader.u16(at: vtable + entry))
        if off == 0 { return nil }
        guard off >= 4, off + size <= inlineSize else {
            throw FlatBufferError("field \(id) of table at \(position) (offset \(off), \(size) bytes) lies outside the table's \(inlineSize) bytes")
        }
        return position + off
    }

    /// Whether field `id` is present.
    func has(_ id: Int) throws -> Bool { try fieldPosition(id, size: 1) != nil }

    func u8(_ id: Int, default d: UInt8 = 0) throws -> UInt8 {
        guard let p = try fieldPosition(id, size: 1) else { return d }
        return try reader.u8(at: p)
    }

    func i8(_ id: Int, default d: Int8 = 0) throws -> Int8 {
        guard let p = try fieldPosition(id, size: 1) else { return d }
        return Int8(bitPattern: try reader.u8(at: p))
    }

    func bool(_ id: Int, default d: Bool = false) throws -> Bool {
        guard let p = try fieldPosition(id, size: 1) else { return d }
        return try reader.u8(at: p) != 0
    }

    func i32(_ id: Int, default d: Int32 = 0) throws -> Int32 {
        guard let p = try fieldPosition(id, size: 4) else { return d }
        return try reader.i32(at: p)
    }

    func u32(_ id: Int, default d: UInt32 = 0) throws -> UInt32 {
        guard let p = try fieldPosition(id, size: 4) else { return d }
        return try reader.u32(at: p)
    }

    func u64(_ id: Int, default d: UInt64 = 0) throws -> UInt64 {
        guard let p = try fieldPosition(id, size: 8) else { return d }
        return try reader.u64(at: p)
    }

    func f32(_ id: Int, default d: Float = 0) throws -> Float {
        guard let p = try fieldPosition(id, size: 4) else { return d }
        return try reader.f32(at: p)
    }

    /// Follows the uoffset stored in field `id`; `nil` when the field is absent.
    private func indirect(_ id: Int) throws -> Int? {
        guard let p = try fieldPosition(id, size: 4) else { return nil }
        let target = p + Int(try reader.u32(at: p))
        try reader.check(target, 4, "object referenced by field \(id) of table at \(position)")
        return target
    }

    /// The sub-table in field `id`, or `nil` when absent.
    func table(_ id: Int) throws -> FlatTable? {
        guard let t = try indirect(id) else { return nil }
        return try reader.table(at: t)
    }

    /// The vector in field `id` (elements of `elementSize` bytes), or `nil` when absent.
    func vector(_ id: Int, elementSize: Int) throws -> FlatVector? {
        guard let v = try indirect(id) else { return nil }
        return try FlatVector(reader: reader, position: v, elementSize: elementSize)
    }

    /// The string in field `id`, or `nil` when absent. Invalid UTF-8 is replaced, never trusted.
    func string(_ id: Int) throws -> String? {
        guard let v = try vector(id, elementSize: 1) else { return nil }
        return String(decoding: reader.bytes[v.start..<(v.start + v.count)], as: UTF8.self)
    }

    /// The elements of an `[int]` field, or `[]` when absent.
    func int32s(_ id: Int) throws -> [Int32] {
        guard let v = try vector(id, elementSize: 4) else { return [] }
        return try (0..<v.count).map { try v.i32($0) }
    }

    /// The elements of a `[long]` field, or `[]` when absent.
    func int64s(_ id: Int) throws -> [Int64] {
        guard let v = try vector(id, elementSize: 8) else { return [] }
        return try (0..<v.count).map { try v.i64($0) }
    }

    /// The elements of a `[float]` field, or `[]` when absent.
    func floats(_ id: Int) throws -> [Float] {
        guard let v = try vector(id, elementSize: 4) else { return [] }
        return try (0..<v.count).map { try v.f32($0) }
    }

    /// The tables of a `[Table]` field, or `[]` when absent.
    func tables(_ id: Int) throws -> [FlatTable] {
        guard let v = try vector(id, elementSize: 4) else { return [] }
        return try (0..<v.count).map { try v.table($0) }
    }
}

/// A vector in a ``FlatBufferReader``'s buffer whose elements are all inside the buffer.
struct FlatVector: Sendable {
    let reader: FlatBufferReader
    /// Position of the first element.
    let start: Int
    /// Number of elements.
    let count: Int
    let elementSize: Int

    /// Checks that the whole vector (length word and every element) lies inside the buffer.
    init(reader: FlatBufferReader, position: Int, elementSize: Int) throws {
        let n = Int(try reader.u32(at: position))
        let start = position + 4
        // n < 2^32 and elementSize ≤ 8, so the product cannot overflow a 64-bit Int.
        try reader.check(start, n * elementSize, "vector of \(n) elements of \(elementSize) bytes")
        self.reader = reader; self.start = start; self.count = n; self.elementSize = elementSize
    }

    private func element(_ i: Int) throws -> Int {
        guard i >= 0, i < count else { throw FlatBufferError("vector index \(i) out of range 0..<\(count)") }
        return start + i * elementSize
    }

    func u8(_ i: Int) throws -> UInt8 { try reader.u8(at: try element(i)) }
    func i32(_ i: Int) throws -> Int32 { try reader.i32(at: try element(i)) }
    func i64(_ i: Int) throws -> Int64 { try reader.i64(at: try element(i)) }
    func f32(_ i: Int) throws -> Float { try reader.f32(at: try element(i)) }

    /// The table that element `i` (a uoffset) points to.
    func table(_ i: Int) throws -> FlatTable {
        let p = try element(i)
        return try reader.table(at: p + Int(try reader.u32(at: p)))
    }

    /// The byte range of the vector's elements inside the buffer.
    var byteRange: Range<Int> { start..<(start + count * elementSize) }
}
