import EdgewiseCore
import EdgewiseModel
import Foundation

/// One operating point: an accuracy budget and the per-exit thresholds that meet it with the fewest
/// expected MACs on the calibration data.
public struct OperatingPoint: Codable, Equatable, Sendable {
    /// Accuracy points below running every input to the final exit that this point may lose.
    public var budgetPoints: Double
    /// Confidence threshold per exit (exit order); an input stops at the first exit whose score reaches
    /// its threshold. The final exit's entry is 0 (it always stops); `.infinity` means "never stop here".
    public var thresholds: [Float]
    /// Accuracy on the calibration data, 0…1.
    public var accuracy: Double
    /// Expected MACs as a fraction of the final exit's.
    public var expectedMACFraction: Double
    /// Fraction of the calibration inputs leaving at each exit.
    public var exitRates: [Double]
    /// Accuracy of the inputs leaving at each exit (0 where none leave).
    public var exitAccuracy: [Double]
    /// Per exit: share of the inputs leaving there whose answer equals the final exit's (1 where none leave).
    /// Drift recalibration compares audited agreement with this.
    public var agreement: [Double]

    public init(budgetPoints: Double, thresholds: [Float], accuracy: Double, expectedMACFraction: Double,
                exitRates: [Double], exitAccuracy: [Double], agreement: [Double]) {
        self.budgetPoints = budgetPoints; self.thresholds = thresholds; self.accuracy = accuracy
        self.expectedMACFraction = expectedMACFraction; self.exitRates = exitRates
        self.exitAccuracy = exitAccuracy; self.agreement = agreement
    }
}

/// A model's calibrated operating points: what `edgewise calibrate` computes and stores in the model
/// file, and what ``ExitPolicy`` runs from.
///
/// Storage: the model file's exit-calibration section holds, per exit, one entry per operating point
/// (loosest budget first): `thresholds` = that exit's threshold (`inf` = never), `accuracy` = accuracy of
/// the inputs leaving there, `exitRate` = the share leaving there. The metadata key
/// `exit_calibration` holds the rest as JSON (measure, budgets, overall accuracy and MACs, exit rates
/// at full precision, agreement,
/// exit MACs, the final exit's accuracy, the number of calibration samples).
public struct PolicyCalibration: Codable, Equatable, Sendable {
    public var measure: ConfidenceMeasure
    public var exitNames: [String]
    /// Cumulative MACs to reach each exit.
    public var exitMACs: [Int]
    /// Accuracy of running every input to the final exit, on the calibration data.
    public var finalAccuracy: Double
    /// Calibration inputs used.
    public var samples: Int
    /// Operating points by ascending budget.
    public var points: [OperatingPoint]

    public init(measure: ConfidenceMeasure, exitNames: [String], exitMACs: [Int], finalAccuracy: Double, samples: Int, points: [OperatingPoint]) {
        self.measure = measure; self.exitNames = exitNames; self.exitMACs = exitMACs
        self.finalAccuracy = finalAccuracy; self.samples = samples; self.points = points.sorted { $0.budgetPoints < $1.budgetPoints }
    }

    /// The point with the largest budget not above `budget` (the tightest point if all are above).
    public func point(forBudget budget: Double) -> OperatingPoint {
        points.last(where: { $0.budgetPoints <= budget + 1e-9 }) ?? points[0]
    }

    /// "Always final": every threshold infinite except the final exit's.
    public var alwaysFinal: OperatingPoint {
        let e = exitNames.count
        return OperatingPoint(budgetPoints: 0, thresholds: (0..<e).map { $0 == e - 1 ? 0 : .infinity }, accuracy: finalAccuracy,
                              expectedMACFraction: 1, exitRates: (0..<e).map { $0 == e - 1 ? 1 : 0 },
                              exitAccuracy: (0..<e).map { $0 == e - 1 ? finalAccuracy : 0 }, agreement: [Double](repeating: 1, count: e))
    }

    static let metadataKey = "exit_calibration"

