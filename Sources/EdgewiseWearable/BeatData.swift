import EdgewiseCore
import Foundation

/// Labelled beats for training and evaluation: the streaming extractor run over records, each
/// detected beat labelled with the AAMI class of the reference beat it matches (150 ms); detections
/// matching no AAMI-mapped reference beat are left out.
public enum BeatData {
    /// Beats of one record with labels (AAMI class raw values).
    public static func labelled(_ rec: ECGRecord) -> (beats: [BeatFeatures], labels: [Int]) {
        guard let ref = rec.reference else { return ([], []) }
        let beats = BeatExtractor.extract(rec.samples, rate: rec.rate)
        let window = Int((0.15 * rec.rate).rounded())
        let (_, matches) = QRSScore.match(reference: ref.map(\.sample), detections: beats.map(\.sample), window: window)
        var label = [Int?](repeating: nil, count: beats.count)
        for (i, m) in matches.enumerated() { if let m, let c = ref[i].aami { label[m] = c.rawValue } }
        var outB: [BeatFeatures] = [], outL: [Int] = []
        for (b, l) in zip(beats, label) { if let l { outB.append(b); outL.append(l) } }
        return (outB, outL)
    }

    /// Class imbalance: repeats every sample of a class `k` times so the class reaches
    /// `min(count × factor, max(count, cap))` samples (N, the majority, stays as it is).
    public static func oversampled(_ d: ArrayDataset, factor: Int, cap: Int) -> ArrayDataset {
        let counts = d.classCounts
        var out: [Sample] = []
        for c in 0..<d.classCount where counts[c] > 0 {
            let members = d.samples.filter { $0.label == c }
            let target = min(counts[c] * factor, max(counts[c], cap))
            for i in 0..<target { out.append(members[i % members.count]) }
        }
        return ArrayDataset(samples: out, classCount: d.classCount)
    }

    /// A training dataset from records (loaded in parallel, two at a time).
    public static func dataset(set: RecordSet, names: [String], progress: (String) -> Void = { _ in }) throws -> ArrayDataset {
        var samples: [Sample] = []
        for n in names {
            let rec = try ECGRecord.load(set.path(n))
            let (b, l) = labelled(rec)
            samples += zip(b, l).map { Sample(features: $0.input, label: $1) }
            progress("\(n): \(b.count) beats")
        }
        return ArrayDataset(samples: samples, classCount: AAMIClass.allCases.count)
    }
}

/// EC57-style beat classification statistics: the 5 × 5 AAMI confusion matrix over reference beats
/// matched by a detection, per-class sensitivity and positive predictivity, and the MACs spent.
public struct ClassificationReport: Sendable, Codable {
    /// `confusion[reference][predicted]`.
    public var confusion = [[Int]](repeating: [Int](repeating: 0, count: 5), count: 5)
    /// Reference beats (AAMI-mapped) that no detection matched.
    public var missed = [Int](repeating: 0, count: 5)
    public var beats = 0, macs = 0, fullMACs = 0
    /// Beats decided at each exit.
    public var exitCounts: [String: Int] = [:]

    public init() {}

    public mutating func add(_ other: ClassificationReport) {
        for r in 0..<5 { for p in 0..<5 { confusion[r][p] += other.confusion[r][p] }; missed[r] += other.missed[r] }
        beats += other.beats; macs += other.macs; fullMACs += other.fullMACs
        for (k, v) in other.exitCounts { exitCounts[k, default: 0] += v }
    }

    public func sensitivity(_ c: Int) -> Double { let t = confusion[c].reduce(0, +); return t == 0 ? .nan : Double(confusion[c][c]) / Double(t) }
    public func positivePredictivity(_ c: Int) -> Double {
        let t = (0..<5).reduce(0) { $0 + confusion[$1][c] }
        return t == 0 ? .nan : Double(confusion[c][c]) / Double(t)
    }
    public var accuracy: Double {
        let t = confusion.joined().reduce(0, +)
        return Double((0..<5).reduce(0) { $0 + confusion[$1][$1] }) / Double(max(1, t))
    }
    /// Fraction of the classifier's full-model MACs saved by early exits.
    public var macsSaved: Double { fullMACs == 0 ? 0 : 1 - Double(macs) / Double(fullMACs) }

    public func table() -> String {
        var s = "reference \\ predicted      N       S       V       F       Q   missed\n"
        for r in 0..<5 {
            s += "  \(AAMIClass(rawValue: r)!.letter)                 " + confusion[r].map { String(format: "%7d", $0) }.joined(separator: " ") + String(format: "  %7d\n", missed[r])
        }
        s += "class    Se %    +P %\n"
        for c in 0..<5 {
            s += "  \(AAMIClass(rawValue: c)!.letter)   " + String(format: "%6.1f  %6.1f\n", sensitivity(c) * 100, positivePredictivity(c) * 100)
        }
        s += String(format: "accuracy %.2f %% over %d matched beats; classifier MACs saved by early exit %.1f %%", accuracy * 100, confusion.joined().reduce(0, +), macsSaved * 100)
        s += " (" + exitCounts.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", ") + ")\n"
        return s
    }
}
