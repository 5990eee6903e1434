/// Byte layout constants of the model file, format 1.x. `docs/model-format.md` is the prose version.
enum ModelFileLayout {
    static let magic: [UInt8] = Array("EDGW".utf8)
    /// The version this code writes; it reads any `1.x`.
    static let version = ModelFileVersion(major: 1, minor: 0)

    /// Header size written by 1.0; readers accept `minHeaderSize...maxHeaderSize` (a later minor version
    /// may append fields, which older readers skip).
    static let headerSize = 64
    static let minHeaderSize = 64
    static let maxHeaderSize = 4096
    /// Section table entry size written by 1.0; readers accept `minEntrySize...maxEntrySize`.
    static let entrySize = 32
    static let minEntrySize = 32
    static let maxEntrySize = 1024
    /// Most sections a file may list.
    static let maxSectionCount = 1024
    /// Alignment of every section start and of every constant inside the weights section.
    static let tensorAlignment = 64

    // Header field offsets.
    static let hMagic = 0          // 4 bytes "EDGW"
    static let hMajor = 4          // u16
    static let hMinor = 6          // u16
    static let hHeaderSize = 8     // u32
    static let hHeaderCRC = 12     // u32: CRC-32 of [0, headerSize) with these 4 bytes taken as zero
    static let hFileSize = 16      // u64
    static let hTableOffset = 24   // u64
    static let hSectionCount = 32  // u32
    static let hEntrySize = 36     // u32
    static let hTableCRC = 40      // u32: CRC-32 of the whole section table
    static let hFlags = 44         // u32: no flags defined in 1.x; readers ignore the bits
    // 48..<64 reserved, written as zero, ignored by readers (covered by the header CRC).

    // Section table entry field offsets.
    static let eKind = 0           // u32
    static let eFlags = 4          // u32: none defined in 1.x; ignored
    static let eOffset = 8         // u64: from the start of the file
    static let eLength = 16        // u64
    static let eCRC = 24           // u32: CRC-32 of the section's bytes
    // 28..<32 reserved, zero.

    /// Section kinds. Readers skip kinds they do not know (after checking bounds and CRC).
    static let kindStructure: UInt32 = 1
    static let kindWeights: UInt32 = 2

    static func kindName(_ k: UInt32) -> String {
        switch k {
        case kindStructure: return "structure section"
        case kindWeights: return "weights section"
        default: return "section of kind \(k)"
        }
    }

    /// Rounds `x` up to a multiple of `tensorAlignment`.
    static func aligned(_ x: Int) -> Int { (x + tensorAlignment - 1) / tensorAlignment * tensorAlignment }

    /// The header CRC: CRC-32 of `[0, headerSize)` with the CRC field itself taken as four zero bytes.
    /// `headerSize` must be within `b`.
    static func headerCRC(_ b: UnsafeRawBufferPointer, headerSize: Int) -> UInt32 {
        var c = CRC32.update(0, UnsafeRawBufferPointer(rebasing: b[0..<hHeaderCRC]))
        let zeros: [UInt8] = [0, 0, 0, 0]
        c = zeros.withUnsafeBytes { CRC32.update(c, $0) }
        return CRC32.update(c, UnsafeRawBufferPointer(rebasing: b[(hHeaderCRC + 4)..<headerSize]))
    }
}
