import ArgumentParser
import EdgewiseCore
import EdgewiseInterop
import EdgewiseModel
import Foundation

/// `edgewise run MODEL --inputs X.npy -o Y.npy [--exit NAME]`: runs every input row and writes the
/// outputs, so Edgewise can be compared with another runtime tensor by tensor.
struct RunCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Run a model on every row of a .npy file and write the outputs as .npy.",
        discussion: """
            Each row of --inputs is one input (float32; or int8 for a model whose input is int8, fed as \
            stored; float rows are quantised with the input's scale and zero point, as TFLite's QUANTIZE). \
            The output holds one row per input row: the exit's values as stored (int8 for a quantised \
            output) or, with --float, as float32 (int8 dequantised). --exit stops at a named exit (see \
            `edgewise info`); the default is the final exit. int8 models run TFLite's integer arithmetic \
            bit-exactly (LiteRT 2.3 reference kernels).
            """)

    @Argument(help: "The model file (.edgewise, or .tflite to import on the fly).")
    var model: String

    @Option(help: "A .npy file of input rows.")
    var inputs: String

    @Option(name: .shortAndLong, help: "The .npy file to write.")
    var output: String

    @Option(name: .customLong("exit"), help: "Stop at this exit (default: the final exit).")
    var exitName: String?

    @Flag(help: "Write float32 outputs (int8 outputs dequantised) instead of the stored type.")
    var float = false

    @OptionGroup var engine: RunOptions

    func run() throws {
        let e = try engine.executor(for: try loadModel(model), path: model)
        let stopAt: Int
        if let exitName {
            guard let i = e.exits.firstIndex(where: { $0.name == exitName }) else {
                throw CommandFailure("\(model): no exit named '\(exitName)' (exits: \(e.exits.map(\.name).joined(separator: ", ")))")
            }
            stopAt = i
        } else {
            stopAt = e.exits.count - 1
        }
        let npy = try NPYFile(path: inputs)
        let rawInput = e.graph.values[e.graph.input].dtype == .int8 && npy.dtype == .int8
        let width = rawInput ? e.rawInput.count : e.input.count
        let values: [Float] = rawInput ? [] : try npy.floats()
        let count = rawInput ? npy.data.count : values.count
        guard width > 0, count % width == 0, count > 0 else {
            throw CommandFailure("\(inputs): \(count) values do not split into rows of the model's \(width) inputs")
        }
        let rows = count / width
        e.quantizesInput = !rawInput
        var out: [UInt8] = []
        var exitShape: [Int] = []
        var dtype = NPYFile.DType.float32
        for r in 0..<rows {
            if rawInput {
                npy.data.withUnsafeBytes { e.rawInput.copyMemory(from: UnsafeRawBufferPointer(rebasing: $0[(r * width)..<((r + 1) * width)])) }
            } else {
                _ = e.input.update(fromContentsOf: values[(r * width)..<((r + 1) * width)])
            }
            let x = e.run { $0.index >= stopAt ? .stop : .continue }
            let shape = e.graph.values[exitValue(e, stopAt)].shape.dims
            exitShape = shape.first == 1 && shape.count > 1 ? Array(shape.dropFirst()) : shape
            if x.dtype == .int8 && !float {
                dtype = .int8
                out += Array(x.raw)
            } else {
                out += Array(UnsafeRawBufferPointer(x.values))
            }
        }
        try Data(NPYFile.encode(dtype: dtype, shape: [rows] + exitShape, data: out)).write(to: URL(fileURLWithPath: output))
        FileHandle.standardError.write("\(model): \(rows) rows -> \(output) (\(dtype == .int8 ? "int8" : "float32") \([rows] + exitShape), exit '\(e.exits[stopAt].name)', \(e.isa) kernels)\n".data(using: .utf8)!)
    }

    private func exitValue(_ e: Executor, _ i: Int) -> ValueID { e.graph.exits[i].head.output }
}
