import Testing
import EdgewiseCore
@testable import EdgewiseInterop

@Test(.enabled(if: Shared.available)) func explore() throws {
    for m in Shared.allModels {
        let bytes = try Shared.bytes(m)
        let f = try TFLiteModelFile(bytes: bytes)
        print("== \(m) v\(f.version) desc=\(f.description ?? "-") subgraphs=\(f.subgraphCount) in=\(f.inputs) out=\(f.outputs)")
        for op in f.operators {
            let ins = op.inputs.map { $0 < 0 ? "-" : "\(f.tensors[$0].shape)t\(f.tensors[$0].type)b\(f.tensors[$0].buffer)" }
            print("  #\(op.index) \(op.name) v\(op.version) opt\(op.optionsType) in=\(ins) out=\(op.outputs.map { f.tensors[$0].shape })")
        }
        do {
            let model = try TFLiteImporter.importModel(bytes: bytes, name: m)
            print("  OK nodes=\(model.graph.nodesInExecutionOrder.count)")
        } catch { print("  ERR \(error)") }
    }
}
