#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import EdgewiseCore

/// A checked, parsed file: the decoded structure and where the weights section lies.
struct ParsedModelFile {
    var version: ModelFileVersion
    var structure: StructureV1
    var structureOffset: Int
    var weightsOffset: Int
    var weightsLength: Int
}

/// Parses untrusted bytes. Every field is range-checked against the real byte count before it is
/// used as an offset, a length or a count; all arithmetic on claimed values is overflow-checked.
enum ModelFileReader {
    typealias L = ModelFileLayout

    static func parse(_ b: UnsafeRawBufferPointer, name: String) throws -> ParsedModelFile {
        let n = b.count
        func need(_ offset: Int, _ count: Int) throws {
            if n - offset < count {
                throw ModelFileError.truncated(file: name, offset: offset, needed: UInt64(count), available: max(0, n - offset))
            }
        }

        // Magic and version come first: a newer major version may lay out everything else differently.
        try need(0, 4)
        guard b[0] == L.magic[0], b[1] == L.magic[1], b[2] == L.magic[2], b[3] == L.magic[3] else {
            throw ModelFileError.badMagic(file: name, offset: 0, found: Array(b[0..<4]))
        }
        try need(0, 8)
        let version = ModelFileVersion(major: LittleEndian.u16(b, L.hMajor), minor: LittleEndian.u16(b, L.hMinor))
        guard version.major == L.version.major else {
            throw ModelFileError.unsupportedVersion(file: name, offset: L.hMajor, found: version, supported: L.version)
        }
        try need(0, L.minHeaderSize)

        let headerSize = Int(LittleEndian.u32(b, L.hHeaderSize))
        guard headerSize >= L.minHeaderSize else {
            throw ModelFileError.malformedStructure(file: name, offset: L.hHeaderSize, detail: "header size \(headerSize) is below the minimum \(L.minHeaderSize)")
        }
        guard headerSize <= L.maxHeaderSize else {
            throw ModelFileError.oversizedClaim(file: name, field: "header size", offset: L.hHeaderSize, claimed: UInt64(headerSize), limit: UInt64(L.maxHeaderSize))
        }
        try need(0, headerSize)
        let storedHeaderCRC = LittleEndian.u32(b, L.hHeaderCRC)
        let headerCRC = L.headerCRC(b, headerSize: headerSize)
        guard storedHeaderCRC == headerCRC else {
            throw ModelFileError.checksumMismatch(file: name, section: "header", offset: 0, stored: storedHeaderCRC, computed: headerCRC)
        }

        // From here on the header is intact; its claims are still checked against the real size.
        let fileSize = LittleEndian.u64(b, L.hFileSize)
        if fileSize > UInt64(n) {
            throw ModelFileError.truncated(file: name, offset: 0, needed: fileSize, available: n)
        }
        if fileSize < UInt64(n) {
            throw ModelFileError.malformedStructure(file: name, offset: Int(fileSize), detail: "\(UInt64(n) - fileSize) bytes follow the declared end of the file")
        }

        let tableOffset64 = LittleEndian.u64(b, L.hTableOffset)
        let count = Int(LittleEndian.u32(b, L.hSectionCount))
        let entrySize = Int(LittleEndian.u32(b, L.hEntrySize))
        guard count <= L.maxSectionCount else {
            throw ModelFileError.oversizedClaim(file: name, field: "section count", offset: L.hSectionCount, claimed: UInt64(count), limit: UInt64(L.maxSectionCount))
        }
        guard entrySize >= L.minEntrySize, entrySize <= L.maxEntrySize else {
            throw ModelFileError.malformedStructure(file: name, offset: L.hEntrySize, detail: "section entry size \(entrySize) is outside \(L.minEntrySize)…\(L.maxEntrySize)")
        }
        // count ≤ 1024 and entrySize ≤ 1024, so the product cannot overflow.
        let tableLength = count * entrySize
        guard tableOffset64 <= UInt64(n), UInt64(tableLength) <= UInt64(n) - tableOffset64 else {
            throw ModelFileError.sectionOutOfBounds(file: name, section: "section table", offset: L.hTableOffset, start: tableOffset64, length: UInt64(tableLength), fileSize: n)
        }
        let tableOffset = Int(tableOffset64)
        let storedTableCRC = LittleEndian.u32(b, L.hTableCRC)
        let tableCRC = CRC32.checksum(UnsafeRawBufferPointer(rebasing: b[tableOffset..<(tableOffset + tableLength)]))
        guard storedTableCRC == tableCRC else {
            throw ModelFileError.checksumMismatch(file: name, section: "section table", offset: tableOffset, stored: storedTableCRC, computed: tableCRC)
        }

        // Sections: in bounds, checksummed, non-overlapping; exactly one structure and one weights section.
        var regions: [(start: Int, end: Int, label: String)] = [(0, headerSize, "header"), (tableOffset, tableOffset + tableLength, "section table")]
        var structureRange: Range<Int>? = nil
        var weightsRange: Range<Int>? = nil
        for i in 0..<count {
            let e = tableOffset + i * entrySize
            let kind = LittleEndian.u32(b, e + L.eKind)
            let label = L.kindName(kind)
            let start = LittleEndian.u64(b, e + L.eOffset)
            let length = LittleEndian.u64(b, e + L.eLength)
            guard length <= UInt64(n) else {
                throw ModelFileError.oversizedClaim(file: name, field: "length of \(label) (section \(i))", offset: e + L.eLength, claimed: length, limit: UInt64(n))
            }
            guard start <= UInt64(n), length <= UInt64(n) - start else {
                throw ModelFileError.sectionOutOfBounds(file: name, section: "\(label) (section \(i))", offset: e + L.eOffset, start: start, length: length, fileSize: n)
            }
            let range = Int(start)..<(Int(start) + Int(length))
            let storedCRC = LittleEndian.u32(b, e + L.eCRC)
            let crc = CRC32.checksum(UnsafeRawBufferPointer(rebasing: b[range]))
            guard storedCRC == crc else {
                throw ModelFileError.checksumMismatch(file: name, section: label, offset: range.lowerBound, stored: storedCRC, computed: crc)
            }
            switch kind {
            case L.kindStructure:
                guard structureRange == nil else {
                    throw ModelFileError.malformedStructure(file: name, offset: e, detail: "more than one structure section")
                }
                structureRange = range
            case L.kindWeights:
                guard weightsRange == nil else {
                    throw ModelFileError.malformedStructure(file: name, offset: e, detail: "more than one weights section")
                }
                guard range.lowerBound % L.tensorAlignment == 0 else {
                    throw ModelFileError.malformedStructure(file: name, offset: e + L.eOffset, detail: "weights section starts at \(range.lowerBound), not a multiple of \(L.tensorAlignment)")
                }
                weightsRange = range
            default:
                break  // A section kind from a newer minor version: skipped.
            }
            regions.append((range.lowerBound, range.upperBound, "\(label) (section \(i))"))
        }

        // Every byte is in the header, the table or a section, or is zero padding, so the checksums
        // and this check together leave no byte that could change unnoticed.
        regions.sort { ($0.start, $0.end) < ($1.start, $1.end) }
        var cursor = 0
        for r in regions {
            guard r.start >= cursor else {
                throw ModelFileError.malformedStructure(file: name, offset: r.start, detail: "\(r.label) overlaps the bytes before it (which end at \(cursor))")
            }
            try checkZero(b, cursor..<r.start, name: name)
            cursor = r.end
        }
        try checkZero(b, cursor..<n, name: name)

        guard let sr = structureRange else {
            throw ModelFileError.malformedStructure(file: name, offset: tableOffset, detail: "no structure section")
        }
        guard let wr = weightsRange else {
            throw ModelFileError.malformedStructure(file: name, offset: tableOffset, detail: "no weights section")
        }

        let json = UnsafeRawBufferPointer(rebasing: b[sr])
        if StructureCodec.nestingDepthExceeds(json, limit: StructureCodec.maxJSONDepth) {
            throw ModelFileError.malformedStructure(file: name, offset: sr.lowerBound, detail: "structure JSON nests deeper than \(StructureCodec.maxJSONDepth)")
        }
        let structure: StructureV1
        do {
            structure = try StructureCodec.decoder().decode(StructureV1.self, from: Data(json))
        } catch {
            throw ModelFileError.malformedStructure(file: name, offset: sr.lowerBound, detail: "structure JSON does not decode: \(error)")
        }
        return ParsedModelFile(version: version, structure: structure, structureOffset: sr.lowerBound,
                               weightsOffset: wr.lowerBound, weightsLength: wr.count)
    }