    private struct Stored: Codable {
        var measure: ConfidenceMeasure, exitNames: [String], exitMACs: [Int], finalAccuracy: Double, samples: Int
        var budgets: [Double], accuracy: [Double], expectedMACFraction: [Double], exitRates: [[Double]], exitAccuracy: [[Double]], agreement: [[Double]]
    }

    /// Writes the points into `model` (its exit-calibration section and the `exit_calibration` metadata).
    public func store(in model: inout Model) throws {
        let names = model.graph.exits.map(\.head.name)
        guard names == exitNames else {
            throw PolicyError.calibrationMismatch("calibrated exits \(exitNames) differ from the model's \(names)")
        }
        let order = points.sorted { $0.budgetPoints > $1.budgetPoints }
        model.exitCalibration = [:]
        for (e, name) in exitNames.enumerated() {
            model.exitCalibration[name] = ExitCalibration(thresholds: order.map { $0.thresholds[e] },
                                                          accuracy: order.map { Float($0.exitAccuracy[e]) },
                                                          exitRate: order.map { Float($0.exitRates[e]) })
        }
        let s = Stored(measure: measure, exitNames: exitNames, exitMACs: exitMACs, finalAccuracy: finalAccuracy, samples: samples,
                       budgets: order.map(\.budgetPoints), accuracy: order.map(\.accuracy),
                       expectedMACFraction: order.map(\.expectedMACFraction), exitRates: order.map(\.exitRates), exitAccuracy: order.map(\.exitAccuracy),
                       agreement: order.map(\.agreement))
        let enc = JSONEncoder()
        enc.outputFormatting = [.sortedKeys]
        enc.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        model.metadata[Self.metadataKey] = String(decoding: try enc.encode(s), as: UTF8.self)
    }

    /// Reads the points back from `model`; `nil` when the model was never calibrated.
    public init?(model: Model, file: String = "model") throws(PolicyError) {
        guard let json = model.metadata[Self.metadataKey] else { return nil }
        let dec = JSONDecoder()
        dec.nonConformingFloatDecodingStrategy = .convertFromString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        let s: Stored
        do { s = try dec.decode(Stored.self, from: Data(json.utf8)) }
        catch { throw .calibrationMismatch("\(file): metadata '\(Self.metadataKey)' is not valid: \(error)") }
        let k = s.budgets.count
        guard k > 0, [s.accuracy.count, s.expectedMACFraction.count, s.exitRates.count, s.exitAccuracy.count, s.agreement.count].allSatisfy({ $0 == k }),
              s.exitMACs.count == s.exitNames.count else {
            throw .calibrationMismatch("\(file): metadata '\(Self.metadataKey)' has lists of different lengths")
        }
        var points: [OperatingPoint] = []
        for j in 0..<k {
            var th: [Float] = []
            for name in s.exitNames {
                guard let t = model.exitCalibration[name], t.thresholds.count == k else {
                    throw .calibrationMismatch("\(file): exit '\(name)' has no calibration table with \(k) entries")
                }
                th.append(t.thresholds[j])
            }
            points.append(OperatingPoint(budgetPoints: s.budgets[j], thresholds: th, accuracy: s.accuracy[j],
                                         expectedMACFraction: s.expectedMACFraction[j], exitRates: s.exitRates[j],
                                         exitAccuracy: s.exitAccuracy[j], agreement: s.agreement[j]))
        }
        self.init(measure: s.measure, exitNames: s.exitNames, exitMACs: s.exitMACs, finalAccuracy: s.finalAccuracy, samples: s.samples, points: points)
    }
}

/// Errors of the policy module, each naming what is wrong.
public enum PolicyError: Error, Equatable, CustomStringConvertible {
    case calibrationMismatch(String)
    case badConfiguration(file: String, reason: String)
    case notCalibrated(String)
    case badArgument(String)

    public var description: String {
        switch self {
        case .calibrationMismatch(let s): return s
        case .badConfiguration(let f, let r): return "\(f): \(r)"
        case .notCalibrated(let s): return s
        case .badArgument(let s): return s
        }
    }
}

