#if canImport(Glibc)
import Glibc
#endif
import Testing
import EdgewiseCore
@_spi(Fuzzing) @testable import EdgewiseModel

typealias L = ModelFileLayout

/// The error decoding `bytes` throws, or `nil` (and a recorded issue) when it succeeds or throws another type.
func decodeError(_ bytes: [UInt8], name: String = "sample.edgewise", sourceLocation: SourceLocation = #_sourceLocation) -> ModelFileError? {
    do {
        _ = try ModelFile.decode(bytes, name: name)
        Issue.record("decoding succeeded", sourceLocation: sourceLocation)
    } catch let e as ModelFileError {
        return e
    } catch {
        Issue.record("threw \(type(of: error)), not ModelFileError: \(error)", sourceLocation: sourceLocation)
    }
    return nil
}

func put64(_ v: UInt64, _ b: inout [UInt8], at o: Int) { LittleEndian.put64(v, into: &b, at: o) }
func put32(_ v: UInt32, _ b: inout [UInt8], at o: Int) { LittleEndian.put32(v, into: &b, at: o) }

/// Recomputes only the header CRC (leaves the file-size field as it is).
func resealHeader(_ b: inout [UInt8]) {
    let hs = Int(b.withUnsafeBytes { LittleEndian.u32($0, L.hHeaderSize) })
    let crc = b.withUnsafeBytes { L.headerCRC($0, headerSize: hs) }
    put32(crc, &b, at: L.hHeaderCRC)
}

/// Offset of section table entry `i` in a file written with the default layout.
func entry(_ i: Int) -> Int { L.headerSize + i * L.entrySize }

@Suite struct ModelFileHardeningTests {
    let bytes: [UInt8]
    let parsed: ParsedModelFile

    init() throws {
        bytes = try ModelFile.encode(try makeSampleModel())
        parsed = try bytes.withUnsafeBytes { try ModelFileReader.parse($0, name: "sample.edgewise") }
    }

    /// A file with the sample's weights and `structure` (checksums valid, contents unchecked).
    func file(with structure: StructureV1) throws -> [UInt8] {
        let json = Array(try StructureCodec.encoder().encode(structure))
        let w = Array(bytes[parsed.weightsOffset..<(parsed.weightsOffset + parsed.weightsLength)])
        return ModelFileWriter.layOut(structureJSON: json, weights: w)
    }

    @Test func sampleFileIsSmallAndLaidOutAsDocumented() {
        #expect(bytes.count < 8192)
        #expect(parsed.structureOffset == 128)  // header 64 + two 32-byte table entries
        #expect(parsed.weightsOffset % 64 == 0)
        #expect(parsed.weightsOffset + parsed.weightsLength == bytes.count)
        #expect(parsed.version == ModelFileVersion(major: 1, minor: 0))
    }

    @Test func flippingAnyByteIsRejected() {
        var accepted: [Int] = []
        var foreign: [String] = []
        for pattern: UInt8 in [0xFF, 0x01] {
            for i in bytes.indices {
                var b = bytes
                b[i] ^= pattern
                do {
                    _ = try ModelFile.decode(b, name: "flip.edgewise")
                    accepted.append(i)
                } catch let e as ModelFileError {
                    if !e.description.hasPrefix("flip.edgewise: offset ") { foreign.append("byte \(i): \(e)") }
                } catch {
                    foreign.append("byte \(i): \(error)")
                }
            }
        }
        #expect(accepted.isEmpty, "flipped bytes accepted at offsets \(accepted.prefix(20))")
        #expect(foreign.isEmpty, "\(foreign.prefix(5))")
    }

