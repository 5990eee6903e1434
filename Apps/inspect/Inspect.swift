import ArgumentParser
import EdgewiseDevices
import EdgewiseInspection
import Foundation

@main
struct Inspect: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "inspect",
        abstract: "Defect detection and localisation on camera frames, learned from good parts only.",
        discussion: """
            enroll builds a model (patch-feature memory bank + threshold) from a folder of good parts; run \
            inspects a camera (V4L2), a folder of images or a Y4M stream; eval measures AUROC on a dataset \
            laid out like the magnetic-tile set (splits.csv); devices lists cameras; generate writes the \
            synthetic demo surfaces. Frames are processed in grey.
            """,
        subcommands: [EnrollCommand.self, RunCommand.self, EvalCommand.self, DevicesCommand.self, GenerateCommand.self])
}

/// A one-line progress bar on standard error (drawn only on a terminal unless forced).
final class ProgressBar {
    private let enabled: Bool
    private var last = ContinuousClock.now - .seconds(1)
    init(force: Bool = false) { enabled = force || isatty(2) != 0 }
    func update(_ label: String, _ fraction: Double) {
        guard enabled else { return }
        let now = ContinuousClock.now
        guard fraction >= 1 || now - last >= .milliseconds(100) else { return }
        last = now
        let width = 30, filled = Int(max(0, min(1, fraction)) * Double(width))
        let bar = String(repeating: "█", count: filled) + String(repeating: "·", count: width - filled)
        let line = String(format: "\r%-10@ %@ %3d%%", label, bar, Int(fraction * 100)) + (fraction >= 1 ? "\n" : "")
        FileHandle.standardError.write(Data(line.utf8))
    }
}

func readImages(_ files: [String], bar: ProgressBar, label: String) throws -> [GreyImage] {
    var out: [GreyImage] = []
    for (i, f) in files.enumerated() {
        out.append(try ImageFile.read(f))
        bar.update(label, Double(i + 1) / Double(files.count))
    }
    return out
}

/// The model `run` and `eval` use when `--model` is not given.
let defaultModelPath = "Models/inspect/magnetic-tile.ewinsp"

struct EnrollOptions: ParsableArguments {
    @Option(help: "Side of the square frames are resized to (multiple of 16).")
    var inputSize = 192
    @Option(help: "Coarse memory-bank size after coreset subsampling.")
    var coarseBank = 1500
    @Option(help: "Fine memory-bank size after coreset subsampling.")
    var fineBank = 6000
    @Option(help: "Patches sampled over all good parts as coreset candidates.")
    var candidates = 60_000
    @Option(help: "Share of held-out good parts the threshold may reject.")
    var falseRejectRate: Float = 0.05
    @Option(help: "Early exit: coarse scores below this fraction of the coarse threshold are clearly good.")
    var exitLow: Float = 0.75
    @Option(help: "Early exit: coarse scores above this multiple of the coarse threshold are clearly defective.")
    var exitHigh: Float = 2.5
    @Option(help: "Fine-grid cells (4 input pixels each) along the frame border left out of maps and scores.")
    var margin = 0
    @Option(help: "Gaussian σ (input pixels) smoothing the anomaly map.")
    var sigma: Float = 4
    @Option(help: "Seed of patch sampling and the coreset start.")
    var seed: UInt64 = 7

    var options: Enrollment.Options {
        var o = Enrollment.Options()
        o.inputSize = inputSize
        o.coarseBankSize = coarseBank
        o.fineBankSize = fineBank
        o.falseRejectRate = falseRejectRate
        o.exitLow = exitLow
        o.exitHigh = exitHigh
        o.seed = seed
        o.margin = margin
        o.candidateLimit = candidates
        o.sigma = sigma
        return o
    }

    func validate() throws {
        guard inputSize >= 32, inputSize % 16 == 0 else { throw ValidationError("--input-size must be a multiple of 16, at least 32") }
        guard coarseBank > 0, fineBank > 0 else { throw ValidationError("bank sizes must be positive") }
        guard falseRejectRate >= 0, falseRejectRate < 1 else { throw ValidationError("--false-reject-rate must be in [0, 1)") }
    }
}