    private static func checkZero(_ b: UnsafeRawBufferPointer, _ r: Range<Int>, name: String) throws {
        for i in r where b[i] != 0 {
            throw ModelFileError.malformedStructure(file: name, offset: i, detail: "padding byte is \(b[i]), not zero")
        }
    }

    /// Builds the model, its constants viewing `storage` at `storageBase + offset` (the weights section
    /// starts at `storageBase` inside `storage`). Checks every constant reference before building a view.
    static func assemble(_ p: ParsedModelFile, storage: ByteStorage, storageBase: Int, name: String) throws -> Model {
        let s = p.structure
        if let problem = StructureCodec.problem(values: s.values, stages: s.stages, labels: s.labels, exitCalibration: s.exitCalibration) {
            throw ModelFileError.malformedStructure(file: name, offset: p.structureOffset, detail: problem)
        }
        // The storage must hold the whole weights section at storageBase; callers guarantee it, checked anyway.
        guard storageBase >= 0, storageBase <= storage.bytes.count, p.weightsLength <= storage.bytes.count - storageBase else {
            throw ModelFileError.malformedStructure(file: name, offset: p.weightsOffset, detail: "weights storage does not cover the weights section")
        }
        var constants: [ValueID: TensorData] = [:]
        for ref in s.constants {
            guard ref.value >= 0, ref.value < s.values.count else {
                throw ModelFileError.malformedStructure(file: name, offset: p.structureOffset, detail: "a constant refers to value \(ref.value), but the graph has \(s.values.count) values")
            }
            let v = s.values[ref.value]
            guard constants[ref.value] == nil else {
                throw ModelFileError.malformedStructure(file: name, offset: p.structureOffset, detail: "constant '\(v.name)' is listed twice")
            }
            guard ref.offset >= 0, ref.byteCount >= 0, ref.offset % L.tensorAlignment == 0 else {
                throw ModelFileError.malformedStructure(file: name, offset: p.structureOffset, detail: "constant '\(v.name)' has offset \(ref.offset) and length \(ref.byteCount); offsets must be non-negative multiples of \(L.tensorAlignment)")
            }
            let (end, overflow) = ref.offset.addingReportingOverflow(ref.byteCount)
            guard !overflow, end <= p.weightsLength else {
                throw ModelFileError.malformedStructure(file: name, offset: p.weightsOffset, detail: "constant '\(v.name)' claims \(ref.byteCount) bytes at offset \(ref.offset) of the weights section, which holds \(p.weightsLength) bytes")
            }
            guard let count = v.shape.checkedElementCount, let expected = v.dtype.byteCount(for: count), expected == ref.byteCount else {
                throw ModelFileError.malformedStructure(file: name, offset: p.structureOffset, detail: "constant '\(v.name)' holds \(ref.byteCount) bytes, but shape \(v.shape) of \(v.dtype) needs \(v.shape.checkedElementCount.flatMap { v.dtype.byteCount(for: $0) }.map(String.init) ?? "too many")")
            }
            constants[ref.value] = TensorData(storage: storage, offset: storageBase + ref.offset, byteCount: ref.byteCount)
        }
        let graph = Graph(values: s.values, constants: constants, input: s.input, stages: s.stages)
        do { try graph.validate() } catch let e as GraphError {
            throw ModelFileError.invalidGraph(file: name, offset: p.structureOffset, e)
        } catch {
            throw ModelFileError.malformedStructure(file: name, offset: p.structureOffset, detail: "\(error)")
        }
        return Model(graph: graph, labels: s.labels, inputSpec: s.inputSpec, exitCalibration: s.exitCalibration, metadata: s.metadata)
    }
}