    @Test func headerCorruptionIsCaughtByTheHeaderChecksum() {
        // Bytes 8..<64 are only protected by the header CRC (magic and major version fail first).
        for i in 8..<L.headerSize where !(L.hHeaderCRC..<(L.hHeaderCRC + 4)).contains(i) {
            var b = bytes
            b[i] ^= 0x40
            guard let e = decodeError(b) else { continue }
            if case .checksumMismatch(_, "header", 0, _, _) = e {} else if case .oversizedClaim = e {} else if case .malformedStructure(_, L.hHeaderSize, _) = e {} else if case .truncated = e {} else {
                Issue.record("byte \(i): \(e)")
            }
        }
        // The reserved bytes and the minor version are covered too.
        var b = bytes
        b[L.hMinor] ^= 1
        guard case .checksumMismatch(_, "header", _, _, _) = decodeError(b) else { Issue.record("minor version change not caught"); return }
    }

    @Test func everyTruncationIsRejected() {
        for n in 0..<bytes.count {
            let e = decodeError(Array(bytes[0..<n]), name: "cut.edgewise")
            guard case .truncated(let f, _, _, _) = e, f == "cut.edgewise" else {
                Issue.record("length \(n): \(String(describing: e))")
                continue
            }
        }
    }

    @Test func trailingBytesAreRejected() {
        guard case .malformedStructure(_, let offset, let detail) = decodeError(bytes + [0]) else { Issue.record("not malformed"); return }
        #expect(offset == bytes.count)
        #expect(detail.contains("1 bytes follow"))
    }

    @Test func hugeSectionLengthIsRejectedBeforeAllocating() {
        var b = bytes
        put64(1 << 62, &b, at: entry(1) + L.eLength)
        b = ModelFile.resealed(b)
        let e = decodeError(b, name: "huge.edgewise")
        #expect(e == .oversizedClaim(file: "huge.edgewise", field: "length of weights section (section 1)", offset: entry(1) + L.eLength, claimed: 1 << 62, limit: UInt64(b.count)))
        #expect(e?.description.contains("huge.edgewise: offset 112: length of weights section (section 1) claims 4611686018427387904") == true)
    }

    @Test func sectionOffsetPastTheEndIsRejected() {
        var b = bytes
        put64(UInt64(b.count) + 64, &b, at: entry(1) + L.eOffset)
        b = ModelFile.resealed(b)
        guard case .sectionOutOfBounds(_, let section, let offset, let start, _, let size) = decodeError(b) else { Issue.record("not out of bounds"); return }
        #expect(section == "weights section (section 1)")
        #expect(offset == entry(1) + L.eOffset)
        #expect(start == UInt64(b.count) + 64 && size == b.count)
        // Offset + length overflowing UInt64 is caught as well.
        var c = bytes
        put64(UInt64.max - 10, &c, at: entry(0) + L.eOffset)
        c = ModelFile.resealed(c)
        guard case .sectionOutOfBounds = decodeError(c) else { Issue.record("overflowing section not out of bounds"); return }
    }

    @Test func hugeSectionCountIsRejectedBeforeAllocating() {
        var b = bytes
        put32(UInt32.max, &b, at: L.hSectionCount)
        b = ModelFile.resealed(b)
        #expect(decodeError(b) == .oversizedClaim(file: "sample.edgewise", field: "section count", offset: L.hSectionCount, claimed: UInt64(UInt32.max), limit: UInt64(L.maxSectionCount)))
        // A count within the limit whose table does not fit in the file.
        var c = bytes
        put32(1000, &c, at: L.hSectionCount)
        c = ModelFile.resealed(c)
        guard case .sectionOutOfBounds(_, "section table", L.hTableOffset, _, 32000, _) = decodeError(c) else { Issue.record("table not out of bounds"); return }
    }

