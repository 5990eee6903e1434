import ArgumentParser
import EdgewiseCore
import EdgewiseInterop
import EdgewiseModel
import Foundation

struct ImportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "import",
        abstract: "Convert a TFLite model (.tflite, schema 3) into an Edgewise model file.",
        discussion: """
            Carries over the graph, weights (re-laid out for Edgewise kernels), padding, strides, fused \
            activations, shapes and int8 quantisation parameters. An unsupported operator, option or tensor \
            type stops the import with a message naming it, its operator index and the file.
            """)

    @Argument(help: "The .tflite file.")
    var input: String

    @Option(name: .shortAndLong, help: "The Edgewise model file to write.")
    var output: String

    @Option(help: "A text file of class labels, one per line, stored in the model.")
    var labels: String?

    func run() throws {
        var model = try TFLiteImporter.importModel(path: input)
        if let labels {
            let text = try String(contentsOfFile: labels, encoding: .utf8)
            model.labels = text.split(whereSeparator: \.isNewline).map(String.init).filter { !$0.isEmpty }
        }
        try ModelFile.write(model, to: output)
        let g = model.graph
        let quantised = g.values.filter { $0.quant != nil }.count
        print("imported \(input) → \(output): \(g.nodesInExecutionOrder.count) nodes, \(g.totalMACs) MACs, \(g.constants.count) constants, \(quantised) quantised tensors, \(model.labels.count) labels")
        if g.values.contains(where: { $0.dtype != .float32 }) {
            print("note: the model is quantised; `edgewise info` shows its parameters. `edgewise bench` and `edgewise run` execute int8 models with TFLite's integer arithmetic.")
        }
    }
}
