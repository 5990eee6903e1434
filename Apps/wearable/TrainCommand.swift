import ArgumentParser
import EdgewiseModel
import EdgewiseTrain
import EdgewiseWearable
import Foundation

/// `wearable train RECIPE --data DIR`: trains the beat classifier on DS1.
struct TrainCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train",
        abstract: "Train the multi-exit beat classifier on MIT-BIH DS1 from a recipe (Scripts/recipes/ecg-beats.json).",
        discussion: "Only DS1 records are read. --validation names DS1 records held out for tuning (patient-held-out).")

    @Argument(help: "The recipe (JSON, the edgewise train format with model.architecture \"ecg-cnn\").")
    var recipe: String

    @Option(help: "MIT-BIH directory (WFDB records with .atr annotations).")
    var data: String

    @Option(help: "Comma-separated DS1 records held out for validation.")
    var validation = "101,114,118,220,223"

    @Option(help: "Output directory (overrides the recipe's).")
    var output: String?

    @Option(help: "Epochs (overrides the recipe's).")
    var epochs: Int?

    @Flag(help: "Start over instead of resuming from checkpoints.")
    var restart = false

    func run() throws {
        var r: TrainingRecipe
        do { r = try TrainingRecipe.load(path: recipe) } catch { throw ValidationError(String(describing: error)) }
        if let output { r.outputDirectory = output }
        if let epochs { r.epochs = epochs }
        let val = validation.split(separator: ",").map(String.init)  // empty: train on all of DS1
        let log: (String) -> Void = { FileHandle.standardError.write(($0 + "\n").data(using: .utf8)!) }
        let throttle = Throttle(seconds: 10)
        let options = TrainerOptions(resume: !restart, progress: { p in if throttle.ready() { FileHandle.standardError.write("\(p)\n".data(using: .utf8)!) } })
        let result = try BeatTraining.run(recipe: r, data: data, validationRecords: val, options: options, progress: log)
        try ModelFile.write(result.model, to: result.modelPath)
        print("validation accuracy: " + zip(result.graph.exits.map(\.head.name), result.validationAccuracy).map { String(format: "%@ %.1f%%", $0 as NSString, $1 * 100) }.joined(separator: ", "))
        print("wrote \(result.modelPath)")
    }
}

/// Lets progress through at most once per interval.
final class Throttle: @unchecked Sendable {
    private var last = Date.distantPast
    private let seconds: Double
    private let lock = NSLock()
    init(seconds: Double) { self.seconds = seconds }
    func ready() -> Bool {
        lock.lock(); defer { lock.unlock() }
        if Date().timeIntervalSince(last) < seconds { return false }
        last = Date(); return true
    }
}