    @Test func hugeHeaderSizeEntrySizeAndFileSizeClaimsAreRejected() {
        var b = bytes
        put32(UInt32.max, &b, at: L.hHeaderSize)
        #expect(decodeError(b) == .oversizedClaim(file: "sample.edgewise", field: "header size", offset: L.hHeaderSize, claimed: UInt64(UInt32.max), limit: UInt64(L.maxHeaderSize)))

        var c = bytes
        put32(1 << 30, &c, at: L.hEntrySize)
        c = ModelFile.resealed(c)
        guard case .malformedStructure(_, L.hEntrySize, _) = decodeError(c) else { Issue.record("entry size accepted"); return }

        var d = bytes
        put64(1 << 62, &d, at: L.hFileSize)
        resealHeader(&d)
        #expect(decodeError(d) == .truncated(file: "sample.edgewise", offset: 0, needed: 1 << 62, available: d.count))
    }

    @Test func futureMajorVersionIsRejectedNamingTheVersion() throws {
        var options = EncodeOptions()
        options.version = ModelFileVersion(major: 2, minor: 3)
        let b = try ModelFileWriter.encode(try makeSampleModel(), name: "v2.edgewise", options: options)
        let e = decodeError(b, name: "v2.edgewise")
        #expect(e == .unsupportedVersion(file: "v2.edgewise", offset: 4, found: ModelFileVersion(major: 2, minor: 3), supported: ModelFileVersion(major: 1, minor: 0)))
        #expect(e?.description.hasPrefix("v2.edgewise: offset 4: format version 2.3 is not supported") == true)
        // Version 0 is not readable either.
        var z = bytes
        z[L.hMajor] = 0
        guard case .unsupportedVersion = decodeError(z) else { Issue.record("major 0 accepted"); return }
    }

    @Test func badMagicIsRejected() {
        var b = bytes
        b[0] = UInt8(ascii: "P")
        let e = decodeError(b, name: "photo.png")
        #expect(e == .badMagic(file: "photo.png", offset: 0, found: Array("PDGW".utf8)))
        #expect(e?.description.hasPrefix("photo.png: offset 0: not an Edgewise model file") == true)
    }

    @Test func errorMessagesNameTheFileTheSectionAndTheOffset() {
        var b = bytes
        b[parsed.weightsOffset + 5] ^= 0x10
        let e = decodeError(b, name: "models/kws.edgewise")
        guard case .checksumMismatch(_, "weights section", let offset, _, _) = e else { Issue.record("\(String(describing: e))"); return }
        #expect(offset == parsed.weightsOffset)
        #expect(e?.file == "models/kws.edgewise")
        #expect(e?.offset == parsed.weightsOffset)
        #expect(e?.description.hasPrefix("models/kws.edgewise: offset \(parsed.weightsOffset): weights section is corrupted: stored CRC-32 0x") == true)

        var s = bytes
        s[parsed.structureOffset + 3] ^= 0x10
        guard case .checksumMismatch(_, "structure section", parsed.structureOffset, _, _) = decodeError(s) else { Issue.record("structure corruption"); return }
    }

    @Test func sectionLayoutProblemsAreRejected() throws {
        // No structure section: its kind changed to an unknown one (which is skipped).
        var a = bytes
        put32(99, &a, at: entry(0) + L.eKind)
        guard case .malformedStructure(_, _, "no structure section") = decodeError(ModelFile.resealed(a)) else { Issue.record("missing structure"); return }
        // Two weights sections.
        var b = bytes
        put32(L.kindWeights, &b, at: entry(0) + L.eKind)
        guard case .malformedStructure(_, _, "more than one weights section") = decodeError(ModelFile.resealed(b)) else { Issue.record("two weights"); return }
        // Two sections overlapping (the weights moved onto the structure).
        var c = bytes
        put64(UInt64(parsed.structureOffset), &c, at: entry(1) + L.eOffset)
        guard case .malformedStructure(_, _, let d) = decodeError(ModelFile.resealed(c)), d.contains("overlaps") else { Issue.record("overlap: \(String(describing: decodeError(ModelFile.resealed(c))))"); return }
        // A non-zero padding byte between the structure and the weights sections.
        let structureEnd = parsed.structureOffset + Int(bytes.withUnsafeBytes { LittleEndian.u64($0, entry(0) + L.eLength) })
        try #require(structureEnd < parsed.weightsOffset, "the sample has padding before its weights")
        var p = bytes
        p[structureEnd] = 7
        #expect(decodeError(p) == .malformedStructure(file: "sample.edgewise", offset: structureEnd, detail: "padding byte is 7, not zero"))
        // A weights section that is not 64-byte aligned.
        var w = bytes
        put64(UInt64(parsed.weightsOffset - 8), &w, at: entry(1) + L.eOffset)
        guard case .malformedStructure(_, _, let wd) = decodeError(ModelFile.resealed(w)), wd.contains("not a multiple of 64") else { Issue.record("misaligned weights"); return }
    }

