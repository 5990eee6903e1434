import Testing
import EdgewiseCore
@testable import EdgewiseInterop

/// A small deterministic generator (SplitMix64) so every run flips the same bytes.
struct SplitMix64 {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
    mutating func below(_ n: Int) -> Int { Int(next() % UInt64(n)) }
}

/// Imports `bytes`; returns true when accepted (and then the graph must validate), false when rejected
/// with a `TFLiteImportError`. Anything else is recorded as an issue; a crash ends the test run.
@discardableResult
func importMustNotCrash(_ bytes: [UInt8], _ what: @autoclosure () -> String) -> Bool {
    let graph: Graph
    do {
        graph = try TFLiteImporter.importGraph(bytes: bytes, name: "mutated.tflite").1
    } catch is TFLiteImportError {
        return false
    } catch {
        Issue.record("\(what()): import threw a non-TFLiteImportError: \(error)")
        return false
    }
    do { try graph.validate() } catch { Issue.record("\(what()): imported graph does not validate: \(error)") }
    return true
}

/// Patches a copy of a model: `edit` gets the parsed root table to locate the bytes to change.
func patched(_ bytes: [UInt8], _ edit: (FlatTable, inout [UInt8]) throws -> Void) throws -> [UInt8] {
    var out = bytes
    try edit(try FlatBufferReader(bytes: bytes).root(), &out)
    return out
}

/// Schema field ids used to locate bytes (see TFLSchema).
func operatorTable(_ root: FlatTable, _ i: Int) throws -> FlatTable {
    try #require(try root.tables(TFLSchema.Model.subgraphs).first).tables(TFLSchema.SubGraph.operators)[i]
}

@Suite("TFLite importer robustness", Shared.needsModels)
struct TFLiteRobustnessTests {
    @Test("byte flips and truncations give an error or a valid graph, never a crash",
          arguments: [Shared.dsCnnSFp32, Shared.dsCnnSInt8])
    func byteFlips(_ rel: String) throws {
        let original = try Shared.bytes(rel)
        var rng = SplitMix64(seed: 0x00ED_6E51_5EED)
        var accepted = 0, rejected = 0
        func run(_ b: [UInt8], _ what: @autoclosure () -> String) {
            if importMustNotCrash(b, what()) { accepted += 1 } else { rejected += 1 }
        }
        // Every byte of the first 4 KiB (the root table, vtables, tensor and operator tables live here), inverted.
        for p in 0..<min(4096, original.count) {
            var b = original; b[p] ^= 0xFF
            run(b, "inverted byte \(p)")
        }
        // 2500 seeded random positions elsewhere, set to a random value.
        for _ in 0..<2500 {
            let p = 4096 + rng.below(original.count - 4096)
            var b = original; b[p] = UInt8(truncatingIfNeeded: rng.next())
            run(b, "byte \(p) := \(b[p])")
        }
        // 500 seeded 4-byte overwrites anywhere with extreme values (offsets and lengths run wild).
        for _ in 0..<500 {
            let p = rng.below(original.count - 4)
            let v: [UInt8] = [[0xFF, 0xFF, 0xFF, 0xFF], [0xFF, 0xFF, 0xFF, 0x7F], [0, 0, 0, 0x80], [0, 0, 0, 0], [1, 0, 0, 0]][rng.below(5)]
            var b = original; b.replaceSubrange(p..<(p + 4), with: v)
            run(b, "4 bytes at \(p) := \(v)")
        }
        // Truncations: every length below 512, then 600 lengths spread over the file.
        var lengths = Array(0..<512)
        lengths += stride(from: 512, to: original.count, by: max(1, original.count / 600))
        var truncatedAccepted = 0
        for n in lengths where importMustNotCrash(Array(original[0..<n]), "truncated to \(n) bytes") { truncatedAccepted += 1 }
        print("\(rel.split(separator: "/").last!): \(truncatedAccepted) of \(lengths.count) truncations accepted")
        print("\(rel.split(separator: "/").last!): \(accepted) mutants accepted (valid graphs), \(rejected) rejected with TFLiteImportError")
        #expect(rejected > 0)
    }

