import Dispatch
import Foundation

/// One epoch's numbers, as logged.
public struct EpochRecord: Codable, Equatable, Sendable {
    /// `"teacher"` or `"model"`.
    public var phase: String
    /// 1-based epoch.
    public var epoch: Int
    /// Optimiser steps so far.
    public var step: Int
    /// Learning rate at the epoch's last step.
    public var learningRate: Float
    /// Mean training loss (all exits and terms) and final-exit training accuracy over the epoch.
    public var trainLoss: Float, trainAccuracy: Float
    /// Validation loss (final exit, hard labels) and accuracy per exit, in exit order.
    public var validationLoss: Float, validationAccuracy: [Float]
    /// Training throughput (forward + backward + update) and wall time of the epoch.
    public var samplesPerSecond: Float, seconds: Float
}

/// Writes the training log (CSV and JSON) and the learning curve (SVG).
enum TrainingLog {
    static func write(_ records: [EpochRecord], exitNames: [String], base: String) throws {
        var csv = "phase,epoch,step,learning_rate,train_loss,train_accuracy,validation_loss,"
        csv += exitNames.map { "validation_accuracy_\($0)" }.joined(separator: ",") + ",samples_per_second,seconds\n"
        for r in records {
            csv += "\(r.phase),\(r.epoch),\(r.step),\(r.learningRate),\(r.trainLoss),\(r.trainAccuracy),\(r.validationLoss),"
            csv += r.validationAccuracy.map { "\($0)" }.joined(separator: ",") + ",\(r.samplesPerSecond),\(r.seconds)\n"
        }
        try csv.write(toFile: base + ".training.csv", atomically: true, encoding: .utf8)
        let e = JSONEncoder()
        e.outputFormatting = [.prettyPrinted, .sortedKeys]
        try e.encode(records).write(to: URL(fileURLWithPath: base + ".training.json"))
        try svg(records, exitNames: exitNames).write(toFile: base + ".training.svg", atomically: true, encoding: .utf8)
    }

    /// Two panels: loss (train, validation) and accuracy (train, validation per exit) by epoch.
    static func svg(_ records: [EpochRecord], exitNames: [String]) -> String {
        let w = 760.0, h = 360.0, pad = 40.0, gap = 60.0
        let pw = (w - 2 * pad - gap) / 2, ph = h - 2 * pad - 60
        let n = max(1, records.count)
        let maxLoss = Double(max(1e-6, records.flatMap { [$0.trainLoss, $0.validationLoss] }.filter { $0.isFinite }.max() ?? 1))
        func x(_ i: Int, _ panel: Int) -> Double { pad + Double(panel) * (pw + gap) + (n == 1 ? pw / 2 : Double(i) / Double(n - 1) * pw) }
        func y(_ v: Double, _ top: Double) -> Double { pad + ph - min(1, max(0, v / top)) * ph }
        func line(_ values: [Float], panel: Int, top: Double, color: String, dash: Bool = false) -> String {
            let pts = values.enumerated().map { String(format: "%.1f,%.1f", x($0.offset, panel), y(Double($0.element), top)) }.joined(separator: " ")
            return "<polyline fill=\"none\" stroke=\"\(color)\" stroke-width=\"2\"\(dash ? " stroke-dasharray=\"5,3\"" : "") points=\"\(pts)\"/>\n"
        }
        var s = "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(Int(w))\" height=\"\(Int(h))\" font-family=\"sans-serif\" font-size=\"11\">\n"
        s += "<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n"
        for (panel, title, top) in [(0, "loss", maxLoss), (1, "accuracy", 1.0)] {
            let x0 = pad + Double(panel) * (pw + gap)
            s += "<rect x=\"\(x0)\" y=\"\(pad)\" width=\"\(pw)\" height=\"\(ph)\" fill=\"none\" stroke=\"#999\"/>\n"
            s += "<text x=\"\(x0)\" y=\"\(pad - 8)\" font-weight=\"bold\">\(title)</text>\n"
            s += "<text x=\"\(x0 - 4)\" y=\"\(pad + 4)\" text-anchor=\"end\">\(String(format: "%.2f", top))</text>\n"
            s += "<text x=\"\(x0 - 4)\" y=\"\(pad + ph)\" text-anchor=\"end\">0</text>\n"
            s += "<text x=\"\(x0 + pw / 2)\" y=\"\(pad + ph + 16)\" text-anchor=\"middle\">epoch 1…\(records.count)</text>\n"
        }
        s += line(records.map(\.trainLoss), panel: 0, top: maxLoss, color: "#1f77b4")
        s += line(records.map(\.validationLoss), panel: 0, top: maxLoss, color: "#ff7f0e")
        s += line(records.map(\.trainAccuracy), panel: 1, top: 1, color: "#1f77b4")
        let colors = ["#ff7f0e", "#2ca02c", "#d62728", "#9467bd"]
        for e in exitNames.indices {
            s += line(records.map { e < $0.validationAccuracy.count ? $0.validationAccuracy[e] : 0 }, panel: 1, top: 1,
                      color: colors[e % colors.count], dash: e < exitNames.count - 1)
        }
        // Legends under each panel, clear of the curves.
        let legends: [[(String, String, Bool)]] = [
            [("train loss (all exits and terms)", "#1f77b4", false), ("validation loss (final exit)", "#ff7f0e", false)],
            [("train accuracy (final exit)", "#1f77b4", false)]
                + exitNames.enumerated().map { ("validation accuracy, exit '\($0.element)'", colors[$0.offset % colors.count], $0.offset < exitNames.count - 1) },
        ]
        for (panel, items) in legends.enumerated() {
            let x0 = pad + Double(panel) * (pw + gap)
            for (k, (label, color, dashed)) in items.enumerated() {
                let y0 = pad + ph + 36 + Double(k) * 15
                s += "<line x1=\"\(x0)\" y1=\"\(y0 - 4)\" x2=\"\(x0 + 18)\" y2=\"\(y0 - 4)\" stroke=\"\(color)\" stroke-width=\"2\"\(dashed ? " stroke-dasharray=\"5,3\"" : "")/>"
                s += "<text x=\"\(x0 + 24)\" y=\"\(y0)\" fill=\"#333\">\(label)</text>\n"
            }
        }
        return s + "</svg>\n"
    }
}

