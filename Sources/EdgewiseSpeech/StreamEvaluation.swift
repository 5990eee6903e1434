import EdgewiseCore
import Foundation

/// Streaming evaluation against ground truth: false rejects (FRR) and false alarms per hour (FA/h) over a
/// sweep of thresholds, from one pass of the model (the posteriors are recorded once and the
/// `DetectionRule` replayed per threshold).
///
/// A detection is a hit when it names the keyword of a not yet matched truth event and falls within
/// [onset − 0.25 s, offset + 1 s] (issue 17's rule); every other detection (wrong word, a non-keyword event,
/// noise, a second detection of a matched event) is a false alarm.
public struct StreamEvaluation: Sendable {
    /// One spoken word in the stream.
    public struct Event: Sendable {
        public let onset: Double, offset: Double
        public let word: String
        /// Label index for a keyword; nil for other words.
        public let label: Int?
    }

    /// The recorded class probabilities of every inference.
    public struct Posteriors: Sendable {
        public var times: [Double] = []
        public var values: [Float] = []
        public let classes: Int
        public var seconds: Double = 0
    }

    /// FRR and FA/h at one threshold.
    public struct Point: Sendable {
        public let threshold: Float
        public let keywords: Int, hits: Int, falseAlarms: Int
        public let hours: Double
        public var falseRejectRate: Double { keywords == 0 ? 0 : 1 - Double(hits) / Double(keywords) }
        public var falseAlarmsPerHour: Double { Double(falseAlarms) / hours }
    }

    /// Reads `onset,offset,word,label,…` (header first; `label` is a model label, or starts with `_` for
    /// non-keywords). Errors name the file and line.
    public static func readTruth(_ path: String, labels: [String]) throws(SpeechError) -> [Event] {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { throw .noClips(directory: path, reason: "cannot read the ground-truth CSV") }
        var out: [Event] = []
        for (n, line) in text.split(separator: "\n").enumerated().dropFirst() {
            let f = line.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
            guard f.count >= 4, let on = Double(f[0]), let off = Double(f[1]), off >= on else {
                throw .noClips(directory: path, reason: "line \(n + 1): expected onset,offset,word,label,…")
            }
            let label = f[3].hasPrefix("_") ? nil : labels.firstIndex(of: f[3])
            if !f[3].hasPrefix("_") && label == nil { throw .noClips(directory: path, reason: "line \(n + 1): '\(f[3])' is not a model label") }
            out.append(Event(onset: on, offset: off, word: f[2], label: label))
        }
        return out
    }

    /// Runs `samples` through `spotter` (reset first) and records every inference's probabilities.
    public static func record(_ samples: UnsafeBufferPointer<Int16>, spotter: KeywordSpotter,
                              progress: (Double) -> Void = { _ in }) -> Posteriors {
        spotter.reset()
        var p = Posteriors(classes: spotter.labels.count)
        p.times.reserveCapacity(samples.count / 320 + 1)
        p.values.reserveCapacity((samples.count / 320 + 1) * p.classes)
        let chunk = 16000 * 60
        var i = 0
        while i < samples.count {
            let n = min(chunk, samples.count - i)
            spotter.process(UnsafeBufferPointer(rebasing: samples[i..<i + n]), onPosterior: { t, probs in
                p.times.append(t); p.values.append(contentsOf: probs)
            }, onDetection: { _ in })
            i += n
            progress(Double(i) / Double(samples.count))
        }
        p.seconds = Double(samples.count) / Double(spotter.sampleRate)
        return p
    }

