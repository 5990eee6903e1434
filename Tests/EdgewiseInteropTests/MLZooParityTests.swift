import CMallocCounter
import EdgewiseCore
import EdgewiseModel
import Testing
@testable import EdgewiseInterop

/// The ML-zoo fp32 DS-CNN models imported and run by Edgewise reproduce LiteRT's reference outputs on
/// the 11 fixture clips (`fixtures/kws_frontend/expected/`), with every kernel family this CPU has.
@Suite("ML-zoo DS-CNN parity with LiteRT", Shared.needsModels)
struct MLZooParityTests {
    static let features = "fixtures/kws_frontend/mfcc_tf_ops.npy"

    static func parity(_ model: String, expected: String, isa: KernelISA) throws -> (maxAbs: Float, top1: Int) {
        let graph = try TFLiteImporter.importModel(path: Shared.path(model)).graph
        let executor = try Executor(graph: graph, options: .init(isa: isa))
        let inputs = try NPYFile(path: Shared.path(features))
        let reference = try NPYFile(path: Shared.path(expected))
        #expect(inputs.shape == [11, 490] && reference.shape == [11, 12])
        var maxAbs: Float = 0
        var top1 = 0
        for clip in 0..<11 {
            let out = try executor.predict(try inputs.floatRow(clip))
            let ref = try reference.floatRow(clip)
            maxAbs = max(maxAbs, zip(out, ref).map { abs($0 - $1) }.max()!)
            if out.indices.max(by: { out[$0] < out[$1] }) == ref.indices.max(by: { ref[$0] < ref[$1] }) { top1 += 1 }
        }
        return (maxAbs, top1)
    }

    @Test("DS-CNN-S fp32 matches LiteRT within 1e-5, 11/11 top-1", arguments: KernelISA.allCases.filter(\.isAvailable))
    func dsCnnS(isa: KernelISA) throws {
        let r = try Self.parity(Shared.dsCnnSFp32, expected: "fixtures/kws_frontend/expected/ds_cnn_s_fp32_output.npy", isa: isa)
        #expect(r.maxAbs <= 1e-5, "max |Δp| = \(r.maxAbs) with \(isa)")
        #expect(r.top1 == 11)
    }

    @Test("DS-CNN-M fp32 matches LiteRT within 1e-5, 11/11 top-1", arguments: KernelISA.allCases.filter(\.isAvailable))
    func dsCnnM(isa: KernelISA) throws {
        let r = try Self.parity(Shared.dsCnnMFp32, expected: "fixtures/kws_frontend/expected/ds_cnn_m_fp32_output.npy", isa: isa)
        #expect(r.maxAbs <= 1e-5, "max |Δp| = \(r.maxAbs) with \(isa)")
        #expect(r.top1 == 11)
    }

    /// Release builds only (debug builds run unspecialised code that allocates).
    @Test("inference on the imported models allocates nothing", .enabled(if: isReleaseBuild),
          arguments: [Shared.dsCnnSFp32, Shared.dsCnnMFp32])
    func zeroAllocations(model: String) throws {
        let executor = try Executor(graph: try TFLiteImporter.importModel(path: Shared.path(model)).graph)
        let row = try NPYFile(path: Shared.path(Self.features)).floatRow(3)
        _ = executor.input.update(fromContentsOf: row)
        executor.runToEnd()
        ew_malloc_counter_start()
        for _ in 0..<20 { executor.runToEnd() }
        #expect(ew_malloc_counter_stop() == 0)
    }
}

#if DEBUG
private let isReleaseBuild = false
#else
private let isReleaseBuild = true
#endif
