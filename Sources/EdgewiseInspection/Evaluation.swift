import EdgewiseCore
import EdgewiseDevices
import Foundation

/// One row of a `splits.csv` (the magnetic-tile layout: `file,mask,class,group,split,width,height`,
/// paths relative to the CSV's folder).
public struct SplitEntry: Sendable, Equatable {
    public var file: String
    public var mask: String
    public var label: String
    public var group: String
    public var split: String
    /// `MT_Free` and `good` are the good classes.
    public var isGood: Bool { label == "MT_Free" || label == "good" }

    /// Reads `directory/splits.csv`.
    public static func read(directory: String) throws -> [SplitEntry] {
        let path = directory + "/splits.csv"
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
            throw InspectionError.cannotRead(file: path, reason: "no such file (expected the magnetic-tile layout with splits.csv)")
        }
        var out: [SplitEntry] = []
        for (n, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            if n == 0 || line.isEmpty { continue }
            let f = line.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
            guard f.count >= 5 else { throw InspectionError.malformedSplits(file: path, line: n + 1, reason: "expected 7 columns, got \(f.count)") }
            guard ["train", "val", "test"].contains(f[4]) else {
                throw InspectionError.malformedSplits(file: path, line: n + 1, reason: "unknown split \(f[4])")
            }
            out.append(SplitEntry(file: f[0], mask: f[1], label: f[2], group: f[3], split: f[4]))
        }
        return out
    }
}

/// Area under the ROC curve and the curve itself.
public enum ROC {
    /// AUROC by the Mann–Whitney statistic (ties count one half); NaN without both classes.
    public static func auroc(positives: [Float], negatives: [Float]) -> Double {
        guard !positives.isEmpty, !negatives.isEmpty else { return .nan }
        let all = (positives.map { ($0, true) } + negatives.map { ($0, false) }).sorted { $0.0 < $1.0 }
        var rankSum = 0.0
        var i = 0
        while i < all.count {
            var j = i
            while j + 1 < all.count && all[j + 1].0 == all[i].0 { j += 1 }
            let rank = Double(i + j) / 2 + 1
            for k in i...j where all[k].1 { rankSum += rank }
            i = j + 1
        }
        let p = Double(positives.count), n = Double(negatives.count)
        return (rankSum - p * (p + 1) / 2) / (p * n)
    }

    /// (false-positive rate, true-positive rate) points, thresholds from high to low.
    public static func curve(positives: [Float], negatives: [Float]) -> [(Double, Double)] {
        let all = (positives.map { ($0, true) } + negatives.map { ($0, false) }).sorted { $0.0 > $1.0 }
        var tp = 0.0, fp = 0.0
        var pts: [(Double, Double)] = [(0, 0)]
        let p = Double(max(positives.count, 1)), n = Double(max(negatives.count, 1))
        for (i, e) in all.enumerated() {
            if e.1 { tp += 1 } else { fp += 1 }
            if i + 1 == all.count || all[i + 1].0 != e.0 { pts.append((fp / n, tp / p)) }
        }
        return pts
    }

    /// A histogram-based AUROC for millions of pixels: scores binned on [0, `range`) (`bins` bins,
    /// overflow in the last); ties within a bin count one half.
    public struct PixelAccumulator: Sendable {
        public let bins: Int
        public let range: Float
        public private(set) var positive: [Double]
        public private(set) var negative: [Double]
        public init(bins: Int = 8192, range: Float = 8) {
            self.bins = bins
            self.range = range
            positive = [Double](repeating: 0, count: bins)
            negative = positive
        }
        public mutating func add(_ score: Float, defect: Bool) {
            let b = min(bins - 1, max(0, Int(score / range * Float(bins))))
            if defect { positive[b] += 1 } else { negative[b] += 1 }
        }
        public mutating func merge(_ o: PixelAccumulator) {
            for i in 0..<bins { positive[i] += o.positive[i]; negative[i] += o.negative[i] }
        }
        public var auroc: Double {
            let p = positive.reduce(0, +), n = negative.reduce(0, +)
            guard p > 0, n > 0 else { return .nan }
            var below = 0.0, area = 0.0
            for i in 0..<bins {
                area += positive[i] * (below + negative[i] / 2)
                below += negative[i]
            }
            return area / (p * n)
        }
    }
}