struct EnrollCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "enroll",
        abstract: "Learn a product from good parts: memory bank and threshold.",
        discussion: """
            With --good DIR, every fifth image (in name order; --holdout-every) is held out to set the \
            threshold at --false-reject-rate and the rest build the memory bank. With --data DIR (a \
            splits.csv layout), the train split's good parts build the bank and the val split's good \
            parts set the threshold. The model holds patch features, never images.
            """)

    @Option(help: "Folder of good parts (PNG/JPEG).")
    var good: String?
    @Option(help: "A dataset folder with splits.csv (train good parts → bank, val good parts → threshold).")
    var data: String?
    @Option(help: "With --good: hold out every Nth image for the threshold.")
    var holdoutEvery = 5
    @Option(name: .shortAndLong, help: "Where to write the model.")
    var output: String
    @OptionGroup var enroll: EnrollOptions
    @Flag(help: "Draw the progress bar even when standard error is not a terminal.")
    var progress = false

    func validate() throws {
        guard (good == nil) != (data == nil) else { throw ValidationError("give exactly one of --good DIR or --data DIR") }
        guard holdoutEvery >= 2 else { throw ValidationError("--holdout-every must be at least 2") }
    }

    func run() throws {
        let bar = ProgressBar(force: progress)
        var trainFiles: [String] = [], holdoutFiles: [String] = []
        if let good {
            let files = try ImageFolderSource.imageFiles(in: good)
            guard files.count >= 2 else { throw InspectionError.noImages(directory: good) }
            for (i, f) in files.enumerated() { if i % holdoutEvery == holdoutEvery - 1 { holdoutFiles.append(f) } else { trainFiles.append(f) } }
        } else if let data {
            let entries = try SplitEntry.read(directory: data)
            trainFiles = entries.filter { $0.split == "train" && $0.isGood }.map { data + "/" + $0.file }
            holdoutFiles = entries.filter { $0.split == "val" && $0.isGood }.map { data + "/" + $0.file }
            guard !trainFiles.isEmpty, !holdoutFiles.isEmpty else { throw InspectionError.noImages(directory: data + " (train/val good parts)") }
        }
        let start = ContinuousClock.now
        let train = try readImages(trainFiles, bar: bar, label: "decode")
        let holdout = try readImages(holdoutFiles, bar: bar, label: "decode")
        let model = try Enrollment.enroll(train: train, holdout: holdout, options: enroll.options) { bar.update($0, $1) }
        let dir = (output as NSString).deletingLastPathComponent
        if !dir.isEmpty { try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true) }
        try model.write(to: output)
        let h = model.header
        print("enrolled \(train.count) good parts (\(holdout.count) held out) in \(String(format: "%.1f", seconds(ContinuousClock.now - start))) s -> \(output)")
        print("memory banks: coarse \(model.coarseBank.count)×\(h.coarseDims), fine \(model.fineBank.count)×\(h.fineDims); thresholds coarse \(h.coarseThreshold), fine \(h.fineThreshold) at \(Int(h.falseRejectRate * 100)) % false rejects of held-out good parts")
    }
}

func seconds(_ d: Duration) -> Double { Double(d.components.seconds) + Double(d.components.attoseconds) * 1e-18 }

struct GenerateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "generate",
        abstract: "Write the synthetic demo dataset (textured grey surfaces with cracks, blowholes, scratches, and masks).",
        discussion: "Deterministic for a seed; Datasets/inspect/ was made with the defaults. See Datasets/inspect/PROVENANCE.md.")
    @Option(name: .shortAndLong, help: "Output folder.")
    var output: String
    @Option(help: "Good parts for enrolment (the last fifth are marked val).")
    var good = 30
    @Option(help: "Good frames in the mixed stream.")
    var streamGood = 12
    @Option(help: "Frames per defect class in the mixed stream.")
    var perDefect = 4
    @Option(help: "Image side in pixels.")
    var size = 128
    @Option(help: "Seed.")
    var seed: UInt64 = 2026

    func run() throws {
        let n = try SyntheticSurfaces.writeDataset(to: output, goodCount: good, streamGood: streamGood, perDefect: perDefect, size: size, seed: seed)
        print("wrote \(n) files to \(output)")
    }
}

struct DevicesCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "devices",
        abstract: "List V4L2 cameras with their formats and frame sizes (like v4l2-ctl --list-devices --list-formats).",
        discussion: "Formats marked 'emulated' are converted by libv4l2 in software.")
    @Argument(help: "Devices to query (default: every /dev/video*).")
    var paths: [String] = []

    func run() throws {
        let list = paths.isEmpty ? V4L2Camera.devicePaths() : paths
        if list.isEmpty { print("no /dev/video* devices"); return }
        for p in list {
            do {
                let info = try V4L2Camera.query(p)
                print("\(info.card) (\(info.driver), \(info.busInfo)): \(p)")
                for f in info.formats {
                    let sizes = f.sizes.map { "\($0[0])x\($0[1])" }.joined(separator: " ")
                    print("    \(f.fourcc) '\(f.description)'\(f.emulated ? " emulated" : "")\(f.compressed ? " compressed" : ""): \(sizes)")
                }
            } catch {
                print("\(p): \(error)")
            }
        }
    }
}