    @Test func constantReferencesAreBoundsAndSizeChecked() throws {
        let s0 = parsed.structure
        let last = try #require(s0.constants.indices.last)
        #expect(s0.constants[last].offset > 0)

        func expectMalformed(_ s: StructureV1, _ fragment: String, sourceLocation: SourceLocation = #_sourceLocation) throws {
            let e = decodeError(try file(with: s), sourceLocation: sourceLocation)
            guard case .malformedStructure(_, _, let d) = e, d.contains(fragment) else {
                Issue.record("expected malformed '\(fragment)', got \(String(describing: e))", sourceLocation: sourceLocation); return
            }
        }
        var s = s0; s.constants[0].offset = 1
        try expectMalformed(s, "multiples of 64")
        s = s0; s.constants[last].byteCount = Int.max
        try expectMalformed(s, "of the weights section, which holds")
        s = s0; s.constants[last].offset = L.aligned(parsed.weightsLength) + 64
        try expectMalformed(s, "of the weights section, which holds")
        s = s0; s.constants[0].byteCount = 4
        try expectMalformed(s, "needs")
        s = s0; s.constants[0].value = 10_000
        try expectMalformed(s, "refers to value 10000")
        s = s0; s.constants[0].value = -1
        try expectMalformed(s, "refers to value -1")
        s = s0; s.constants.append(s0.constants[0])
        try expectMalformed(s, "listed twice")
    }

    @Test func implausibleStructureIsRejectedWithoutTrapping() throws {
        let s0 = parsed.structure
        func expectMalformed(_ s: StructureV1, _ fragment: String, sourceLocation: SourceLocation = #_sourceLocation) throws {
            let e = decodeError(try file(with: s), sourceLocation: sourceLocation)
            guard case .malformedStructure(_, parsed.structureOffset, let d) = e, d.contains(fragment) else {
                Issue.record("expected malformed '\(fragment)', got \(String(describing: e))", sourceLocation: sourceLocation); return
            }
        }
        // Dimensions whose product would overflow inside Graph.validate().
        var s = s0; s.values[0].shape = [1 << 40, 1 << 40, 1, 1]
        try expectMalformed(s, "outside 0…2147483647")
        s = s0; s.values[0].shape = [-1, 8, 6, 2]
        try expectMalformed(s, "outside 0…")
        s = s0; s.values[0].shape = [Int(Int32.max), Int(Int32.max), Int(Int32.max), 2]
        try expectMalformed(s, "too large")
        // Attributes that would overflow window arithmetic.
        s = s0
        s.stages[0].nodes[0].op = .conv2d(ConvAttributes(stride: Size2D(1, 1), dilation: Size2D(Int.max, 1), padding: .valid))
        try expectMalformed(s, "outside ±")
        // Quantisation parameters that do not fit the shape.
        let wq = try #require(s0.values.firstIndex { $0.name == "final.wq" })
        s = s0; s.values[wq].quant = QuantParams(scales: [1, 2], zeroPoints: [0, 0], axis: 1)
        try expectMalformed(s, "per-axis scales")
        s = s0; s.values[wq].quant = QuantParams(scales: [1, 2, 3], zeroPoints: [0], axis: 1)
        try expectMalformed(s, "zero points")
        s = s0; s.values[wq].quant = QuantParams(scales: [1, 2, 3], zeroPoints: [0, 0, 0], axis: 5)
        try expectMalformed(s, "axis 5")
        // Calibration that does not match the exits.
        s = s0; s.exitCalibration["middle"] = ExitCalibration(thresholds: [0.5], accuracy: [0.9], exitRate: [0.1])
        try expectMalformed(s, "names no exit")
        s = s0; s.exitCalibration["early"] = ExitCalibration(thresholds: [0.5, 0.6], accuracy: [0.9], exitRate: [0.1])
        try expectMalformed(s, "thresholds")
    }

