import ArgumentParser
import EdgewiseSignal
import EdgewisePolicy
import EdgewiseWearable
import Foundation

/// `wearable eval`: QRS detection Se/+P (bxb-style) over a WFDB directory.
struct EvalCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "eval",
        abstract: "QRS detection sensitivity and positive predictivity (150 ms matching, as WFDB's bxb) over WFDB records.",
        discussion: "Record names come from the data directory (its RECORDS file, else its .hea files). DS1/DS2 are de Chazal's inter-patient split.")

    @Option(help: "Folder of WFDB records with reference annotations.")
    var data: String

    @Option(help: "DS1, DS2, all, or a comma-separated list of record names.")
    var records = "all"

    @Option(help: "Reference annotator (file extension).")
    var annotator = "atr"

    @Option(help: "Write the table as JSON to this file.")
    var json: String?

    @Option(help: "Beat model: also classify beats and print the AAMI confusion matrix (EC57 style).")
    var model: String?

    @Option(help: "Use a fixed early-exit threshold instead of the adaptive policy (1: always run to the final exit).")
    var threshold: Float?

    @Option(help: "Adaptive exit policy mode (performance, balanced, saver, auto); default balanced when the model is calibrated (`wearable calibrate`), else a fixed 0.95 threshold.")
    var mode: PolicyMode?

    @Option(help: "Per-class probability factors N,S,V,F,Q (overrides the model's wearable.classScale).")
    var classScale: String?

    @Flag(help: "Also adapt the model to each record (exit heads fine-tuned on its first --adapt-seconds of labelled beats) and print the global and the adapted model scored on the rest (patient-specific protocol).")
    var adapt = false

    @Option(help: "Seconds of labelled beats at the start of each record used for adaptation (left out of scoring).")
    var adaptSeconds = 300.0

    @Option(help: "Fine-tuning epochs for --adapt.")
    var adaptEpochs = 10

    @Option(help: "Fine-tuning learning rate for --adapt.")
    var adaptRate: Float = 0.001

    func run() throws {
        let set = try RecordSet(directory: data)
        let names = try set.resolve(records)
        let report = try QRSReport.run(set: set, names: names, annotator: annotator) { FileHandle.standardError.write("\($0)\n".data(using: .utf8)!) }
        print(report.table())
        var classification: ClassificationReport? = nil
        if let model {
            let classifier = try BeatClassifier(path: model, policy: FixedThresholdPolicy(threshold: threshold ?? 0.95))
            let chosen = threshold == nil ? (mode ?? (classifier.isCalibrated ? .balanced : nil)) : nil
            if let chosen { try classifier.useAdaptivePolicy(mode: chosen, file: model) }
            if let classScale {
                let v = classScale.split(separator: ",").compactMap { Float($0) }
                guard v.count == 5 else { throw ValidationError("--class-scale needs 5 numbers (N,S,V,F,Q)") }
                classifier.classScale = v
            }
            var total = ClassificationReport(), globalRest = ClassificationReport(), adaptedRest = ClassificationReport()
            let options = BeatAdaptation.Options(seconds: adaptSeconds, epochs: adaptEpochs, learningRate: adaptRate)
            for n in names {
                let rec = try ECGRecord.load(set.path(n), annotator: annotator)
                let (beats, stream) = ECGStream.run(rec, classifier: classifier)
                total.add(ECGStream.score(beats, rec, stream: stream))
                if adapt {
                    let from = Int(adaptSeconds * rec.rate)
                    globalRest.add(ECGStream.score(beats, rec, stream: stream, from: from))
                    let adapted = try BeatAdaptation.adaptedClassifier(classifier, record: rec, options: options)
                    let (ab, astream) = ECGStream.run(rec, classifier: adapted)
                    let r = ECGStream.score(ab, rec, stream: astream, from: from)
                    adaptedRest.add(r)
                    FileHandle.standardError.write(String(format: "%@: adapted accuracy after %.0f s %.2f %%\n", n, adaptSeconds, r.accuracy * 100).data(using: .utf8)!)
                }
            }
            let policy = classifier.adaptive.map { "adaptive policy, mode \($0.mode.rawValue):" } ?? "fixed early-exit threshold \(threshold ?? 0.95):"
            print("beat classes, records \(records) (\(names.count) records), model \(model), " + policy)
            print(total.table())
            classification = total
            if adapt {
                print("patient-specific protocol: beats after the first \(Int(adaptSeconds)) s of each record (the adaptation beats are not scored)")
                print("global model, " + policy)
                print(globalRest.table())
                print("adapted model (exit heads fine-tuned on each record's first \(Int(adaptSeconds)) s, \(adaptEpochs) epochs, lr \(adaptRate)), " + policy)
                print(adaptedRest.table())
            }
        }
        if let json {
            struct Out: Encodable { var qrs: QRSReport; var classification: ClassificationReport? }
            let e = JSONEncoder(); e.outputFormatting = [.prettyPrinted, .sortedKeys]
            try e.encode(Out(qrs: report, classification: classification)).write(to: URL(fileURLWithPath: json))
            print("wrote \(json)")
        }
    }
}