    @Test("an unsupported operator names the operator, its index and the file")
    func unsupportedOperator() throws {
        let bytes = try Shared.bytes(Shared.dsCnnSFp32)
        // Make operator #13 (SOFTMAX) a SQRT (BuiltinOperator 75) by patching its OperatorCode.
        let mutated = try patched(bytes) { root, out in
            let op = try operatorTable(root, 13)
            let ci = Int(try op.u32(TFLSchema.Operator.opcodeIndex))
            let code = try root.tables(TFLSchema.Model.operatorCodes)[ci]
            let dep = try #require(try code.fieldPosition(TFLSchema.OperatorCode.deprecatedBuiltinCode, size: 1))
            #expect(out[dep] == 25)
            out[dep] = 75
            if let ext = try code.fieldPosition(TFLSchema.OperatorCode.builtinCode, size: 4) {
                out.replaceSubrange(ext..<(ext + 4), with: [75, 0, 0, 0])
            }
        }
        #expect(throws: TFLiteImportError.unsupportedOperator(file: "patched_ds_cnn_s.tflite", operatorIndex: 13, op: "SQRT")) {
            try TFLiteImporter.importModel(bytes: mutated, name: "patched_ds_cnn_s.tflite")
        }
        do {
            _ = try TFLiteImporter.importModel(bytes: mutated, name: "patched_ds_cnn_s.tflite")
        } catch {
            let message = "\(error)"
            #expect(message.contains("SQRT") && message.contains("#13") && message.contains("patched_ds_cnn_s.tflite"), "\(message)")
        }
    }

    @Test("an unsupported fused activation names TANH, the operator and the file")
    func unsupportedFusedActivation() throws {
        let bytes = try Shared.bytes(Shared.dsCnnSFp32)
        let mutated = try patched(bytes) { root, out in
            let op = try operatorTable(root, 1)  // CONV_2D with fused RELU
            let opts = try #require(try op.table(TFLSchema.Operator.builtinOptions))
            let p = try #require(try opts.fieldPosition(TFLSchema.Conv2DOptions.activation, size: 1))
            #expect(out[p] == 1)
            out[p] = 4  // TANH
        }
        let error = #expect(throws: TFLiteImportError.self) { try TFLiteImporter.importModel(bytes: mutated, name: "tanh.tflite") }
        guard case .unsupportedOption(let file, let index, let op, let detail)? = error else { Issue.record("got \(String(describing: error))"); return }
        #expect(file == "tanh.tflite" && index == 1 && op == "CONV_2D" && detail.contains("TANH"))
    }

    @Test("an unsupported tensor type names the type, the tensor, the operator and the file")
    func unsupportedTensorType() throws {
        let bytes = try Shared.bytes(Shared.dsCnnSInt8)
        let file = try TFLiteModelFile(bytes: bytes)
        let weights = file.operators[12].inputs[1]  // FULLY_CONNECTED weights, INT8
        let mutated = try patched(bytes) { root, out in
            let t = try #require(try root.tables(TFLSchema.Model.subgraphs).first).tables(TFLSchema.SubGraph.tensors)[weights]
            let p = try #require(try t.fieldPosition(TFLSchema.Tensor.type, size: 1))
            #expect(out[p] == 9)
            out[p] = 7  // INT16
        }
        let error = #expect(throws: TFLiteImportError.self) { try TFLiteImporter.importModel(bytes: mutated, name: "int16.tflite") }
        guard case .unsupportedTensorType(let f, let index, let op, _, let type)? = error else { Issue.record("got \(String(describing: error))"); return }
        #expect(f == "int16.tflite" && index == 12 && op == "FULLY_CONNECTED" && type == "INT16")
        #expect("\(error!)".contains("INT16"))
    }

    @Test("SOFTMAX with beta ≠ 1 is refused")
    func softmaxBeta() throws {
        let bytes = try Shared.bytes(Shared.dsCnnSFp32)
        let mutated = try patched(bytes) { root, out in
            let opts = try #require(try operatorTable(root, 13).table(TFLSchema.Operator.builtinOptions))
            let p = try #require(try opts.fieldPosition(TFLSchema.SoftmaxOptions.beta, size: 4))
            out.replaceSubrange(p..<(p + 4), with: withUnsafeBytes(of: Float(2).bitPattern.littleEndian, Array.init))
        }
        let error = #expect(throws: TFLiteImportError.self) { try TFLiteImporter.importModel(bytes: mutated, name: "beta.tflite") }
        guard case .unsupportedOption(_, 13, "SOFTMAX", let d)? = error else { Issue.record("got \(String(describing: error))"); return }
        #expect(d.contains("beta 2"))
    }

    @Test("a missing file and a non-TFLite file give clear errors")
    func notATFLiteFile() throws {
        #expect(throws: TFLiteImportError.self) { try TFLiteImporter.importModel(path: "/nonexistent/model.tflite") }
        let error = #expect(throws: TFLiteImportError.self) { try TFLiteImporter.importModel(path: Shared.path("PROVENANCE.md")) }
        guard case .malformed(_, let d)? = error else { Issue.record("got \(String(describing: error))"); return }
        #expect(d.contains("TFL3"))
    }
}

