import ArgumentParser
import EdgewiseSignalFiles
import EdgewiseWearable
import Foundation

/// `wearable eval-ppg`: PPG heart rate against TROIKA's ground truth.
struct EvalPPGCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "eval-ppg",
        abstract: "Heart rate from wrist PPG with accelerometer motion removal: mean absolute error per recording on TROIKA.",
        discussion: "Pairs every TestData/TEST_*.mat with TrueBPM/True_*.mat (or Training_data/DATA_*.mat with *_BPMtrace.mat using --set train).")

    @Option(help: "TROIKA directory (TestData/, TrueBPM/, Training_data/).")
    var data: String

    @Option(help: "test or train.")
    var set = "test"

    @Option(help: "Write the table as JSON to this file.")
    var json: String?

    func run() throws {
        let fm = FileManager.default
        var pairs: [(String, String)] = []
        if set == "test" {
            for f in try fm.contentsOfDirectory(atPath: data + "/TestData").filter({ $0.hasPrefix("TEST_") && $0.hasSuffix(".mat") }).sorted() {
                pairs.append((data + "/TestData/" + f, data + "/TrueBPM/True_" + f.dropFirst(5)))
            }
        } else {
            for f in try fm.contentsOfDirectory(atPath: data + "/Training_data").filter({ $0.hasPrefix("DATA_") && !$0.contains("BPMtrace") }).sorted() {
                pairs.append((data + "/Training_data/" + f, data + "/Training_data/" + f.dropLast(4) + "_BPMtrace.mat"))
            }
        }
        guard !pairs.isEmpty else { throw ValidationError("no recordings found in \(data) for --set \(set)") }
        var rows: [[String: Double]] = []
        var names: [String] = []
        var all: [Double] = []
        print("recording                 windows   MAE (BPM)")
        for (sig, truth) in pairs {
            let rec = try MATFile.readTroika(sig)
            let bpm = try MATFile.readTroikaBPM(truth)
            let est = try PPGHeartRate().estimate(rec)
            let k = min(est.count, bpm.count)
            let err = (0..<k).map { abs(est[$0] - bpm[$0]) }
            let mae = err.reduce(0, +) / Double(max(1, k))
            all += err
            names.append(rec.name); rows.append(["windows": Double(k), "mae": mae])
            print(rec.name.padding(toLength: 24, withPad: " ", startingAt: 0) + String(format: " %8d   %8.2f", k, mae))
        }
        let overall = all.reduce(0, +) / Double(max(1, all.count))
        print(String(format: "all windows               %8d   %8.2f", all.count, overall))
        if let json {
            let obj: [String: Any] = ["recordings": Dictionary(uniqueKeysWithValues: zip(names, rows)), "maeAllWindows": overall]
            try JSONSerialization.data(withJSONObject: obj, options: [.prettyPrinted, .sortedKeys]).write(to: URL(fileURLWithPath: json))
        }
    }
}