    /// Replays `posteriors` through a `DetectionRule` with `configuration` and scores the detections.
    public static func score(_ posteriors: Posteriors, truth: [Event], labels: [String],
                             configuration: KeywordSpotter.Configuration) -> Point {
        var rule = DetectionRule(configuration: configuration, labels: labels)
        let sorted = truth.indices.sorted { truth[$0].onset < truth[$1].onset }
        var matched = [Bool](repeating: false, count: truth.count)
        var hits = 0, fa = 0
        var first = 0   // first event that can still match (events end by offset + 1 s)
        posteriors.values.withUnsafeBufferPointer { v in
            for (i, t) in posteriors.times.enumerated() {
                let probs = UnsafeBufferPointer(rebasing: v[i * posteriors.classes..<(i + 1) * posteriors.classes])
                guard let (label, _) = rule.update(probs, time: t) else { continue }
                while first < sorted.count && truth[sorted[first]].offset + 1 < t { first += 1 }
                var hit = false
                var j = first
                while j < sorted.count && truth[sorted[j]].onset - 0.25 <= t {
                    let e = sorted[j]
                    if !matched[e] && truth[e].label == label && t <= truth[e].offset + 1 { matched[e] = true; hit = true; break }
                    j += 1
                }
                if hit { hits += 1 } else { fa += 1 }
            }
        }
        return Point(threshold: configuration.threshold, keywords: truth.filter { $0.label != nil }.count,
                     hits: hits, falseAlarms: fa, hours: posteriors.seconds / 3600)
    }

    /// The lowest FRR among `points` with at most `faPerHour` false alarms per hour.
    public static func frr(at faPerHour: Double, _ points: [Point]) -> Point? {
        points.filter { $0.falseAlarmsPerHour <= faPerHour }.min { $0.falseRejectRate < $1.falseRejectRate }
    }

    /// A DET curve (FRR against FA/h, log x axis) as a standalone SVG.
    public static func detSVG(_ points: [Point], title: String) -> String {
        let w = 640.0, h = 420.0, l = 70.0, r = 20.0, t = 40.0, b = 60.0
        let xmin = -1.0, xmax = 3.0   // log10 FA/h: 0.1 … 1000
        func x(_ fa: Double) -> Double { l + (log10(max(fa, 0.1)) - xmin) / (xmax - xmin) * (w - l - r) }
        func y(_ frr: Double) -> Double { t + (1 - frr) * (h - t - b) }
        var s = "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(Int(w))\" height=\"\(Int(h))\" font-family=\"sans-serif\" font-size=\"12\">\n"
        s += "<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n"
        s += "<text x=\"\(w / 2)\" y=\"22\" text-anchor=\"middle\" font-size=\"14\">\(title)</text>\n"
        for e in -1...3 {
            let xv = x(pow(10, Double(e)))
            s += "<line x1=\"\(xv)\" y1=\"\(t)\" x2=\"\(xv)\" y2=\"\(h - b)\" stroke=\"#ddd\"/>\n"
            s += "<text x=\"\(xv)\" y=\"\(h - b + 16)\" text-anchor=\"middle\">\(e < 0 ? "0.1" : String(Int(pow(10, Double(e)))))</text>\n"
        }
        for f in stride(from: 0, through: 100, by: 20) {
            let yv = y(Double(f) / 100)
            s += "<line x1=\"\(l)\" y1=\"\(yv)\" x2=\"\(w - r)\" y2=\"\(yv)\" stroke=\"#ddd\"/>\n"
            s += "<text x=\"\(l - 6)\" y=\"\(yv + 4)\" text-anchor=\"end\">\(f) %</text>\n"
        }
        s += "<text x=\"\((l + w - r) / 2)\" y=\"\(h - 20)\" text-anchor=\"middle\">false alarms per hour (log scale; 0 plotted at 0.1)</text>\n"
        s += "<text x=\"18\" y=\"\((t + h - b) / 2)\" text-anchor=\"middle\" transform=\"rotate(-90 18 \((t + h - b) / 2))\">false reject rate</text>\n"
        let pts = points.sorted { $0.falseAlarmsPerHour < $1.falseAlarmsPerHour }
        s += "<polyline fill=\"none\" stroke=\"#1f77b4\" stroke-width=\"2\" points=\"" + pts.map { "\(x($0.falseAlarmsPerHour)),\(y($0.falseRejectRate))" }.joined(separator: " ") + "\"/>\n"
        for p in pts {
            s += "<circle cx=\"\(x(p.falseAlarmsPerHour))\" cy=\"\(y(p.falseRejectRate))\" r=\"3\" fill=\"#1f77b4\"/>\n"
            s += "<text x=\"\(x(p.falseAlarmsPerHour) + 5)\" y=\"\(y(p.falseRejectRate) - 5)\" font-size=\"10\" fill=\"#555\">\(String(format: "%.2f", p.threshold))</text>\n"
        }
        return s + "</svg>\n"
    }
}
