#if canImport(Glibc)
import Glibc
#endif
import Testing
import EdgewiseCore
@testable import EdgewiseModel

/// Compares every field of two models and every byte of every constant.
func expectSameModel(_ a: Model, _ b: Model, sourceLocation: SourceLocation = #_sourceLocation) {
    #expect(a.graph.values == b.graph.values, sourceLocation: sourceLocation)
    #expect(a.graph.stages == b.graph.stages, sourceLocation: sourceLocation)
    #expect(a.graph.input == b.graph.input, sourceLocation: sourceLocation)
    #expect(Set(a.graph.constants.keys) == Set(b.graph.constants.keys), sourceLocation: sourceLocation)
    for (id, data) in a.graph.constants {
        #expect(Array(data.bytes) == b.graph.constants[id].map { Array($0.bytes) }, "constant \(a.graph.values[id].name)", sourceLocation: sourceLocation)
    }
    #expect(a.labels == b.labels, sourceLocation: sourceLocation)
    #expect(a.inputSpec == b.inputSpec, sourceLocation: sourceLocation)
    #expect(a.exitCalibration == b.exitCalibration, sourceLocation: sourceLocation)
    #expect(a.metadata == b.metadata, sourceLocation: sourceLocation)
}

/// A fresh path in the temporary directory; the file is removed by the caller.
func temporaryPath(_ name: String) -> String {
    let base = String(cString: getenv("TMPDIR") ?? strdup("/tmp"))
    return "\(base)/edgewise-model-test-\(getpid())-\(UInt32.random(in: 0...UInt32.max))-\(name)"
}

@Suite struct ModelFileRoundTripTests {
    @Test func crc32MatchesTheStandardCheckValueAndTheBytewiseDefinition() {
        #expect(CRC32.checksum(Array("123456789".utf8)) == 0xCBF4_3926)
        #expect(CRC32.checksum([]) == 0)
        // zlib agrees with the one-byte-at-a-time definition at every length and split.
        let data = (0..<300).map { UInt8(truncatingIfNeeded: $0 &* 37 &+ 11) }
        func bytewise(_ bytes: ArraySlice<UInt8>) -> UInt32 {
            var c: UInt32 = 0xFFFF_FFFF
            for b in bytes { c ^= UInt32(b); for _ in 0..<8 { c = (c & 1) != 0 ? (0xEDB8_8320 ^ (c >> 1)) : (c >> 1) } }
            return ~c
        }
        for n in [1, 7, 8, 9, 15, 16, 17, 63, 64, 65, 299, 300] {
            #expect(CRC32.checksum(Array(data[0..<n])) == bytewise(data[0..<n]), "length \(n)")
        }
        let split = data.withUnsafeBytes { b in CRC32.update(CRC32.checksum(UnsafeRawBufferPointer(rebasing: b[0..<100])), UnsafeRawBufferPointer(rebasing: b[100...])) }
        #expect(split == bytewise(data[...]))
    }

    @Test func decodeRoundTripKeepsEveryFieldAndWeightByte() throws {
        let model = try makeSampleModel()
        let bytes = try ModelFile.encode(model)
        let back = try ModelFile.decode(bytes, name: "sample.edgewise")
        expectSameModel(model, back)
        // The int8 constant kept its per-axis parameters.
        let wq = try #require(back.graph.values.firstIndex { $0.name == "final.wq" })
        #expect(back.graph.values[wq].dtype == .int8)
        #expect(back.graph.values[wq].quant == QuantParams(scales: [0.02, 0.015, 0.03], zeroPoints: [0, -1, 2], axis: 1))
        #expect(back.graph.constants[wq]?.toArray(of: Int8.self) == [-128, -7, 0, 1, 2, 3, 127, 64, -64, 5, -5, 100])
        #expect(back.graph.exits.map(\.head.name) == ["early", "final"])
        // Decoded weights share one aligned storage.
        let storages = Set(back.graph.constants.values.map { ObjectIdentifier($0.storage) })
        #expect(storages.count == 1)
        for (id, t) in back.graph.constants {
            #expect(Int(bitPattern: t.bytes.baseAddress) % 64 == 0, "constant \(back.graph.values[id].name) is not 64-byte aligned")
        }
    }

    @Test func encodingIsDeterministicAndStable() throws {
        let model = try makeSampleModel()
        let a = try ModelFile.encode(model)
        let b = try ModelFile.encode(model)
        #expect(a == b)
        #expect(try ModelFile.encode(ModelFile.decode(a, name: "a.edgewise")) == a)
        #expect(Array(a[0..<4]) == Array("EDGW".utf8))
        #expect(a.count % 64 == 0 || a.count > 0)
    }

