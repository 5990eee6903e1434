import ArgumentParser
import EdgewiseModel
import EdgewisePolicy
import EdgewiseWearable
import Foundation

/// `wearable calibrate`: calibrates the beat model's exits for the adaptive policy on held-out DS1 records.
struct CalibrateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "calibrate",
        abstract: "Calibrate the beat model's early exit for the adaptive policy (EdgewisePolicy) on labelled records.",
        discussion: "Use DS1 records the model did not train on (the default is the training command's held-out set); never DS2.")

    @Option(help: "MIT-BIH directory.")
    var data: String

    @Option(help: "Beat model to calibrate.")
    var model: String

    @Option(help: "Comma-separated records (held out of training).")
    var records = "101,114,118,220,223"

    @Option(help: "Write the calibrated model here (default: overwrite --model).")
    var out: String?

    func run() throws {
        let set = try RecordSet(directory: data)
        let names = try set.resolve(records)
        var beats: [BeatFeatures] = [], labels: [Int] = []
        for n in names {
            let (b, l) = BeatData.labelled(try ECGRecord.load(set.path(n)))
            beats += b; labels += l
        }
        var m = try ModelFile.read(path: model)
        let cal = try BeatClassifier.calibrate(model: &m, beats: beats, labels: labels)
        let path = out ?? model
        try ModelFile.write(m, to: path)
        print("calibrated on \(beats.count) beats of \(names.joined(separator: ",")); final-exit accuracy \(String(format: "%.2f", cal.finalAccuracy * 100)) %")
        for p in cal.points {
            print(String(format: "  budget %.1f points: thresholds %@, accuracy %.2f %%, MACs %.1f %% of final", p.budgetPoints,
                         p.thresholds.map { $0.isInfinite ? "never" : String(format: "%.3f", $0) }.joined(separator: "/"), p.accuracy * 100, p.expectedMACFraction * 100))
        }
        print("wrote \(path)")
    }
}
