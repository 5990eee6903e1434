import ArgumentParser
import EdgewiseModel
import EdgewisePolicy
import EdgewiseWearable
import Foundation

/// `wearable adapt RECORD`: patient adaptation on a record's first minutes, then classification of the rest.
struct AdaptCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "adapt",
        abstract: "Adapt the beat model to one patient: fine-tune its exit heads on the record's first minutes of labelled beats, then classify the rest.",
        discussion: """
            The record needs reference annotations (.atr) for its first --seconds (the labelled start a clinician \
            would confirm). Prints the global and the adapted model's AAMI confusion matrices over the beats after \
            that start (the adaptation beats are not scored). --out writes the adapted model.
            """)

    @Argument(help: "WFDB record path (without extension) with reference annotations.")
    var record: String

    @Option(help: "Global beat model.")
    var model = "Datasets/wearable/ecg-beats.edgewise"

    @Option(help: "Seconds of labelled beats at the start used for adaptation.")
    var seconds = 300.0

    @Option(help: "Fine-tuning epochs.")
    var epochs = 10

    @Option(help: "Fine-tuning learning rate.")
    var rate: Float = 0.001

    @Option(help: "Adaptive exit policy mode (performance, balanced, saver, auto); default balanced when the model is calibrated, else a fixed 0.95 threshold.")
    var mode: PolicyMode?

    @Option(help: "Reference annotator (file extension).")
    var annotator = "atr"

    @Option(help: "Write the adapted model to this file.")
    var out: String?

    func validate() throws {
        if seconds <= 0 { throw ValidationError("--seconds must be > 0") }
        if epochs < 1 { throw ValidationError("--epochs must be ≥ 1") }
    }

    func run() throws {
        let rec = try ECGRecord.load(record, annotator: annotator)
        guard rec.reference != nil else { throw ValidationError("\(record): no .\(annotator) annotations to adapt on") }
        let global = try BeatClassifier(path: model)
        if let chosen = mode ?? (global.isCalibrated ? .balanced : nil) { try global.useAdaptivePolicy(mode: chosen, file: model) }
        let options = BeatAdaptation.Options(seconds: seconds, epochs: epochs, learningRate: rate)
        let from = Int(seconds * rec.rate)
        let t0 = Date()
        let adapted = try BeatAdaptation.adaptedClassifier(global, record: rec, options: options)
        let dt = Date().timeIntervalSince(t0)
        let (gb, gs) = ECGStream.run(rec, classifier: global)
        let (ab, astream) = ECGStream.run(rec, classifier: adapted)
        print(String(format: "%@: adapted on the first %.0f s (%.1f s of fine-tuning); scored on the beats after it", rec.name, seconds, dt))
        print("global model \(model):")
        print(ECGStream.score(gb, rec, stream: gs, from: from).table())
        print("adapted model:")
        print(ECGStream.score(ab, rec, stream: astream, from: from).table())
        if let out {
            try ModelFile.write(adapted.model, to: out)
            print("wrote \(out)")
        }
    }
}