    @Test func mmapReadRoundTripUsesTheMappedFileInPlace() throws {
        let model = try makeSampleModel()
        let path = temporaryPath("sample.edgewise")
        defer { unlink(path) }
        try ModelFile.write(model, to: path)
        let bytes = try ModelFile.encode(model)
        let back = try ModelFile.read(path: path)
        expectSameModel(model, back)
        // Every constant is a view into the one mapping of the whole file, 64-byte aligned.
        let storages = Set(back.graph.constants.values.map { ObjectIdentifier($0.storage) })
        #expect(storages.count == 1)
        let storage = try #require(back.graph.constants.values.first?.storage)
        #expect(storage.bytes.count == bytes.count)
        #expect(Array(storage.bytes) == bytes)
        for (_, t) in back.graph.constants { #expect(Int(bitPattern: t.bytes.baseAddress) % 64 == 0) }
        // No temporary file left beside it.
        #expect(access(path + ".tmp-\(getpid())", F_OK) != 0)
    }

    @Test func mappingIsReleasedWithTheLastViewAndOnFailure() throws {
        /// Whether this process currently maps `path`.
        func isMapped(_ path: String) -> Bool {
            guard let f = fopen("/proc/self/maps", "r") else { return false }
            defer { fclose(f) }
            var line = [CChar](repeating: 0, count: 4096)
            while fgets(&line, Int32(line.count), f) != nil {
                let text = String(decoding: line.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
                if text.hasSuffix(path + "\n") { return true }
            }
            return false
        }
        let path = temporaryPath("mapped.edgewise")
        defer { unlink(path) }
        try ModelFile.write(try makeSampleModel(), to: path)
        var model: Model? = try ModelFile.read(path: path)
        #expect(isMapped(path))
        var weights: TensorData? = model?.graph.constants.values.first
        model = nil
        #expect(isMapped(path), "a surviving view keeps the mapping")
        #expect(weights.map { $0.byteCount > 0 } == true)
        weights = nil
        #expect(!isMapped(path), "the mapping is released with the last view")

        // A file that fails to load leaves no mapping behind.
        var bytes = try ModelFile.encode(try makeSampleModel())
        bytes[bytes.count - 1] ^= 1
        let fd = open(path, O_WRONLY | O_TRUNC)
        _ = bytes.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
        close(fd)
        #expect(throws: ModelFileError.self) { try ModelFile.read(path: path) }
        #expect(!isMapped(path))
    }

    @Test func newerMinorVersionWithLongerHeaderAndUnknownSectionIsReadable() throws {
        let model = try makeSampleModel()
        var options = EncodeOptions()
        options.version = ModelFileVersion(major: 1, minor: 7)
        options.headerSize = 128
        options.entrySize = 48
        options.extraSections = [(kind: 99, bytes: Array("a section from the future".utf8))]
        let bytes = try ModelFileWriter.encode(model, name: "future-minor.edgewise", options: options)
        expectSameModel(model, try ModelFile.decode(bytes, name: "future-minor.edgewise"))
    }

    @Test func modelWithoutConstantsOrExtrasRoundTrips() throws {
        var b = GraphBuilder()
        let x = b.input("x", shape: [1, 4])
        try b.exitHead("final") { b in try b.node(.softmax, x) }
        b.endStage("only")
        let model = Model(graph: try b.build())
        let bytes = try ModelFile.encode(model)
        expectSameModel(model, try ModelFile.decode(bytes, name: "tiny.edgewise"))
    }

    @Test func writerRejectsModelsTheReaderWouldReject() throws {
        var model = try makeSampleModel()
        model.exitCalibration["nonexistent"] = ExitCalibration(thresholds: [0.5], accuracy: [0.9], exitRate: [0.5])
        #expect(throws: ModelFileError.self) { try ModelFile.encode(model) }

        var bad = try makeSampleModel()
        let id = try #require(bad.graph.constants.keys.min())
        bad.graph.constants[id] = TensorData(copying: [Float(1)])
        do {
            _ = try ModelFile.encode(bad)
            Issue.record("encoding a graph with a wrong-sized constant succeeded")
        } catch let e as ModelFileError {
            guard case .invalidGraph(_, _, .constantSizeMismatch) = e else { Issue.record("unexpected \(e)"); return }
        }
    }
}