/// What the trainer reports after every step.
public struct TrainingProgress: Sendable {
    public var phase: String
    /// 1-based epoch and its total.
    public var epoch: Int, epochs: Int
    /// Batches done in this epoch and per epoch.
    public var batch: Int, batchesPerEpoch: Int
    /// Running means over the epoch so far.
    public var loss: Float, accuracy: Float
    public var samplesPerSecond: Float
    /// Estimated seconds left in this phase.
    public var etaSeconds: Float
    /// Set on the last report of an epoch, with the validation results.
    public var finishedEpoch: EpochRecord?
}

/// A one-line progress bar on standard error: epoch, bar, loss, accuracy, throughput and ETA,
/// ending each epoch with its validation accuracy. Draws only on a terminal unless forced.
public final class ConsoleProgressBar: @unchecked Sendable {
    private let enabled: Bool
    private var lastDraw: UInt64 = 0
    public init(force: Bool = false) { enabled = force || isatty(2) != 0 }

    /// Draws `p` (at most ten times a second, and at every epoch end); pass as the trainer's
    /// `progress` callback.
    public func update(_ p: TrainingProgress) {
        guard enabled else { return }
        let now = DispatchTime.now().uptimeNanoseconds
        guard p.finishedEpoch != nil || now - lastDraw >= 100_000_000 else { return }
        lastDraw = now
        let width = 24
        let frac = Double(p.batch) / Double(max(1, p.batchesPerEpoch))
        let filled = Int(frac * Double(width))
        let bar = String(repeating: "█", count: filled) + String(repeating: "·", count: width - filled)
        let eta = Int(p.etaSeconds.isFinite ? p.etaSeconds : 0)
        var line = String(format: "\r%@ %d/%d %@ %3d%% loss %.4f acc %5.1f%% %6.0f samples/s ETA %d:%02d", p.phase, p.epoch, p.epochs,
                          bar, Int(frac * 100), p.loss, p.accuracy * 100, p.samplesPerSecond, eta / 60, eta % 60)
        if let r = p.finishedEpoch {
            line += "  val " + r.validationAccuracy.map { String(format: "%.1f%%", $0 * 100) }.joined(separator: " / ") + "\n"
        }
        FileHandle.standardError.write(Data(line.utf8))
    }
}
