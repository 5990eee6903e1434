import ArgumentParser
import EdgewiseCore
import EdgewiseModel
import EdgewiseTrain
import Foundation

/// `edgewise train recipe.json`: trains from a recipe and writes the model, its training log
/// (CSV, JSON), learning curve (SVG) and checkpoints into the recipe's output directory.
struct TrainCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train",
        abstract: "Train a model from a recipe file (JSON).",
        discussion: """
            Writes <output>/<name>.edgewise next to <name>.training.csv/.json/.svg and checkpoints; \
            re-running the same recipe resumes from the checkpoints. `--example-recipe` prints a recipe \
            for the synthetic waveform task; `--benchmark` measures training throughput.
            """)

    @Argument(help: "The recipe (JSON). Run with --example-recipe to see one.")
    var recipe: String?

    @Option(help: "Output directory (overrides the recipe's outputDirectory).")
    var output: String?

    @Option(help: "Seed for init, data order, dropout and augmentation (overrides the recipe's).")
    var seed: UInt64?

    @Option(help: "Epochs (overrides the recipe's).")
    var epochs: Int?

    @Option(help: "Folder holding the datasets (default: $EDGEWISE_DATA, else ../shared/datasets).")
    var dataDir: String?

    @Flag(help: "Start over instead of resuming from the checkpoints in the output directory.")
    var restart = false

    @Flag(help: "Draw the progress bar even when standard error is not a terminal.")
    var progress = false

    @Flag(help: "Print an example recipe (the synthetic waveform task) and exit.")
    var exampleRecipe = false

    @Flag(help: "Measure forward+backward GFLOP/s and DS-CNN-S training samples/s, and exit.")
    var benchmark = false

    func run() throws {
        if exampleRecipe { print(TrainingRecipe.example.json()); return }
        if benchmark { print(try TrainingBenchmark.run().render()); return }
        guard let recipe else { throw ValidationError("give a recipe file, or --example-recipe or --benchmark") }
        var r: TrainingRecipe
        do { r = try TrainingRecipe.load(path: recipe) } catch { throw ValidationError(String(describing: error)) }
        if let output { r.outputDirectory = output }
        if let seed { r.seed = seed }
        if let epochs { r.epochs = epochs }
        let bar = ConsoleProgressBar(force: progress)
        let options = TrainerOptions(resume: !restart, progress: { bar.update($0) })
        let result: TrainingResult
        var test: (any Dataset)? = nil
        if r.data.source == "synthetic" {
            result = try Trainer.run(recipe: r, options: options)
        } else {
            let data = try RecipeData.load(source: r.data.source, dataDirectory: dataDir, seed: r.seed)
            print("data: \(r.data.source), \(data.train.count) training, \(data.validation.count) validation, \(data.test?.count ?? 0) test samples")
            test = data.test
            result = try Trainer.run(recipe: r, train: data.train, validation: data.validation, options: options)
        }
        try ModelFile.write(result.model, to: result.modelPath)
        let acc = zip(result.graph.exits.map(\.head.name), result.validationAccuracy)
            .map { String(format: "%@ %.1f%%", $0 as NSString, $1 * 100) }.joined(separator: ", ")
        print("validation accuracy: \(acc)")
        if let t = result.teacherHistory.last { print(String(format: "teacher validation accuracy: %.1f%%", (t.validationAccuracy.last ?? 0) * 100)) }
        if let test {
            let acc = try Trainer.evaluate(graph: result.graph, dataset: test).accuracy
            print("test accuracy: " + zip(result.graph.exits.map(\.head.name), acc).map { String(format: "%@ %.1f%%", $0 as NSString, $1 * 100) }.joined(separator: ", "))
        }
        print("wrote \(result.modelPath)")
        for f in result.outputFiles { print("wrote \(f)") }
    }
}
