import EdgewiseSignal
import Foundation

/// QRS detection statistics per record and in total (gross), with the detector's decision delay.
public struct QRSReport: Sendable, Codable {
    public struct Row: Sendable, Codable {
        public var record: String
        public var score: QRSScore
        public var seconds: Double
        /// Reporting delay (detection time − R peak) in seconds: median, 99th percentile and maximum,
        /// over all detections (search-back detections included).
        public var delayMedian: Double, delayP99: Double, delayMax: Double
    }
    public var rows: [Row] = []
    public var matchWindowSeconds = 0.15

    /// Detects beats in each record and matches them against its annotations.
    public static func run(set: RecordSet, names: [String], annotator: String = "atr", progress: (String) -> Void = { _ in }) throws -> QRSReport {
        var report = QRSReport()
        for n in names {
            let rec = try ECGRecord.load(set.path(n), annotator: annotator)
            guard let ref = rec.reference else { progress("\(n): no .\(annotator) annotations, skipped"); continue }
            let t0 = Date()
            let (det, delays) = QRSDetector.detectWithDelays(rec.samples, rate: rec.rate)
            let dt = Date().timeIntervalSince(t0)
            let sd = delays.sorted().map { Double($0) / rec.rate }
            let (s, _) = QRSScore.match(reference: ref.map(\.sample), detections: det, window: Int((0.15 * rec.rate).rounded()), excluded: rec.excluded)
            report.rows.append(Row(record: n, score: s, seconds: dt, delayMedian: sd.isEmpty ? 0 : sd[sd.count / 2],
                                   delayP99: sd.isEmpty ? 0 : sd[sd.count * 99 / 100], delayMax: sd.last ?? 0))
            progress(String(format: "%@: Se %.2f%%  +P %.2f%%  (FN %d, FP %d)", n, s.sensitivity * 100, s.positivePredictivity * 100, s.falseNegatives, s.falsePositives))
        }
        return report
    }

    public var total: QRSScore { rows.reduce(QRSScore()) { $0 + $1.score } }

    /// A plain-text table: one row per record and the gross total.
    public func table() -> String {
        var s = "record      TP     FN     FP    Se %    +P %  delay median/p99/max (ms)\n"
        let all = Row(record: "gross", score: total, seconds: rows.reduce(0) { $0 + $1.seconds },
                      delayMedian: rows.map(\.delayMedian).sorted().dropFirst(rows.count / 2).first ?? 0,
                      delayP99: rows.map(\.delayP99).max() ?? 0, delayMax: rows.map(\.delayMax).max() ?? 0)
        for r in rows + [all] {
            s += (r.record.padding(toLength: 8, withPad: " ", startingAt: 0)) + String(format: " %6d %6d %6d %7.2f %7.2f\n", r.score.truePositives, r.score.falseNegatives,
                        r.score.falsePositives, r.score.sensitivity * 100, r.score.positivePredictivity * 100)
                .trimmingCharacters(in: .newlines) + String(format: "  %4.0f/%4.0f/%5.0f\n", r.delayMedian * 1000, r.delayP99 * 1000, r.delayMax * 1000)
        }
        return s
    }

    public func json() throws -> String {
        let e = JSONEncoder(); e.outputFormatting = [.prettyPrinted, .sortedKeys]
        return String(decoding: try e.encode(self), as: UTF8.self)
    }
}