    @Test func invalidGraphIsWrappedWithTheFileAndOffset() throws {
        var s = parsed.structure
        s.stages[1].exit = nil
        s.exitCalibration["final"] = nil
        let e = decodeError(try file(with: s), name: "noexit.edgewise")
        #expect(e == .invalidGraph(file: "noexit.edgewise", offset: parsed.structureOffset, .noFinalExit))
        #expect(e?.description == "noexit.edgewise: offset \(parsed.structureOffset): invalid graph: \(GraphError.noFinalExit)")

        s = parsed.structure
        s.values[s.values.count - 1].shape = [1, 4]
        guard case .invalidGraph(_, _, .shapeMismatch) = decodeError(try file(with: s)) else { Issue.record("shape mismatch not caught"); return }
    }

    @Test func malformedJSONIsRejected() {
        let w = Array(bytes[parsed.weightsOffset..<(parsed.weightsOffset + parsed.weightsLength)])
        let deep = ModelFileWriter.layOut(structureJSON: Array(repeating: UInt8(ascii: "["), count: 100_000), weights: w)
        guard case .malformedStructure(_, _, let d) = decodeError(deep), d.contains("nests deeper") else { Issue.record("deep JSON"); return }
        for junk in ["", "{", "null", "{\"values\": 3}", "\u{FF}\u{FE}", "[1,2,3]"] {
            let b = ModelFileWriter.layOut(structureJSON: Array(junk.utf8), weights: w)
            guard case .malformedStructure(_, parsed.structureOffset, let d) = decodeError(b), d.contains("does not decode") else { Issue.record("junk \(junk)"); continue }
        }
    }

    @Test func readErrorsNameThePath() throws {
        let missing = temporaryPath("missing.edgewise")
        do { _ = try ModelFile.read(path: missing); Issue.record("read a missing file") } catch let e as ModelFileError {
            guard case .io(missing, let d) = e else { Issue.record("\(e)"); return }
            #expect(d.contains("cannot open"))
        }
        do { _ = try ModelFile.read(path: "/tmp"); Issue.record("read a directory") } catch let e as ModelFileError {
            #expect(e == .io(file: "/tmp", detail: "not a regular file"))
        }
        let empty = temporaryPath("empty.edgewise")
        defer { unlink(empty) }
        let fd = open(empty, O_WRONLY | O_CREAT, 0o644); close(fd)
        do { _ = try ModelFile.read(path: empty); Issue.record("read an empty file") } catch let e as ModelFileError {
            #expect(e == .truncated(file: empty, offset: 0, needed: 4, available: 0))
        }
        // A corrupted file on disk: the mapped reader reports the path and the offset.
        let corrupt = temporaryPath("corrupt.edgewise")
        defer { unlink(corrupt) }
        try ModelFile.write(try makeSampleModel(), to: corrupt)
        var b = bytes
        b[parsed.weightsOffset] ^= 1
        let wfd = open(corrupt, O_WRONLY | O_TRUNC)
        _ = b.withUnsafeBytes { write(wfd, $0.baseAddress, $0.count) }
        close(wfd)
        do { _ = try ModelFile.read(path: corrupt); Issue.record("read a corrupted file") } catch let e as ModelFileError {
            #expect(e.description.hasPrefix("\(corrupt): offset \(parsed.weightsOffset): weights section is corrupted"))
        }
    }
}
