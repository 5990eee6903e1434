#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import EdgewiseCore

/// How ``ModelFileWriter`` lays a file out. The defaults are format 1.0; tests vary them to make files
/// of a newer minor (or major) version.
struct EncodeOptions {
    var version = ModelFileLayout.version
    var headerSize = ModelFileLayout.headerSize
    var entrySize = ModelFileLayout.entrySize
    /// Sections of other kinds, written between the structure and the weights sections.
    var extraSections: [(kind: UInt32, bytes: [UInt8])] = []
}

enum ModelFileWriter {
    static func encode(_ model: Model, name: String, options: EncodeOptions = .init()) throws -> [UInt8] {
        let g = model.graph
        if let p = StructureCodec.problem(values: g.values, stages: g.stages, labels: model.labels, exitCalibration: model.exitCalibration) {
            throw ModelFileError.malformedStructure(file: name, offset: 0, detail: p)
        }
        do { try g.validate() } catch let e as GraphError {
            throw ModelFileError.invalidGraph(file: name, offset: 0, e)
        }

        // Weights: every constant, by value id, each starting 64-byte aligned.
        var weights: [UInt8] = []
        var refs: [ConstantRef] = []
        for (id, data) in g.constants.sorted(by: { $0.key < $1.key }) {
            let start = ModelFileLayout.aligned(weights.count)
            weights.append(contentsOf: repeatElement(0, count: start - weights.count))
            refs.append(ConstantRef(value: id, offset: start, byteCount: data.byteCount))
            weights.append(contentsOf: data.bytes)
        }

        let structure = StructureV1(values: g.values, input: g.input, stages: g.stages, constants: refs,
                                    labels: model.labels, inputSpec: model.inputSpec,
                                    exitCalibration: model.exitCalibration, metadata: model.metadata)
        let json: [UInt8]
        do { json = Array(try StructureCodec.encoder().encode(structure)) } catch {
            throw ModelFileError.malformedStructure(file: name, offset: 0, detail: "cannot encode the structure: \(error)")
        }
        return layOut(structureJSON: json, weights: weights, options: options)
    }

    /// Lays out a file from a structure section and a weights section, without checking either
    /// (tests use it to make files with bad contents but valid checksums).
    static func layOut(structureJSON json: [UInt8], weights: [UInt8], options: EncodeOptions = .init()) -> [UInt8] {
        var sections: [(kind: UInt32, bytes: [UInt8])] = [(ModelFileLayout.kindStructure, json)]
        sections += options.extraSections
        sections.append((ModelFileLayout.kindWeights, weights))

        let tableOffset = options.headerSize
        var pos = tableOffset + sections.count * options.entrySize
        var placed: [(offset: Int, length: Int)] = []
        for s in sections {
            pos = ModelFileLayout.aligned(pos)
            placed.append((pos, s.bytes.count))
            pos += s.bytes.count
        }
        let fileSize = pos

        var out = [UInt8](repeating: 0, count: fileSize)
        for (s, p) in zip(sections, placed) {
            out.replaceSubrange(p.offset..<(p.offset + p.length), with: s.bytes)
        }
        for (i, (s, p)) in zip(sections, placed).enumerated() {
            let e = tableOffset + i * options.entrySize
            LittleEndian.put32(s.kind, into: &out, at: e + ModelFileLayout.eKind)
            LittleEndian.put64(UInt64(p.offset), into: &out, at: e + ModelFileLayout.eOffset)
            LittleEndian.put64(UInt64(p.length), into: &out, at: e + ModelFileLayout.eLength)
        }
        out.replaceSubrange(0..<4, with: ModelFileLayout.magic)
        LittleEndian.put16(options.version.major, into: &out, at: ModelFileLayout.hMajor)
        LittleEndian.put16(options.version.minor, into: &out, at: ModelFileLayout.hMinor)
        LittleEndian.put32(UInt32(options.headerSize), into: &out, at: ModelFileLayout.hHeaderSize)
        LittleEndian.put64(UInt64(fileSize), into: &out, at: ModelFileLayout.hFileSize)
        LittleEndian.put64(UInt64(tableOffset), into: &out, at: ModelFileLayout.hTableOffset)
        LittleEndian.put32(UInt32(sections.count), into: &out, at: ModelFileLayout.hSectionCount)
        LittleEndian.put32(UInt32(options.entrySize), into: &out, at: ModelFileLayout.hEntrySize)
        seal(&out)  // the file size, every section CRC, the table CRC and the header CRC
        return out
    }

    /// Recomputes every checksum of `out` whose ranges are readable, and sets the file-size field to
    /// `out.count`. Never traps, whatever `out` holds.
    static func seal(_ out: inout [UInt8]) {
        let n = out.count
        guard n >= ModelFileLayout.minHeaderSize else { return }
        LittleEndian.put64(UInt64(n), into: &out, at: ModelFileLayout.hFileSize)
        let (hs, tableOffset, count, entrySize) = out.withUnsafeBytes { b in
            (Int(LittleEndian.u32(b, ModelFileLayout.hHeaderSize)), LittleEndian.u64(b, ModelFileLayout.hTableOffset),
             Int(LittleEndian.u32(b, ModelFileLayout.hSectionCount)), Int(LittleEndian.u32(b, ModelFileLayout.hEntrySize)))
        }
        if entrySize >= ModelFileLayout.minEntrySize, entrySize <= ModelFileLayout.maxEntrySize,
           count <= ModelFileLayout.maxSectionCount, tableOffset <= UInt64(n),
           Int(tableOffset) + count * entrySize <= n {
            let t = Int(tableOffset)
            for i in 0..<count {
                let e = t + i * entrySize
                let (off, len) = out.withUnsafeBytes { b in (LittleEndian.u64(b, e + ModelFileLayout.eOffset), LittleEndian.u64(b, e + ModelFileLayout.eLength)) }
                guard off <= UInt64(n), len <= UInt64(n) - off else { continue }
                let crc = out.withUnsafeBytes { CRC32.checksum(UnsafeRawBufferPointer(rebasing: $0[Int(off)..<Int(off + len)])) }
                LittleEndian.put32(crc, into: &out, at: e + ModelFileLayout.eCRC)
            }
            let tcrc = out.withUnsafeBytes { CRC32.checksum(UnsafeRawBufferPointer(rebasing: $0[t..<(t + count * entrySize)])) }
            LittleEndian.put32(tcrc, into: &out, at: ModelFileLayout.hTableCRC)
        }
        if hs >= ModelFileLayout.minHeaderSize, hs <= n {
            let h = out.withUnsafeBytes { ModelFileLayout.headerCRC($0, headerSize: hs) }
            LittleEndian.put32(h, into: &out, at: ModelFileLayout.hHeaderCRC)
        }
    }
}
