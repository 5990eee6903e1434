import EdgewiseReport
import ArgumentParser
import EdgewiseCore
import EdgewiseModel
import Foundation

struct InfoCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "info",
        abstract: "Print a model's layers, parameters, MACs, arena plan and exits.",
        discussion: "Per layer: output shape, parameter count, multiply-accumulates and the activation's arena offset; then each exit's cumulative MACs and the total arena bytes.")

    @Argument(help: "The model file (.edgewise, or .tflite to import on the fly).")
    var model: String

    @OptionGroup var engine: RunOptions

    @Flag(help: "Print JSON instead of a table.")
    var json = false

    func run() throws {
        let m = try loadModel(model)
        let report: ModelReport
        do {
            report = ModelReport(executor: try Executor(graph: m.graph, options: try engine.executionOptions()))
        } catch let error as ExecutorError {
            // A graph this build cannot run (an int8 import) is still described, without an arena plan.
            report = ModelReport(graph: m.graph, plan: nil, isa: "not runnable here (\(error))")
        }
        if json {
            let enc = JSONEncoder()
            enc.outputFormatting = [.prettyPrinted, .sortedKeys]
            print(String(decoding: try enc.encode(report), as: UTF8.self))
        } else {
            print("model \(model): input \(m.graph.values[m.graph.input].shape), \(m.labels.count) labels")
            print(report.render(), terminator: "")
        }
    }
}
