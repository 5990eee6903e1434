import ArgumentParser
import EdgewiseCore
import EdgewiseData
import EdgewiseModel
import EdgewisePolicy
import Foundation

/// `edgewise calibrate`: per-exit thresholds for accuracy budgets, stored in the model file.
struct CalibrateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "calibrate",
        abstract: "Find per-exit confidence thresholds for accuracy budgets and store them in the model file.",
        discussion: """
            Runs every input of the calibration split (Speech Commands val by default) to every exit and \
            scores each exit's confidence by max-probability, margin (top-1 − top-2) and entropy. For each \
            accuracy budget (points below running everything to the final exit) it searches the per-exit \
            thresholds with the fewest expected MACs, picks the measure that saves most (or --measure), and \
            stores the operating points in the model's exit-calibration section. Writes an SVG of accuracy \
            vs expected MACs for these points, BranchyNet's single shared entropy threshold and each exit \
            alone. --evaluate test measures the stored points once on another split.
            """)

    @Argument(help: "The model with exits (.edgewise).")
    var model: String

    @Option(help: "Speech Commands folder (the datasets folder or its kws subfolder).")
    var data: String?

    @Option(name: .shortAndLong, help: "Where to write the calibrated model (default: overwrite MODEL).")
    var output: String?

    @Option(help: "Calibration split: train, val or test.")
    var split: String = "val"

    @Option(help: "Also report the stored operating points on this split (e.g. test), once.")
    var evaluate: String?

    @Option(help: "Confidence measure: auto, max-prob, margin or entropy.")
    var measure: String = "auto"

    @Option(help: "Accuracy budgets in points, comma-separated.")
    var budgets: String = "0,0.5,1,2,5"

    @Option(help: "SVG plot to write (default OUTPUT with .calibration.svg).")
    var svg: String?

    @Option(help: "Folder for cached MFCC features (\"\" disables the cache).")
    var cache: String = "out/cache"

    @OptionGroup var runOptions: RunOptions

    func validate() throws {
        guard SpeechCommands.Split(rawValue: split) != nil else { throw ValidationError("--split must be train, val or test") }
        if let evaluate, SpeechCommands.Split(rawValue: evaluate) == nil { throw ValidationError("--evaluate must be train, val or test") }
        guard measure == "auto" || ConfidenceMeasure(rawValue: measure) != nil else { throw ValidationError("--measure must be auto, max-prob, margin or entropy") }
        guard parsedBudgets != nil else { throw ValidationError("--budgets must be non-negative numbers separated by commas") }
    }

    var parsedBudgets: [Double]? {
        let b = budgets.split(separator: ",").map { Double($0.trimmingCharacters(in: .whitespaces)) }
        guard !b.isEmpty, b.allSatisfy({ $0 != nil && $0! >= 0 && $0! <= 100 }) else { return nil }
        return b.map { $0! }
    }

    func run() throws {
        var m = try loadModel(model)
        guard m.graph.exits.count >= 2 else { throw CommandFailure("\(model): the model has one exit; add some with `edgewise exits add`") }
        let exec = try runOptions.executor(for: m, path: model)
        let cacheDir = cache.isEmpty ? nil : cache
        let cal = try PolicyData.load(SpeechCommands.Split(rawValue: split)!, dataDirectory: data, cache: cacheDir)
        var obs = ExitObservations(exitNames: exec.exits.map(\.name), exitMACs: exec.exits.map(\.cumulativeMACs))
        for (i, o) in PolicyData.outputs(exec, cal).enumerated() { obs.append(outputs: o, label: cal.labels[i]) }
        let budgetList = parsedBudgets!
        print("calibration: \(split) split, \(obs.count) inputs; exits " + zip(obs.exitNames, obs.exitMACs).map { "\($0) (\($1) MACs)" }.joined(separator: ", "))
        print("accuracy of each exit alone: " + zip(obs.exitNames, obs.exitAccuracies).map { "\($0) \(fixed($1 * 100)) %" }.joined(separator: ", "))
        // Every measure, then the best (fewest MACs summed over the budgets).
        var results: [ConfidenceMeasure: PolicyCalibration] = [:]
        print("\nexpected MACs (% of final) per budget and confidence measure:")
        print("measure    " + budgetList.map { "\(fixed($0)) pt".padding(toLength: 9, withPad: " ", startingAt: 0) }.joined())
        for ms in ConfidenceMeasure.allCases {
            let c = Calibrator.calibrate(obs, measure: ms, budgets: budgetList)
            results[ms] = c
            print(ms.rawValue.padding(toLength: 11, withPad: " ", startingAt: 0) + c.points.map { "\(fixed($0.expectedMACFraction * 100)) %".padding(toLength: 9, withPad: " ", startingAt: 0) }.joined())
        }
        let chosen = ConfidenceMeasure(rawValue: measure) ?? ConfidenceMeasure.allCases.min { a, b in
            results[a]!.points.map(\.expectedMACFraction).reduce(0, +) < results[b]!.points.map(\.expectedMACFraction).reduce(0, +)
        }!
        let c = results[chosen]!
        print("\nchosen measure: \(chosen.rawValue); all-final accuracy \(fixed(c.finalAccuracy * 100, 2)) %")
        print(table(c.points, exitNames: c.exitNames))
        try c.store(in: &m)
        let out = output ?? model
        try ModelFile.write(m, to: out)
        print("wrote the operating points into \(out)")
        let branchy = Calibrator.sharedEntropyCurve(obs)
        let svgPath = svg ?? ((out as NSString).deletingPathExtension + ".calibration.svg")
        try PolicyPlots.accuracyVersusMACs(title: "\((model as NSString).lastPathComponent): \(split) split (\(obs.count) inputs)", calibration: c,
                                           points: c.points, branchy: branchy, fixed: Calibrator.fixedExits(obs))
            .write(toFile: svgPath, atomically: true, encoding: .utf8)
        print("wrote \(svgPath)")
        if let evaluate {
            let ev = try PolicyData.load(SpeechCommands.Split(rawValue: evaluate)!, dataDirectory: data, cache: cacheDir)
            var tobs = ExitObservations(exitNames: obs.exitNames, exitMACs: obs.exitMACs)
            for (i, o) in PolicyData.outputs(exec, ev).enumerated() { tobs.append(outputs: o, label: ev.labels[i]) }
            let final = tobs.exitAccuracies.last!
            print("\non the \(evaluate) split (\(tobs.count) inputs), thresholds fixed on \(split); all-final accuracy \(fixed(final * 100, 2)) %:")
            print("budget  ours: accuracy  Δ pt    MACs   | BranchyNet (entropy threshold fixed on \(split) for the same budget): accuracy  Δ pt    MACs")
            for p in c.points {
                let t = tobs.evaluate(measure: chosen, thresholds: p.thresholds)
                // BranchyNet: the shared threshold with the fewest MACs meeting the same budget on the calibration split.
                let target = c.finalAccuracy - p.budgetPoints / 100 - 1e-9
                let bt = branchy.enumerated().filter { $0.element.accuracy >= target }.min { $0.element.expectedMACFraction < $1.element.expectedMACFraction }
                let th = bt.map { Float($0.offset) / 60 } ?? 2
                let b = tobs.evaluate(measure: .entropy, thresholds: (0..<obs.exitNames.count).map { $0 == obs.exitNames.count - 1 ? 0 : th })
                print("\(fixed(p.budgetPoints)) pt".padding(toLength: 8, withPad: " ", startingAt: 0)
                      + "      \(fixed(t.accuracy * 100, 2)) %  \(fixed((t.accuracy - final) * 100, 2))  \(fixed(t.expectedMACFraction * 100)) %"
                      + "   |   \(fixed(b.accuracy * 100, 2)) %  \(fixed((b.accuracy - final) * 100, 2))  \(fixed(b.expectedMACFraction * 100)) % (threshold \(fixed(Double(th), 3)))")
            }
            print("each exit alone: " + Calibrator.fixedExits(tobs).map { "\($0.name) \(fixed($0.accuracy * 100, 2)) % at \(fixed($0.macFraction * 100)) % MACs" }.joined(separator: ", "))
        }
    }

    /// `s` padded with spaces to at least `n` characters (never cut).
    func pad(_ s: String, _ n: Int) -> String { s.count >= n ? s + "  " : s.padding(toLength: n, withPad: " ", startingAt: 0) }

    func table(_ points: [OperatingPoint], exitNames: [String]) -> String {
        var lines = ["budget  accuracy  exp. MACs  thresholds (" + exitNames.dropLast().joined(separator: ", ") + ")  leaving at each exit"]
        for p in points {
            lines.append("\(fixed(p.budgetPoints)) pt".padding(toLength: 8, withPad: " ", startingAt: 0)
                         + "\(fixed(p.accuracy * 100, 2)) %".padding(toLength: 10, withPad: " ", startingAt: 0)
                         + "\(fixed(p.expectedMACFraction * 100)) %".padding(toLength: 11, withPad: " ", startingAt: 0)
                         + pad(p.thresholds.dropLast().map { $0.isFinite ? fixed(Double($0), 3) : "never" }.joined(separator: ", "), 16)
                         + p.exitRates.map { "\(fixed($0 * 100)) %" }.joined(separator: " / "))
        }
        return lines.joined(separator: "\n")
    }
}
