import ArgumentParser
import EdgewiseSignal
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

    @Option(help: "Early-exit threshold of the fixed policy (1: always run to the final exit).")
    var threshold: Float = 0.95

    func run() throws {
        let set = try RecordSet(directory: data)
        let names = try set.resolve(records)
        let report = try QRSReport.run(set: set, names: names, annotator: annotator) { FileHandle.standardError.write("\($0)\n".data(using: .utf8)!) }
        print(report.table())
        var classification: ClassificationReport? = nil
        if let model {
            let classifier = try BeatClassifier(path: model, policy: FixedThresholdPolicy(threshold: threshold))
            var total = ClassificationReport()
            for n in names {
                let rec = try ECGRecord.load(set.path(n), annotator: annotator)
                let (beats, stream) = ECGStream.run(rec, classifier: classifier)
                total.add(ECGStream.score(beats, rec, stream: stream))
            }
            print("beat classes, records \(records) (\(names.count) records), model \(model), early-exit threshold \(threshold):")
            print(total.table())
            classification = total
        }
        if let json {
            struct Out: Encodable { var qrs: QRSReport; var classification: ClassificationReport? }
            let e = JSONEncoder(); e.outputFormatting = [.prettyPrinted, .sortedKeys]
            try e.encode(Out(qrs: report, classification: classification)).write(to: URL(fileURLWithPath: json))
            print("wrote \(json)")
        }
    }
}
