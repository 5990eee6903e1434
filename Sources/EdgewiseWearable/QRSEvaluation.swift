/// Beat-by-beat comparison of detected QRS complexes with reference beats, as WFDB's `bxb` does:
/// a detection within the match window (150 ms) of a reference beat is a true positive (each matched
/// once, nearest first); reference beats inside excluded spans (ventricular flutter) are not counted,
/// nor are detections there.
public struct QRSScore: Sendable, Equatable, Codable {
    public var truePositives = 0, falseNegatives = 0, falsePositives = 0
    public init() {}

    /// Sensitivity TP / (TP + FN).
    public var sensitivity: Double { Double(truePositives) / Double(max(1, truePositives + falseNegatives)) }
    /// Positive predictivity TP / (TP + FP).
    public var positivePredictivity: Double { Double(truePositives) / Double(max(1, truePositives + falsePositives)) }

    public static func + (a: QRSScore, b: QRSScore) -> QRSScore {
        var s = a
        s.truePositives += b.truePositives; s.falseNegatives += b.falseNegatives; s.falsePositives += b.falsePositives
        return s
    }

    /// Matches `detections` against `reference` (both sorted sample indices) within `window` samples.
    /// Returns the score and, for each reference beat, the index of its matched detection (or nil).
    public static func match(reference: [Int], detections: [Int], window: Int, excluded: [Range<Int>] = [], from start: Int = 0) -> (score: QRSScore, matches: [Int?]) {
        func counted(_ t: Int) -> Bool { t >= start && !excluded.contains { $0.contains(t) } }
        var matches = [Int?](repeating: nil, count: reference.count)
        var used = [Bool](repeating: false, count: detections.count)
        var j = 0
        for (i, r) in reference.enumerated() {
            while j < detections.count && detections[j] < r - window { j += 1 }
            var best: Int? = nil
            var k = j
            while k < detections.count && detections[k] <= r + window {
                if !used[k] && (best == nil || abs(detections[k] - r) < abs(detections[best!] - r)) { best = k }
                k += 1
            }
            // Prefer leaving a detection to the next reference beat when it is closer to that one.
            if let b = best, i + 1 < reference.count, abs(detections[b] - reference[i + 1]) < abs(detections[b] - r) {
                var alt: Int? = nil
                var k2 = j
                while k2 < detections.count && detections[k2] <= r + window {
                    if !used[k2] && k2 != b && (alt == nil || abs(detections[k2] - r) < abs(detections[alt!] - r)) { alt = k2 }
                    k2 += 1
                }
                best = alt
            }
            if let b = best { used[b] = true; matches[i] = b }
        }
        var s = QRSScore()
        for (i, r) in reference.enumerated() where counted(r) {
            if matches[i] != nil { s.truePositives += 1 } else { s.falseNegatives += 1 }
        }
        for (k, d) in detections.enumerated() where !used[k] && counted(d) { s.falsePositives += 1 }
        return (s, matches)
    }
}