/// What `inspect eval` measures. Scores are multiples of the exit's threshold.
public struct EvaluationReport: Codable, Sendable {
    public struct ClassFigures: Codable, Sendable {
        public var label: String
        public var images: Int
        public var groups: Int
        public var imageAUROC: Double
        public var pixelAUROC: Double
        /// Share of this class's images the adaptive mode passed as good (missed defects).
        public var escapeRate: Double
    }
    public var split: String
    public var images: Int
    public var goodImages: Int
    public var defectImages: Int
    public var groups: Int
    /// Image AUROC per mode (fine = both stages always; coarse = first stage only; adaptive = the exit rule).
    public var imageAUROC: [String: Double]
    /// 95 % group-bootstrap interval of the fine image AUROC (groups resampled with replacement).
    public var imageAUROCInterval: [Double]
    public var pixelAUROC: Double
    public var pixelAUROCInterval: [Double]
    public var classes: [ClassFigures]
    /// At the enrolled threshold, adaptive mode: good parts rejected, defective parts passed.
    public var falseRejectRate: Double
    public var escapeRate: Double
    /// Adaptive mode: frames that stopped at the coarse exit, and operations saved vs. always fine.
    public var earlyExitShare: Double
    public var operationsSaved: Double
    public var operationsPerFrame: [String: Int]
    /// Mean milliseconds per frame per mode (one core; decode excluded).
    public var millisecondsPerFrame: [String: Double]
    public var threshold: [String: Float]
    public var trainImages: Int
}

/// Runs a model over one split of a `splits.csv` dataset.
public enum Evaluation {
    public struct Sample: Sendable {
        public var entry: SplitEntry
                public var fine: Float = 0
        public var coarse: Float = 0
        public var adaptive: Float = 0
        public var adaptiveExit = InspectionResult.Exit.fine
        public var adaptiveOps = 0
    }

    /// Evaluates; `progress(done, total)`. Also returns the per-image samples (for ROC curves).
    public static func run(model: InspectionModel, directory: String, entries: [SplitEntry], split: String,
                           progress: (Int, Int) -> Void = { _, _ in }) throws -> (EvaluationReport, [Sample]) {
        let chosen = entries.filter { $0.split == split }
        guard !chosen.isEmpty else { throw InspectionError.noImages(directory: directory + " (split \(split))") }
        let inspector = try Inspector(model: model)
        var samples: [Sample] = []
        var pixels: [String: ROC.PixelAccumulator] = [:]
        var goodPixels = ROC.PixelAccumulator()
        var image = GreyImage(width: 0, height: 0)
        var mask = GreyImage(width: 0, height: 0)
        var times: [String: Double] = ["fine": 0, "coarse": 0, "adaptive": 0]
        let s = model.header.inputSize
        var full = [Float]()
        for (n, e) in chosen.enumerated() {
            try ImageFile.read(directory + "/" + e.file, into: &image)
            var sm = Sample(entry: e)
            var t0 = ContinuousClock.now
            let c = inspector.inspect(image, mode: .coarse)
            times["coarse"]! += seconds(ContinuousClock.now - t0)
            sm.coarse = c.score
            t0 = ContinuousClock.now
            let a = inspector.inspect(image, mode: .adaptive)
            times["adaptive"]! += seconds(ContinuousClock.now - t0)
            sm.adaptive = a.score
            sm.adaptiveExit = a.exit
            sm.adaptiveOps = a.operations
            t0 = ContinuousClock.now
            let f = inspector.inspect(image, mode: .fine)
            times["fine"]! += seconds(ContinuousClock.now - t0)
            sm.fine = f.score
            // Pixel scores: the fine map upsampled to the image, against the mask binarised at 128.
            if e.isGood || !e.mask.isEmpty {
                if !e.mask.isEmpty { try ImageFile.read(directory + "/" + e.mask, into: &mask) } else { mask = GreyImage(width: image.width, height: image.height) }
                if mask.width == image.width && mask.height == image.height {
                    if full.count < image.width * image.height { full = [Float](repeating: 0, count: image.width * image.height) }
                    full.withUnsafeMutableBufferPointer {
                        ImageOps.resizeBilinear(inspector.map, width: s, height: s, into: $0.baseAddress!, width: image.width, height: image.height)
                    }
                    var acc = ROC.PixelAccumulator()
                    for i in 0..<(image.width * image.height) { acc.add(full[i], defect: mask.pixels[i] >= 128) }
                    if e.isGood { goodPixels.merge(acc) } else { pixels[e.label, default: ROC.PixelAccumulator()].merge(acc) }
                }
            }
            samples.append(sm)
            progress(n + 1, chosen.count)
        }
        let good = samples.filter { $0.entry.isGood }, bad = samples.filter { !$0.entry.isGood }
        let labels = Set(bad.map(\.entry.label)).sorted()
        var allPixels = goodPixels
        var classes: [EvaluationReport.ClassFigures] = []
        for l in labels {
            let cls = bad.filter { $0.entry.label == l }
            var acc = goodPixels
            if let p = pixels[l] { acc.merge(p); allPixels.merge(p) }
            classes.append(.init(label: l, images: cls.count, groups: Set(cls.map(\.entry.group)).count,
                                 imageAUROC: ROC.auroc(positives: cls.map(\.fine), negatives: good.map(\.fine)),
                                 pixelAUROC: acc.auroc,
                                 escapeRate: Double(cls.filter { $0.adaptive < 1 }.count) / Double(cls.count)))
        }
        let interval = bootstrap(samples, reps: 1000, seed: 11)
        let pixelInterval = [Double.nan, .nan]
        let n = Double(samples.count)
        let fullOps = inspector.fullOperations
        let meanOps = samples.map { Double($0.adaptiveOps) }.reduce(0, +) / n
        let report = EvaluationReport(
            split: split, images: samples.count, goodImages: good.count, defectImages: bad.count,
            groups: Set(samples.map(\.entry.group)).count,
            imageAUROC: ["fine": ROC.auroc(positives: bad.map(\.fine), negatives: good.map(\.fine)),
                         "coarse": ROC.auroc(positives: bad.map(\.coarse), negatives: good.map(\.coarse)),
                         "adaptive": ROC.auroc(positives: bad.map(\.adaptive), negatives: good.map(\.adaptive))],
            imageAUROCInterval: interval, pixelAUROC: allPixels.auroc, pixelAUROCInterval: pixelInterval, classes: classes,
            falseRejectRate: good.isEmpty ? .nan : Double(good.filter { $0.adaptive >= 1 }.count) / Double(good.count),
            escapeRate: bad.isEmpty ? .nan : Double(bad.filter { $0.adaptive < 1 }.count) / Double(bad.count),
            earlyExitShare: Double(samples.filter { $0.adaptiveExit == .coarse }.count) / n,
            operationsSaved: 1 - meanOps / Double(fullOps),
            operationsPerFrame: ["fine": fullOps, "coarse": inspector.coarseOperations, "adaptive": Int(meanOps)],
            millisecondsPerFrame: times.mapValues { 1000 * $0 / n },
            threshold: ["coarse": model.header.coarseThreshold, "fine": model.header.fineThreshold],
            trainImages: model.header.trainImages)
        return (report, samples)
    }