@Suite("FlatBuffer reader bounds checks")
struct FlatBufferReaderTests {
    /// A hand-built buffer: root offset 8 → table at 8 whose vtable (at 0…) would be `vt`.
    @Test func rejectsOutOfRangeStructures() throws {
        // Root offset pointing past the end.
        #expect(throws: FlatBufferError.self) { try FlatBufferReader(bytes: [0xFF, 0xFF, 0, 0, 0x54, 0x46, 0x4C, 0x33]).root() }
        // Table at 8 with soffset pointing to a vtable before the buffer start.
        var b: [UInt8] = [8, 0, 0, 0, 0x54, 0x46, 0x4C, 0x33, 0x00, 0x01, 0, 0]
        #expect(throws: FlatBufferError.self) { try FlatBufferReader(bytes: b).root() }
        // A valid little table: vtable at 12 (size 6, inline size 8, field 0 at offset 4), table at 20.
        b = [20, 0, 0, 0, 0x54, 0x46, 0x4C, 0x33, 0, 0, 0, 0,
             6, 0, 8, 0, 4, 0, 0, 0,
             8, 0, 0, 0,   // soffset: 20 - 8 = 12
             4, 0, 0, 0]   // field 0: uoffset 4 → vector at 28
        b += [0xFF, 0xFF, 0xFF, 0x0F]  // vector length 268 M: far past the end
        let root = try FlatBufferReader(bytes: b).root()
        #expect(try root.u32(0) == 4)
        #expect(try root.u32(5, default: 7) == 7)  // absent field → default
        #expect(throws: FlatBufferError.self) { try root.vector(0, elementSize: 4) }
        #expect(throws: FlatBufferError.self) { try root.string(0) }
        #expect(throws: FlatBufferError.self) { try root.tables(0) }
        // Field whose offset lies outside the table's inline size.
        var c = b; c[16] = 7
        #expect(throws: FlatBufferError.self) { try FlatBufferReader(bytes: c).root().u32(0) }
        // Odd vtable size.
        c = b; c[12] = 5
        #expect(throws: FlatBufferError.self) { try FlatBufferReader(bytes: c).root() }
        // A short vector is fine.
        c = b; c.replaceSubrange(28..<32, with: [2, 0, 0, 0]); c += [1, 0, 0, 0, 2, 0, 0, 0]
        #expect(try FlatBufferReader(bytes: c).root().int32s(0) == [1, 2])
    }

    @Test("BuiltinOperator names line up with schema.fbs values")
    func operatorNames() {
        let n = TFLSchema.BuiltinOperator.self
        #expect(n.names.count == 162)
        #expect(n.name(0) == "ADD" && n.name(3) == "CONV_2D" && n.name(4) == "DEPTHWISE_CONV_2D")
        #expect(n.name(9) == "FULLY_CONNECTED" && n.name(22) == "RESHAPE" && n.name(25) == "SOFTMAX")
        #expect(n.name(32) == "CUSTOM" && n.name(114) == "QUANTIZE" && n.name(117) == "HARD_SWISH")
        #expect(n.name(127) == "PLACEHOLDER_FOR_GREATER_OP_CODES" && n.name(150) == "GELU" && n.name(161) == "RIGHT_SHIFT")
        #expect(n.name(-1) == "BuiltinOperator(-1)" && n.name(500) == "BuiltinOperator(500)")
        #expect(TFLSchema.TensorType.name(9) == "INT8" && TFLSchema.TensorType.name(1) == "FLOAT16" && TFLSchema.TensorType.name(99) == "TensorType(99)")
    }

    @Test func rejectsGarbage() {
        var rng = SplitMix64(seed: 42)
        for n in [0, 1, 4, 7, 8, 16, 64, 1000] {
            for _ in 0..<200 {
                var b = (0..<n).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
                if n >= 8 { b.replaceSubrange(4..<8, with: Array("TFL3".utf8)) }
                importMustNotCrash(b, "random \(n) bytes")
            }
        }
    }
}

@Suite("SHA-256")
struct SHA256Tests {
    @Test func knownVectors() {
        #expect(SHA256.hexDigest([]) == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        #expect(SHA256.hexDigest(Array("abc".utf8)) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        #expect(SHA256.hexDigest(Array("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq".utf8))
                == "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1")
        #expect(SHA256.hexDigest([UInt8](repeating: 0x61, count: 1000))
                == "41edece42d63e8d9bf515a9ba6932e1c20cbc9f5a5d134645adb5db1b9737ea3")
    }
}
