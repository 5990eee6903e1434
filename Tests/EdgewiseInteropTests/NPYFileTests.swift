import Testing
import EdgewiseCore
@testable import EdgewiseInterop

/// Builds a version-1 `.npy` file with `header` padded as NumPy does (total header a multiple of 64).
func npy(_ header: String, data: [UInt8], major: UInt8 = 1) -> [UInt8] {
    let prefix = major == 1 ? 10 : 12
    var h = Array(header.utf8)
    while (prefix + h.count + 1) % 64 != 0 { h.append(0x20) }
    h.append(0x0A)
    var out: [UInt8] = [0x93, 0x4E, 0x55, 0x4D, 0x50, 0x59, major, 0]
    if major == 1 {
        out += [UInt8(h.count & 0xFF), UInt8(h.count >> 8)]
    } else {
        out += [UInt8(h.count & 0xFF), UInt8(h.count >> 8), 0, 0]
    }
    return out + h + data
}

@Suite("NPY reader")
struct NPYFileTests {
    @Test func parsesVersion1And2() throws {
        let floats: [Float] = [1, -2.5, 3, 4, 5, 6]
        let data = floats.flatMap { withUnsafeBytes(of: $0.bitPattern.littleEndian, Array.init) }
        let a = try NPYFile(bytes: npy("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }", data: data))
        #expect(a.dtype == .float32 && a.shape == [2, 3] && a.elementCount == 6)
        #expect(try a.floats() == floats)
        #expect(try a.floatRow(1) == [4, 5, 6])
        let b = try NPYFile(bytes: npy("{'descr': '|i1', 'fortran_order': False, 'shape': (3,), }", data: [0xFF, 0x80, 0x7F], major: 2))
        #expect(b.dtype == .int8 && b.shape == [3])
        #expect(try b.int8s() == [-1, -128, 127])
        let scalar = try NPYFile(bytes: npy("{'descr': '<i4', 'fortran_order': False, 'shape': (), }", data: [1, 0, 0, 0]))
        #expect(scalar.shape == [])
        #expect(try scalar.int32s() == [1])
    }

    @Test func rejectsMalformedFiles() {
        let good = npy("{'descr': '<f4', 'fortran_order': False, 'shape': (2,), }", data: [UInt8](repeating: 0, count: 8))
        #expect(throws: Never.self) { try NPYFile(bytes: good) }
        let cases: [(String, [UInt8])] = [
            ("empty", []),
            ("bad magic", [0x92] + good.dropFirst()),
            ("truncated data", Array(good.dropLast())),
            ("extra data", good + [0]),
            ("truncated header", Array(good.prefix(40))),
            ("fortran order", npy("{'descr': '<f4', 'fortran_order': True, 'shape': (2,), }", data: [UInt8](repeating: 0, count: 8))),
            ("big-endian", npy("{'descr': '>f4', 'fortran_order': False, 'shape': (2,), }", data: [UInt8](repeating: 0, count: 8))),
            ("float64", npy("{'descr': '<f8', 'fortran_order': False, 'shape': (1,), }", data: [UInt8](repeating: 0, count: 8))),
            ("missing shape", npy("{'descr': '<f4', 'fortran_order': False, }", data: [])),
            ("extra key", npy("{'descr': '<f4', 'fortran_order': False, 'shape': (2,), 'x': 1}", data: [UInt8](repeating: 0, count: 8))),
            ("negative dim", npy("{'descr': '<f4', 'fortran_order': False, 'shape': (-2,), }", data: [UInt8](repeating: 0, count: 8))),
            ("overflowing shape", npy("{'descr': '<f4', 'fortran_order': False, 'shape': (99999999999, 99999999999), }", data: [])),
            ("huge dim", npy("{'descr': '<f4', 'fortran_order': False, 'shape': (999999999999999999999999,), }", data: [])),
            ("unterminated", npy("{'descr': '<f4', 'fortran_order': False, 'shape': (2,", data: [])),
            ("version 9", [0x93, 0x4E, 0x55, 0x4D, 0x50, 0x59, 9, 0, 0, 0]),
        ]
        for (what, bytes) in cases {
            #expect(throws: NPYError.self, "\(what)") { try NPYFile(bytes: bytes, name: what) }
        }
        // Every truncation of a good file fails cleanly.
        for n in 0..<good.count { #expect(throws: NPYError.self) { try NPYFile(bytes: Array(good.prefix(n))) } }
    }

    @Test("reads the KWS front-end fixtures", Shared.needsModels)
    func kwsFixtures() throws {
        let dir = Shared.path("fixtures/kws_frontend/")
        let mfcc = try NPYFile(path: dir + "mfcc_tf_ops.npy")
        #expect(mfcc.dtype == .float32 && mfcc.shape == [11, 490])
        let x = try mfcc.floats()
        #expect(x.allSatisfy { $0.isFinite && $0 > -300 && $0 < 50 })
        for model in ["ds_cnn_s_fp32", "ds_cnn_m_fp32", "ds_cnn_l_int8_2020"] {
            let out = try NPYFile(path: dir + "expected/\(model)_output.npy")
            #expect(out.dtype == .float32 && out.shape == [11, 12])
            // Softmax rows sum to 1 (within a few 1/256 steps for the dequantised int8 model).
            let p = try out.floats()
            let tolerance: Float = model.contains("int8") ? 0.02 : 1e-4
            for r in 0..<11 { #expect(abs(p[(12 * r)..<(12 * r + 12)].reduce(0, +) - 1) < tolerance, "\(model) row \(r)") }
        }
        for model in ["ds_cnn_s_int8", "ds_cnn_m_int8"] {
            let out = try NPYFile(path: dir + "expected/\(model)_output.npy")
            #expect(out.dtype == .int8 && out.shape == [11, 12])
        }
        // The int8 inputs are the MFCCs quantised with the imported models' input parameters:
        // q = clamp(round_half_even(x / scale) + zero_point, -128, 127). Checks NPY, importer and PROVENANCE together.
        for (model, rel) in [("ds_cnn_s", Shared.dsCnnSInt8), ("ds_cnn_m", Shared.dsCnnMInt8)] {
            let q = try NPYFile(path: dir + "expected/\(model)_int8_input_int8.npy")
            #expect(q.dtype == .int8 && q.shape == [11, 490])
            let g = try TFLiteImporter.importModel(path: Shared.path(rel)).graph
            let qp = try #require(g.values[g.input].quant)
            let expected = x.map { v -> Int8 in
                let r = (v / qp.scales[0]).rounded(.toNearestOrEven) + Float(qp.zeroPoints[0])
                return Int8(max(-128, min(127, r)))
            }
            #expect(try q.int8s() == expected, "\(model)")
        }
    }
}