/// Every exit's answer for a set of labelled inputs: what calibration and simulation work from.
public struct ExitObservations: Sendable {
    public let exitNames: [String]
    public let exitMACs: [Int]
    public private(set) var labels: [Int] = []
    /// `[exit][sample]` predicted class.
    public private(set) var predictions: [[Int]]
    /// `[measure][exit][sample]` confidence score.
    public private(set) var scores: [ConfidenceMeasure: [[Float]]]

    public init(exitNames: [String], exitMACs: [Int]) {
        self.exitNames = exitNames; self.exitMACs = exitMACs
        predictions = Array(repeating: [], count: exitNames.count)
        scores = Dictionary(uniqueKeysWithValues: ConfidenceMeasure.allCases.map { ($0, Array(repeating: [Float](), count: exitNames.count)) })
    }

    public var count: Int { labels.count }

    /// Adds one input: each exit's output (exit order) and the true label.
    public mutating func append(outputs: [[Float]], label: Int) {
        precondition(outputs.count == exitNames.count)
        labels.append(label)
        for (e, o) in outputs.enumerated() {
            for m in ConfidenceMeasure.allCases {
                let (s, a) = m.evaluate(o)
                scores[m]![e].append(s)
                if m == .maxProbability { predictions[e].append(a) }
            }
        }
    }

    /// Runs `executor` over `inputs` (one feature vector each, via `features(i)`), recording every exit.
    public static func collect(executor: Executor, count: Int, labels: (Int) -> Int, features: (Int, UnsafeMutableBufferPointer<Float>) -> Void,
                               progress: ((Int) -> Void)? = nil) -> ExitObservations {
        var obs = ExitObservations(exitNames: executor.exits.map(\.name), exitMACs: executor.exits.map(\.cumulativeMACs))
        for i in 0..<count {
            features(i, executor.input)
            var outs: [[Float]] = []
            let last = executor.run { out in outs.append(Array(out.values)); return .continue }
            outs.append(Array(last.values))
            obs.append(outputs: outs, label: labels(i))
            progress?(i + 1)
        }
        return obs
    }

    /// The exit index where sample `i` stops under `thresholds` for `measure`.
    @inline(__always) func exitIndex(_ i: Int, _ s: [[Float]], _ thresholds: [Float]) -> Int {
        let last = exitNames.count - 1
        for e in 0..<last where s[e][i] >= thresholds[e] { return e }
        return last
    }

    /// Accuracy, expected MAC fraction and per-exit statistics of `thresholds` (one per exit).
    public func evaluate(measure: ConfidenceMeasure, thresholds: [Float], budget: Double = 0) -> OperatingPoint {
        let s = scores[measure]!, n = count, e = exitNames.count, last = e - 1
        var correct = 0, macs = 0.0
        var leave = [Int](repeating: 0, count: e), right = [Int](repeating: 0, count: e), agree = [Int](repeating: 0, count: e)
        for i in 0..<n {
            let k = exitIndex(i, s, thresholds)
            leave[k] += 1
            macs += Double(exitMACs[k])
            if predictions[k][i] == labels[i] { correct += 1; right[k] += 1 }
            if predictions[k][i] == predictions[last][i] { agree[k] += 1 }
        }
        let nn = Double(max(1, n))
        return OperatingPoint(budgetPoints: budget, thresholds: thresholds, accuracy: Double(correct) / nn,
                              expectedMACFraction: macs / nn / Double(max(1, exitMACs[last])),
                              exitRates: leave.map { Double($0) / nn },
                              exitAccuracy: (0..<e).map { leave[$0] > 0 ? Double(right[$0]) / Double(leave[$0]) : 0 },
                              agreement: (0..<e).map { leave[$0] > 0 ? Double(agree[$0]) / Double(leave[$0]) : 1 })
    }

    /// Accuracy of each exit on its own.
    public var exitAccuracies: [Double] {
        (0..<exitNames.count).map { e in Double(zip(predictions[e], labels).filter { $0 == $1 }.count) / Double(max(1, count)) }
    }
}

