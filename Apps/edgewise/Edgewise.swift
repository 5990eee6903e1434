import ArgumentParser
import EdgewiseCore
import EdgewiseModel

@main
struct Edgewise: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "edgewise",
        abstract: "Inspect, benchmark and import Edgewise models.",
        discussion: """
            Models are .edgewise files (see docs/model-format.md). Kernels are chosen for this CPU at load; \
            set --isa or EDGEWISE_ISA=reference|generic|avx2|avx512 to force a family.
            """,
        subcommands: [InfoCommand.self, BenchCommand.self, RunCommand.self, ImportCommand.self, TrainCommand.self, DemoCommand.self,
                      ExitsCommand.self, CalibrateCommand.self, PolicyCommand.self])
}

/// Options shared by the commands that run a model.
struct RunOptions: ParsableArguments {
    @Option(help: "Kernel family: auto, reference, generic, avx2 or avx512.")
    var isa: String = "auto"

    @Option(help: "Worker threads for large layers (1 = single-threaded, the benchmark setting).")
    var threads: Int = 1

    @Flag(name: .shortAndLong, help: "Log model loading, kernel choice and the memory plan to standard error.")
    var verbose = false

    /// An executor for the model at `path`; a model this build cannot run is an error naming the file.
    func executor(for model: Model, path: String) throws -> Executor {
        let log = Log.logger(verbose: verbose)
        do {
            let e = try Executor(graph: model.graph, options: try executionOptions())
            log.debug("loaded model", metadata: ["file": "\(path)", "nodes": "\(e.graph.nodesInExecutionOrder.count)",
                                                 "exits": "\(e.exits.map(\.name))", "kernels": "\(e.isa)",
                                                 "arena_bytes": "\(e.plan.arenaBytes)", "threads": "\(threads)"])
            return e
        } catch let error as ExecutorError {
            throw CommandFailure("\(path): \(error)")
        }
    }

    /// Checked by the parser before any file is read.
    func validate() throws {
        _ = try executionOptions()
    }

    func executionOptions() throws -> ExecutionOptions {
        guard threads >= 1 else { throw ValidationError("--threads must be at least 1") }
        do { return ExecutionOptions(isa: try KernelISA.resolve(isa), threads: threads) }
        catch { throw ValidationError(String(describing: error)) }
    }
}

/// `value` with `digits` decimals, for tables.
func fixed(_ value: Double, _ digits: Int = 1) -> String { String(format: "%.\(digits)f", value) }

/// A failure while running a command (bad input file, model that cannot run): printed as
/// `Error: <message>` with exit status 1, without the usage text a ValidationError brings.
struct CommandFailure: Error, CustomStringConvertible {
    let description: String
    init(_ message: String) { description = message }
}
