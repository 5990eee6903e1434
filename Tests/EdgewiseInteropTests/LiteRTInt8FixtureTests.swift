import EdgewiseCore
import Foundation
import Testing
@testable import EdgewiseInterop

/// One model's LiteRT reference-kernel fixture (Scripts/litert-int8-fixtures.py): every operator
/// output's CRC-32 for every sample, and the final outputs in full.
struct LiteRTInt8Fixture: Decodable {
    struct Quant: Decodable { var scales: [Double]; var zero_points: [Int] }
    struct Op: Decodable {
        var op: String
        var index: Int
        var tensor: String
        var tensor_index: Int
        var shape: [Int]
        var dtype: String
        var quant: Quant?
        var crc32: [String]
    }
    var model: String
    var file: String
    var inputs: String
    var rows: [Int]
    var operators: [Op]
    var outputs: [[Double]]

    static let folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures/litert-int8")

    static func load(_ key: String) throws -> LiteRTInt8Fixture {
        try JSONDecoder().decode(LiteRTInt8Fixture.self, from: Data(contentsOf: folder.appendingPathComponent(key + ".json")))
    }

    /// The input rows, as raw bytes of the model input's dtype.
    func inputRows() throws -> [[UInt8]] {
        let npy = try NPYFile(path: Shared.models + "/" + inputs.replacingOccurrences(of: "models/", with: "", options: .anchored))
        let rowBytes = npy.data.count / npy.shape[0]
        return rows.map { Array(npy.data[($0 * rowBytes)..<(($0 + 1) * rowBytes)]) }
    }
}

/// zlib's CRC-32 (the fixtures' checksum).
func crc32(_ bytes: [UInt8]) -> UInt32 {
    var table = [UInt32](repeating: 0, count: 256)
    for i in 0..<256 {
        var c = UInt32(i)
        for _ in 0..<8 { c = c & 1 != 0 ? 0xEDB8_8320 ^ (c >> 1) : c >> 1 }
        table[i] = c
    }
    var crc: UInt32 = 0xFFFF_FFFF
    for b in bytes { crc = table[Int((crc ^ UInt32(b)) & 0xFF)] ^ (crc >> 8) }
    return crc ^ 0xFFFF_FFFF
}

/// The Swift int8 reference kernels reproduce LiteRT 2.3's reference kernels (BUILTIN_REF) bit for bit
/// on every intermediate tensor of the four ML-zoo int8 models, on real inputs. The fixtures hold a
/// CRC-32 per operator output and sample; since each layer reads the previous layer's output, a match
/// at every layer means every kernel was fed LiteRT's own input tensor and reproduced its output.
/// With `EDGEWISE_LITERT_DUMP=DIR` (from `litert-int8-fixtures.py --dump DIR`) a mismatch also reports
/// the LSB difference against the full tensor.
@Suite("int8 reference kernels vs LiteRT BUILTIN_REF", Shared.needsModels)
struct LiteRTInt8FixtureTests {
    struct Mismatch: CustomStringConvertible {
        var sample: Int, op: Int, name: String, detail: String
        var description: String { "sample \(sample), op #\(op) \(name): \(detail)" }
    }

    /// Runs `key`'s model on every fixture row; returns the first mismatch per sample (empty when exact)
    /// and how many operator outputs were compared.
    static func compare(_ key: String, model: String) throws -> (mismatches: [Mismatch], compared: Int) {
        let fixture = try LiteRTInt8Fixture.load(key)
        let graph = try TFLiteImporter.importModel(path: Shared.path(model)).graph
        let runner = Int8ReferenceRunner(graph: graph)
        // The Edgewise value holding TFLite operator i's output: the last node named "op<i>.…".
        var valueOfOp: [Int: ValueID] = [:]
        for (node, _, _) in graph.nodesInExecutionOrder {
            if node.name.hasPrefix("op"), let dot = node.name.firstIndex(of: "."),
               let i = Int(node.name[node.name.index(node.name.startIndex, offsetBy: 2)..<dot]) {
                valueOfOp[i] = node.output
            }
        }
        let dump = ProcessInfo.processInfo.environment["EDGEWISE_LITERT_DUMP"].map { $0 + "/" + key }
        var mismatches: [Mismatch] = []
        var compared = 0
        for (s, input) in try fixture.inputRows().enumerated() {
            let values = try runner.run(input: input)
            for op in fixture.operators {
                guard let v = valueOfOp[op.index], let got = values[v] else {
                    mismatches.append(Mismatch(sample: s, op: op.index, name: op.op, detail: "no Edgewise value for this operator"))
                    break
                }
                compared += 1
                let crc = String(format: "%08x", crc32(got))
                if crc != op.crc32[s] {
                    var detail = "CRC \(crc), LiteRT \(op.crc32[s])"
                    if let dump, let npy = try? NPYFile(path: "\(dump)/\(op.tensor_index).npy"), npy.dtype == .int8 {
                        let per = npy.data.count / npy.shape[0]
                        let ref = npy.data[(s * per)..<((s + 1) * per)].map { Int(Int8(bitPattern: $0)) }
                        let ours = got.map { Int(Int8(bitPattern: $0)) }
                        let diffs = zip(ours, ref).map { abs($0 - $1) }
                        detail += "; max |Δ| \(diffs.max() ?? -1) LSB, \(diffs.filter { $0 > 0 }.count)/\(diffs.count) differ"
                    }
                    mismatches.append(Mismatch(sample: s, op: op.index, name: op.op, detail: detail))
                    break
                }
            }
        }
        return (mismatches, compared)
    }

    @Test("0 LSB on every tensor", arguments: [
        ("ds_cnn_s_int8", Shared.dsCnnSInt8), ("ds_cnn_m_int8", Shared.dsCnnMInt8),
        ("ds_cnn_l_int8_2020", Shared.dsCnnLInt8), ("mobilenet_v2_int8", Shared.mobileNetV2),
    ])
    func exact(key: String, model: String) throws {
        let r = try Self.compare(key, model: model)
        #expect(r.mismatches.isEmpty, "\(key): \(r.mismatches.map(\.description).joined(separator: "; "))")
        #expect(r.compared > 0)
    }
}