/// Finds operating points and the comparison curves.
public enum Calibrator {
    /// The default accuracy budgets, in points below all-final.
    public static let defaultBudgets: [Double] = [0, 0.5, 1, 2, 5]

    /// Per-exit thresholds minimising expected MACs with accuracy ≥ final − budget, for each budget.
    /// Candidates per exit are `candidates` quantiles of that exit's scores plus "never"; up to 200,000
    /// combinations are searched exhaustively, beyond that by coordinate descent.
    public static func calibrate(_ obs: ExitObservations, measure: ConfidenceMeasure, budgets: [Double] = defaultBudgets,
                                 candidates: Int = 40) -> PolicyCalibration {
        let e = obs.exitNames.count, last = e - 1
        let finalAcc = obs.exitAccuracies[last]
        let s = obs.scores[measure]!
        var grids: [[Float]] = []
        for k in 0..<last {
            let sorted = s[k].sorted()
            var g = Set<Float>([.infinity])
            if !sorted.isEmpty { for q in 0..<candidates { g.insert(sorted[min(sorted.count - 1, q * sorted.count / candidates)]) } }
            grids.append(g.sorted())
        }
        let combos = grids.reduce(1) { $0 * $1.count }
        var evaluated: [OperatingPoint] = []
        func thresholds(_ idx: [Int]) -> [Float] { (0..<e).map { $0 == last ? 0 : grids[$0][idx[$0]] } }
        if combos <= 200_000 {
            var idx = [Int](repeating: 0, count: max(0, last))
            for _ in 0..<combos {
                evaluated.append(obs.evaluate(measure: measure, thresholds: thresholds(idx)))
                var k = 0
                while k < last { idx[k] += 1; if idx[k] < grids[k].count { break }; idx[k] = 0; k += 1 }
            }
        } else {
            for b in budgets {
                var idx = grids.map { $0.count - 1 }
                for _ in 0..<4 {
                    for k in 0..<last {
                        var best = idx[k], bestMACs = Double.infinity
                        for j in 0..<grids[k].count {
                            var t = idx; t[k] = j
                            let p = obs.evaluate(measure: measure, thresholds: thresholds(t))
                            evaluated.append(p)
                            if p.accuracy >= finalAcc - b / 100 - 1e-9, p.expectedMACFraction < bestMACs { best = j; bestMACs = p.expectedMACFraction }
                        }
                        idx[k] = best
                    }
                }
            }
        }
        let points = budgets.map { b -> OperatingPoint in
            let feasible = evaluated.filter { $0.accuracy >= finalAcc - b / 100 - 1e-9 }
            var p = feasible.min { ($0.expectedMACFraction, -$0.accuracy) < ($1.expectedMACFraction, -$1.accuracy) }
                ?? obs.evaluate(measure: measure, thresholds: (0..<e).map { $0 == last ? 0 : .infinity })
            p.budgetPoints = b
            return p
        }
        return PolicyCalibration(measure: measure, exitNames: obs.exitNames, exitMACs: obs.exitMACs, finalAccuracy: finalAcc,
                                 samples: obs.count, points: points)
    }

    /// BranchyNet's rule: one entropy threshold shared by every exit, swept over `steps` values.
    public static func sharedEntropyCurve(_ obs: ExitObservations, steps: Int = 60) -> [OperatingPoint] {
        let e = obs.exitNames.count
        return (0...steps).map { j in
            let t = Float(j) / Float(steps)
            return obs.evaluate(measure: .entropy, thresholds: (0..<e).map { $0 == e - 1 ? 0 : t })
        }
    }

    /// Each exit on its own: (accuracy, MAC fraction).
    public static func fixedExits(_ obs: ExitObservations) -> [(name: String, accuracy: Double, macFraction: Double)] {
        let acc = obs.exitAccuracies, last = Double(max(1, obs.exitMACs.last ?? 1))
        return obs.exitNames.indices.map { (obs.exitNames[$0], acc[$0], Double(obs.exitMACs[$0]) / last) }
    }
}