    static func seconds(_ d: Duration) -> Double {
        Double(d.components.seconds) + Double(d.components.attoseconds) * 1e-18
    }

    /// 95 % interval of the fine image AUROC when whole groups (physical regions) are resampled.
    static func bootstrap(_ samples: [Sample], reps: Int, seed: UInt64) -> [Double] {
        // Groups in name order, so the resampling (and the interval) is the same on every run.
        let goodGroups = Dictionary(grouping: samples.filter { $0.entry.isGood }, by: \.entry.group).sorted { $0.key < $1.key }.map { $0.value.map(\.fine) }
        let badGroups = Dictionary(grouping: samples.filter { !$0.entry.isGood }, by: \.entry.group).sorted { $0.key < $1.key }.map { $0.value.map(\.fine) }
        guard !goodGroups.isEmpty, !badGroups.isEmpty else { return [.nan, .nan] }
        var rng = SeededGenerator(seed: seed)
        var values: [Double] = []
        for _ in 0..<reps {
            var pos: [Float] = [], neg: [Float] = []
            for _ in 0..<badGroups.count { pos += badGroups[Int(rng.next() % UInt64(badGroups.count))] }
            for _ in 0..<goodGroups.count { neg += goodGroups[Int(rng.next() % UInt64(goodGroups.count))] }
            values.append(ROC.auroc(positives: pos, negatives: neg))
        }
        values.sort()
        return [values[Int(0.025 * Double(reps))], values[Int(0.975 * Double(reps)) - 1]]
    }

    /// An SVG with one ROC curve per entry (`name`, points).
    public static func rocSVG(_ curves: [(String, [(Double, Double)])]) -> String {
        let colours = ["#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2"]
        var svg = """
        <svg xmlns="http://www.w3.org/2000/svg" width="460" height="420" font-family="sans-serif" font-size="12">
        <rect x="40" y="10" width="360" height="360" fill="none" stroke="#333"/>
        <line x1="40" y1="370" x2="400" y2="10" stroke="#bbb" stroke-dasharray="4"/>
        <text x="180" y="400">false-positive rate</text>
        <text x="12" y="200" transform="rotate(-90 12 200)">true-positive rate</text>

        """
        for (i, (name, pts)) in curves.enumerated() {
            let c = colours[i % colours.count]
            let path = pts.map { String(format: "%.1f,%.1f", 40 + 360 * $0.0, 370 - 360 * $0.1) }.joined(separator: " ")
            svg += "<polyline fill=\"none\" stroke=\"\(c)\" stroke-width=\"2\" points=\"\(path)\"/>\n"
            svg += "<text x=\"250\" y=\"\(300 + 14 * i - 14 * max(0, curves.count - 5))\" fill=\"\(c)\">\(name)</text>\n"
        }
        return svg + "</svg>\n"
    }
}
