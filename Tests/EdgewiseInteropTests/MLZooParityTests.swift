import EdgewiseTesting
import CMallocCounter
import EdgewiseCore
import EdgewiseModel
import Foundation
import Testing
@testable import EdgewiseInterop

/// The ML-zoo fp32 DS-CNN models imported and run by Edgewise reproduce LiteRT's reference outputs on
/// the 11 fixture clips (`fixtures/kws_frontend/expected/`), with every kernel family this CPU has.
@Suite("ML-zoo DS-CNN parity with LiteRT", Shared.needsModels)
struct MLZooParityTests {
    static let features = "fixtures/kws_frontend/mfcc_tf_ops.npy"

    /// The graph without its final softmax: the final exit then outputs the logits.
    static func logitsGraph(_ g: Graph) throws -> Graph {
        var g = g
        let s = g.stages.count - 1
        var exit = try #require(g.stages[s].exit)
        if let i = exit.nodes.firstIndex(where: { $0.output == exit.output }) {
            #expect(exit.nodes[i].op == .softmax)
            exit.output = exit.nodes[i].inputs[0]
            exit.nodes.remove(at: i)
        } else {
            let i = try #require(g.stages[s].nodes.firstIndex { $0.output == exit.output }, "no node writes the final output")
            #expect(g.stages[s].nodes[i].op == .softmax)
            exit.output = g.stages[s].nodes[i].inputs[0]
            g.stages[s].nodes.remove(at: i)
        }
        g.stages[s].exit = exit
        try g.validate()
        return g
    }

    /// Compares the probabilities (absolute) and the logits: LiteRT's fixtures hold the softmax output only,
    /// and softmax is blind to a constant added to every logit, so the logits are checked as
    /// log-probabilities, `logits − logsumexp(logits)`, against `log(p_LiteRT)`: this sees an error in a
    /// tiny probability (e.g. 1e-9 vs 2e-9) that an absolute comparison of probabilities cannot.
    static func parity(_ model: String, expected: String, isa: KernelISA) throws -> (maxAbs: Float, maxLogAbs: Double, top1: Int) {
        let graph = try TFLiteImporter.importModel(path: Shared.path(model)).graph
        let executor = try Executor(graph: graph, options: .init(isa: isa))
        let logitsExecutor = try Executor(graph: try logitsGraph(graph), options: .init(isa: isa))
        let inputs = try NPYFile(path: Shared.path(features))
        let reference = try NPYFile(path: Shared.path(expected))
        try #require(inputs.shape == [11, 490] && reference.shape == [11, 12])
        var maxAbs: Float = 0, maxLogAbs: Double = 0
        var top1 = 0
        for clip in 0..<11 {
            let row = try inputs.floatRow(clip)
            let out = try executor.predict(row)
            let logits = try logitsExecutor.predict(row)
            let ref = try reference.floatRow(clip)
            // A length mismatch is a failure, never a silently shorter comparison.
            try #require(out.count == ref.count && logits.count == ref.count, "clip \(clip): \(out.count) outputs, \(logits.count) logits, LiteRT has \(ref.count)")
            for j in ref.indices { maxAbs = max(maxAbs, abs(out[j] - ref[j])) }
            let m = Double(logits.max()!)
            let lse = m + Foundation.log(logits.reduce(0.0) { $0 + Foundation.exp(Double($1) - m) })
            for j in ref.indices where ref[j] > 1e-30 {
                maxLogAbs = max(maxLogAbs, abs((Double(logits[j]) - lse) - Foundation.log(Double(ref[j]))))
            }
            if out.indices.max(by: { out[$0] < out[$1] }) == ref.indices.max(by: { ref[$0] < ref[$1] }) { top1 += 1 }
        }
        return (maxAbs, maxLogAbs, top1)
    }

    @Test("DS-CNN-S fp32 matches LiteRT within 1e-5 (probabilities), 1e-3 (log-probabilities from the logits), 11/11 top-1", arguments: KernelISA.allCases.filter(\.isAvailable))
    func dsCnnS(isa: KernelISA) throws {
        let r = try Self.parity(Shared.dsCnnSFp32, expected: "fixtures/kws_frontend/expected/ds_cnn_s_fp32_output.npy", isa: isa)
        #expect(r.maxAbs <= 1e-5, "max |Δp| = \(r.maxAbs) with \(isa)")
        #expect(r.maxLogAbs <= 1e-3, "max |Δ log p| (logits) = \(r.maxLogAbs) with \(isa)")
        #expect(r.top1 == 11)
    }

    @Test("DS-CNN-M fp32 matches LiteRT within 1e-5 (probabilities), 1e-3 (log-probabilities from the logits), 11/11 top-1", arguments: KernelISA.allCases.filter(\.isAvailable))
    func dsCnnM(isa: KernelISA) throws {
        let r = try Self.parity(Shared.dsCnnMFp32, expected: "fixtures/kws_frontend/expected/ds_cnn_m_fp32_output.npy", isa: isa)
        #expect(r.maxAbs <= 1e-5, "max |Δp| = \(r.maxAbs) with \(isa)")
        #expect(r.maxLogAbs <= 1e-3, "max |Δ log p| (logits) = \(r.maxLogAbs) with \(isa)")
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

