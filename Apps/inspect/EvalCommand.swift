import ArgumentParser
import EdgewiseDevices
import EdgewiseInspection
import Foundation

struct EvalCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "eval",
        abstract: "Image and pixel AUROC, per defect class, false-reject and escape rates, ROC curves.",
        discussion: """
            DIR is laid out like ../shared/datasets/defects/magnetic_tile: splits.csv with file, mask, class, \
            group and split columns. Without --model, a model is enrolled first from the train split's good \
            parts (threshold from the val split's good parts) with the enrolment options below. Image AUROC \
            is reported for the fine, coarse and adaptive modes, with a 95 % interval from resampling groups \
            (physical regions), not images. Pixel AUROC compares the fine map, upsampled to the image, with \
            the mask binarised at 128.
            """)

    @Option(help: "The dataset folder (with splits.csv).")
    var data: String
    @Option(help: "train, val or test.")
    var split = "test"
    @Option(help: "A model to evaluate instead of enrolling one from the train split.")
    var model: String?
    @Option(help: "Write the figures as JSON here.")
    var json: String?
    @Option(help: "Write ROC curves (overall and per class, fine mode) as SVG here.")
    var roc: String?
    @Flag(help: "Also train and report the supervised mode (a patch classifier on the train split's labelled defects), separately.")
    var supervised = false
    @OptionGroup var enroll: EnrollOptions
    @Flag(help: "Draw the progress bar even when standard error is not a terminal.")
    var progress = false

    func validate() throws {
        guard ["train", "val", "test"].contains(split) else { throw ValidationError("--split is train, val or test") }
    }

    func run() throws {
        let bar = ProgressBar(force: progress)
        let entries = try SplitEntry.read(directory: data)
        let m: InspectionModel
        if let model {
            m = try InspectionModel.read(from: model)
        } else {
            let train = try readImages(entries.filter { $0.split == "train" && $0.isGood }.map { data + "/" + $0.file }, bar: bar, label: "decode")
            let holdout = try readImages(entries.filter { $0.split == "val" && $0.isGood }.map { data + "/" + $0.file }, bar: bar, label: "decode")
            guard !train.isEmpty, !holdout.isEmpty else { throw InspectionError.noImages(directory: data + " (train/val good parts)") }
            let t0 = ContinuousClock.now
            m = try Enrollment.enroll(train: train, holdout: holdout, options: enroll.options) { bar.update($0, $1) }
            print(String(format: "enrolled on %d train good parts in %.1f s (threshold from %d val good parts)", train.count,
                         seconds(ContinuousClock.now - t0), holdout.count))
        }
        let (r, samples) = try Evaluation.run(model: m, directory: data, entries: entries, split: split) { bar.update("evaluate", Double($0) / Double($1)) }
        func f(_ x: Double) -> String { x.isNaN ? "  n/a" : String(format: "%.3f", x) }
        print("split \(r.split): \(r.images) images (\(r.goodImages) good, \(r.defectImages) defective) in \(r.groups) groups")
        print("image AUROC  fine \(f(r.imageAUROC["fine"]!)) [95 % group bootstrap \(f(r.imageAUROCInterval[0]))–\(f(r.imageAUROCInterval[1]))]  coarse \(f(r.imageAUROC["coarse"]!))  adaptive \(f(r.imageAUROC["adaptive"]!))")
        print("pixel AUROC  \(f(r.pixelAUROC))")
        print("class            images groups image-AUROC pixel-AUROC escape")
        for c in r.classes {
            print(String(format: "%-16@ %6d %6d %11@ %11@ %5.0f%%", c.label, c.images, c.groups, f(c.imageAUROC), f(c.pixelAUROC), c.escapeRate * 100))
        }
        print(String(format: "at the threshold (adaptive): false rejects %.1f%%, escapes %.1f%%", r.falseRejectRate * 100, r.escapeRate * 100))
        print(String(format: "early exit: %.0f%% of frames stop at the coarse stage, %.0f%% of operations saved (coarse %d, fine %d per frame)",
                     r.earlyExitShare * 100, r.operationsSaved * 100, r.operationsPerFrame["coarse"]!, r.operationsPerFrame["fine"]!))
        print(String(format: "ms per frame (one core, decode excluded): coarse %.2f, adaptive %.2f, fine %.2f",
                     r.millisecondsPerFrame["coarse"]!, r.millisecondsPerFrame["adaptive"]!, r.millisecondsPerFrame["fine"]!))
        var sup: SupervisedReport? = nil
        if supervised {
            let s = try Evaluation.runSupervised(model: m, directory: data, entries: entries, split: split) { bar.update($0, $1) }
            sup = s
            print("supervised mode (trained on \(s.trainImages) train images, \(s.trainDefectImages) with labelled defects; threshold from val good parts):")
            print("  image AUROC \(f(s.imageAUROC)) [95 % group bootstrap \(f(s.imageAUROCInterval[0]))–\(f(s.imageAUROCInterval[1]))]  pixel AUROC \(f(s.pixelAUROC))")
            for l in s.classImageAUROC.keys.sorted() {
                print(String(format: "  %-16@ image %@ pixel %@", l, f(s.classImageAUROC[l]!), f(s.classPixelAUROC[l] ?? .nan)))
            }
            print(String(format: "  at its threshold: false rejects %.1f%%, escapes %.1f%%", s.falseRejectRate * 100, s.escapeRate * 100))
        }
        if let json {
            let enc = JSONEncoder()
            enc.outputFormatting = [.prettyPrinted, .sortedKeys]
            enc.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
            struct Output: Encodable { var goodOnly: EvaluationReport; var supervised: SupervisedReport? }
            try enc.encode(Output(goodOnly: r, supervised: sup)).write(to: URL(fileURLWithPath: json))
        }
        if let roc {
            let good = samples.filter { $0.entry.isGood }.map(\.fine)
            var curves = [("all (fine)", ROC.curve(positives: samples.filter { !$0.entry.isGood }.map(\.fine), negatives: good))]
            for c in r.classes {
                curves.append((c.label, ROC.curve(positives: samples.filter { $0.entry.label == c.label }.map(\.fine), negatives: good)))
            }
            try Evaluation.rocSVG(curves).write(toFile: roc, atomically: true, encoding: .utf8)
        }
    }
}
