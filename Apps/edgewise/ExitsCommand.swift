import ArgumentParser
import EdgewiseCore
import EdgewiseData
import EdgewiseModel
import EdgewiseTrain
import Foundation

/// `edgewise exits add`: retrofit exit heads onto an existing model.
struct ExitsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "exits",
        abstract: "Attach early exits to an existing model.",
        subcommands: [Add.self])

    struct Add: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "add",
            abstract: "Attach exit heads after trunk nodes and train only the heads on the frozen backbone.",
            discussion: """
                Splits the model after each node named by --after (see `edgewise info MODEL` for node names, \
                e.g. op3.conv2d and op5.conv2d are the ends of blocks 1 and 2 of an imported ML-zoo DS-CNN) and \
                attaches a head there (pool-dense: global average pool, dense, softmax; pool-dense-dense adds a \
                64-unit hidden layer). The heads are trained on the Speech Commands train split with the backbone \
                and the final exit frozen (bit-exact). By default the pooled backbone features are computed once \
                and the heads trained on them (fast); --distill W trains through the whole graph instead, adding a \
                distillation term from the final exit (one forward pass of the backbone per epoch: slow). The \
                validation split picks nothing but is reported. Next: `edgewise calibrate OUT --data …`.
                """)

        @Argument(help: "The model (.edgewise or .tflite).")
        var model: String

        @Option(name: .shortAndLong, help: "The model file to write.")
        var output: String

        @Option(help: "Trunk node(s) to attach exits after, comma-separated.")
        var after: String

        @Option(help: "Head architecture: pool-dense or pool-dense-dense.")
        var head: String = "pool-dense"

        @Option(help: "Speech Commands folder (the datasets folder or its kws subfolder; default $EDGEWISE_DATA, else ../shared/datasets).")
        var data: String?

        @Option(help: "Training epochs for the heads.")
        var epochs: Int = 20

        @Option(help: "Learning rate (AdamW, cosine schedule).")
        var learningRate: Float = 0.005

        @Option(help: "Weight of a distillation term from the final exit (0 = labels only, on cached features: fast).")
        var distill: Float = 0

        @Option(help: "Distillation temperature.")
        var temperature: Float = 3

        @Option(help: "Seed for head initialisation and data order.")
        var seed: UInt64 = 1

        @Option(help: "Folder for cached MFCC features (\"\" disables the cache).")
        var cache: String = "out/cache"

        @Flag(help: "Draw the progress bar even when standard error is not a terminal.")
        var progress = false

        func validate() throws {
            guard ExitRetrofit.Head(rawValue: head) != nil else {
                throw ValidationError("--head must be one of \(ExitRetrofit.Head.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            guard epochs >= 1 else { throw ValidationError("--epochs must be at least 1") }
            guard distill >= 0, temperature > 0 else { throw ValidationError("--distill must be ≥ 0 and --temperature > 0") }
        }

        func run() throws {
            var m = try loadModel(model)
            let nodes = after.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
            let graph: Graph
            do { graph = try ExitRetrofit.addingExits(to: m.graph, after: nodes, head: ExitRetrofit.Head(rawValue: head)!, seed: seed) }
            catch { throw CommandFailure("\(model): \(error)") }
            let train = try PolicyData.load(.train, dataDirectory: data, seed: seed, cache: cache.isEmpty ? nil : cache)
            let val = try PolicyData.load(.validation, dataDirectory: data, seed: seed, cache: cache.isEmpty ? nil : cache)
            print("data: \(train.count) training, \(val.count) validation samples")
            let bar = ConsoleProgressBar(force: progress)
            let t0 = Date()
            let (trained, acc) = distill > 0
                ? try ExitRetrofit.trainHeads(graph, train: train, validation: val, epochs: epochs, learningRate: learningRate,
                                              distillation: SelfDistillation(weight: distill, temperature: temperature), seed: seed, progress: { bar.update($0) })
                : try ExitRetrofit.trainHeadsOnCachedFeatures(graph, train: train, validation: val, epochs: epochs, learningRate: learningRate,
                                                              seed: seed, progress: { bar.update($0) })
            m.graph = trained
            if m.labels.isEmpty { m.labels = SpeechCommands.labels }
            m.exitCalibration = [:]
            m.metadata["exits_added"] = "after \(nodes.joined(separator: ",")), head \(head), \(epochs) epochs, lr \(learningRate), distill \(distill)@T\(temperature), seed \(seed), Speech Commands train split"
            m.metadata["exit_calibration"] = nil
            try ModelFile.write(m, to: output)
            let names = trained.exits.map(\.head.name)
            print("validation accuracy: " + zip(names, acc).map { "\($0) \(fixed(Double($1) * 100)) %" }.joined(separator: ", "))
            let macs = try Executor(graph: trained).exits
            print("exits: " + macs.map { "\($0.name) \($0.cumulativeMACs) MACs" }.joined(separator: ", "))
            print("trained in \(fixed(Date().timeIntervalSince(t0), 0)) s; wrote \(output)")
        }
    }
}
