import Foundation

/// Small SVG charts for `edgewise calibrate` and `edgewise policy simulate` (self-contained files, no
/// scripts; the training learning curve has its own writer in EdgewiseTrain).
public enum PolicyPlots {
    /// A series of (x, y) points drawn as a line, markers, or both.
    public struct Series {
        public var name: String
        public var points: [(x: Double, y: Double)]
        public var color: String
        public var line: Bool
        public var markers: Bool
        public init(name: String, points: [(x: Double, y: Double)], color: String, line: Bool = true, markers: Bool = true) {
            self.name = name; self.points = points; self.color = color; self.line = line; self.markers = markers
        }
    }

    static let palette = ["#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#17becf", "#7f7f7f"]

    /// Accuracy (%) vs expected MACs (% of the final exit's): our operating points, the shared entropy
    /// threshold curve, each fixed exit, and a second panel with the fraction of inputs leaving at each
    /// exit per operating point.
    public static func accuracyVersusMACs(title: String, calibration: PolicyCalibration, points: [OperatingPoint], branchy: [OperatingPoint],
                                          fixed: [(name: String, accuracy: Double, macFraction: Double)]) -> String {
        var series: [Series] = []
        series.append(Series(name: "BranchyNet: one shared entropy threshold", points: branchy.map { ($0.expectedMACFraction * 100, $0.accuracy * 100) }
            .sorted { $0.0 < $1.0 }, color: palette[1], markers: false))
        series.append(Series(name: "per-exit thresholds (\(calibration.measure.rawValue)), budgets \(points.map { format($0.budgetPoints, $0.budgetPoints < 1 ? 1 : 0) }.joined(separator: "/")) pt",
                             points: points.map { ($0.expectedMACFraction * 100, $0.accuracy * 100) }, color: palette[0]))
        series.append(Series(name: "each exit alone", points: fixed.map { ($0.macFraction * 100, $0.accuracy * 100) }, color: palette[2], line: false))
        var svg = SVG(width: 760, height: 720)
        svg.text(380, 24, title, size: 15, anchor: "middle", bold: true)
        svg.panel(x: 70, y: 50, w: 640, h: 360, series: series, xLabel: "expected MACs (% of the final exit)", yLabel: "accuracy (%)",
                  labels: fixed.map { ($0.macFraction * 100, $0.accuracy * 100, $0.name) } + points.map { ($0.expectedMACFraction * 100, $0.accuracy * 100, "\(format($0.budgetPoints, $0.budgetPoints < 1 ? 1 : 0)) pt") })
        // Exit fractions as stacked bars per operating point.
        let y0 = 500.0, h = 150.0, barW = 640.0 / Double(max(1, points.count)) * 0.6
        svg.text(70, y0 - 14, "fraction of inputs leaving at each exit, per operating point", size: 12)
        for (j, p) in points.enumerated() {
            let x = 70 + 640.0 / Double(points.count) * (Double(j) + 0.2)
            var acc = 0.0
            for (e, r) in p.exitRates.enumerated() {
                svg.rect(x, y0 + h * (1 - acc - r), barW, h * r, fill: palette[(e + 3) % palette.count])
                if r > 0.06 { svg.text(x + barW / 2, y0 + h * (1 - acc - r / 2) + 4, "\(Int((r * 100).rounded())) %", size: 10, anchor: "middle", color: "white") }
                acc += r
            }
            svg.text(x + barW / 2, y0 + h + 16, "\(format(p.budgetPoints, p.budgetPoints < 1 ? 1 : 0)) pt", size: 11, anchor: "middle")
        }
        for (e, name) in calibration.exitNames.enumerated() {
            svg.rect(70 + Double(e) * 170, y0 + h + 30, 12, 12, fill: palette[(e + 3) % palette.count])
            svg.text(88 + Double(e) * 170, y0 + h + 40, name, size: 11)
        }
        return svg.render()
    }

    /// One row of the simulation timeline.
    public struct TimelineRow {
        public var time: Double
        public var battery: Double?
        public var psi: Double?
        public var temperature: Double?
        public var mode: PolicyMode
        public var threshold: Float
        public var exitIndex: Int
        public var latencyMilliseconds: Double
        public var deadlineMilliseconds: Double?
        public var runningAccuracy: Double
        public init(time: Double, battery: Double?, psi: Double?, temperature: Double?, mode: PolicyMode, threshold: Float, exitIndex: Int,
                    latencyMilliseconds: Double, deadlineMilliseconds: Double?, runningAccuracy: Double) {
            self.time = time; self.battery = battery; self.psi = psi; self.temperature = temperature; self.mode = mode
            self.threshold = threshold; self.exitIndex = exitIndex; self.latencyMilliseconds = latencyMilliseconds
            self.deadlineMilliseconds = deadlineMilliseconds; self.runningAccuracy = runningAccuracy
        }
    }

    /// Six stacked panels over trace time: device (battery, PSI, temperature), mode, first-exit
    /// threshold, exit taken, latency vs deadline, running accuracy.
    public static func timeline(title: String, rows: [TimelineRow], exitNames: [String]) -> String {
        var svg = SVG(width: 900, height: 1010)
        svg.text(450, 24, title, size: 15, anchor: "middle", bold: true)
        let t = rows.map(\.time)
        func s(_ name: String, _ ys: [Double?], _ color: Int, line: Bool = true, markers: Bool = false) -> Series {
            Series(name: name, points: zip(t, ys).compactMap { x, y in y.map { (x, $0) } }, color: palette[color], line: line, markers: markers)
        }
        let h = 115.0, gap = 45.0
        var y = 50.0
        svg.panel(x: 80, y: y, w: 780, h: h, series: [s("battery %", rows.map(\.battery), 0), s("PSI %", rows.map(\.psi), 1),
                                                       s("temperature °C", rows.map(\.temperature), 3)], xLabel: nil, yLabel: "device")
        y += h + gap
        svg.panel(x: 80, y: y, w: 780, h: h, series: [s("mode (0 performance, 1 balanced, 2 saver)", rows.map { Double($0.mode.severity) }, 4)],
                  xLabel: nil, yLabel: "mode", yRange: (-0.2, 2.2))
        y += h + gap
        svg.panel(x: 80, y: y, w: 780, h: h, series: [s("threshold of \(exitNames.first ?? "exit 0") (inf drawn as 1.05)",
                                                        rows.map { Double($0.threshold.isFinite ? min($0.threshold, 1.05) : 1.05) }, 0)],
                  xLabel: nil, yLabel: "threshold")
        y += h + gap
        svg.panel(x: 80, y: y, w: 780, h: h, series: [s("exit taken (0 = \(exitNames.first ?? "first"), \(exitNames.count - 1) = final)",
                                                        rows.map { Double($0.exitIndex) }, 2, line: false, markers: true)],
                  xLabel: nil, yLabel: "exit", yRange: (-0.3, Double(exitNames.count) - 0.7))
        y += h + gap
        svg.panel(x: 80, y: y, w: 780, h: h, series: [s("latency ms (modelled)", rows.map(\.latencyMilliseconds), 5, line: false, markers: true),
                                                       s("deadline ms", rows.map(\.deadlineMilliseconds), 1)], xLabel: nil, yLabel: "ms")
        y += h + gap
        svg.panel(x: 80, y: y, w: 780, h: h, series: [s("running accuracy %", rows.map { $0.runningAccuracy * 100 }, 0)],
                  xLabel: "trace time (s)", yLabel: "accuracy %")
        return svg.render()
    }
}

/// A minimal SVG builder.
struct SVG {
    let width: Double, height: Double
    private var body: [String] = []
    init(width: Double, height: Double) { self.width = width; self.height = height }

    static func esc(_ s: String) -> String {
        s.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;").replacingOccurrences(of: ">", with: "&gt;")
    }
    mutating func text(_ x: Double, _ y: Double, _ s: String, size: Double = 11, anchor: String = "start", bold: Bool = false, color: String = "#222") {
        body.append(#"<text x="\#(f(x))" y="\#(f(y))" font-size="\#(f(size))" text-anchor="\#(anchor)" fill="\#(color)"\#(bold ? #" font-weight="bold""# : "")>\#(SVG.esc(s))</text>"#)
    }
    mutating func rect(_ x: Double, _ y: Double, _ w: Double, _ h: Double, fill: String, stroke: String? = nil) {
        body.append(#"<rect x="\#(f(x))" y="\#(f(y))" width="\#(f(max(0, w)))" height="\#(f(max(0, h)))" fill="\#(fill)"\#(stroke.map { #" stroke="\#($0)""# } ?? "")/>"#)
    }
    mutating func line(_ x1: Double, _ y1: Double, _ x2: Double, _ y2: Double, color: String = "#ccc", width: Double = 1) {
        body.append(#"<line x1="\#(f(x1))" y1="\#(f(y1))" x2="\#(f(x2))" y2="\#(f(y2))" stroke="\#(color)" stroke-width="\#(f(width))"/>"#)
    }
    func f(_ v: Double) -> String { String(format: "%.1f", v) }

    /// Axes with ticks, the series and a legend under the panel.
    mutating func panel(x: Double, y: Double, w: Double, h: Double, series: [PolicyPlots.Series], xLabel: String?, yLabel: String,
                        yRange: (Double, Double)? = nil, labels: [(Double, Double, String)] = []) {
        let xs = series.flatMap { $0.points.map(\.x) }, ys = series.flatMap { $0.points.map(\.y) }
        guard let x0 = xs.min(), let x1 = xs.max(), let y0r = ys.min(), let y1r = ys.max() else {
            text(x + w / 2, y + h / 2, "no data", anchor: "middle"); return
        }
        let xa = x0 == x1 ? x0 - 1 : x0, xb = x0 == x1 ? x1 + 1 : x1
        var (ya, yb) = yRange ?? (y0r, y1r)
        if ya == yb { ya -= 1; yb += 1 }
        if yRange == nil { let pad = (yb - ya) * 0.08; ya -= pad; yb += pad }
        func px(_ v: Double) -> Double { x + (v - xa) / (xb - xa) * w }
        func py(_ v: Double) -> Double { y + h - (v - ya) / (yb - ya) * h }
        rect(x, y, w, h, fill: "none", stroke: "#888")
        for k in 0...4 {
            let vx = xa + (xb - xa) * Double(k) / 4, vy = ya + (yb - ya) * Double(k) / 4
            line(px(vx), y, px(vx), y + h, color: "#eee"); line(x, py(vy), x + w, py(vy), color: "#eee")
            text(px(vx), y + h + 13, String(format: abs(xb - xa) < 10 ? "%.2f" : "%.0f", vx), size: 10, anchor: "middle")
            text(x - 5, py(vy) + 3, String(format: abs(yb - ya) < 10 ? "%.2f" : "%.0f", vy), size: 10, anchor: "end")
        }
        if let xLabel { text(x + w / 2, y + h + 28, xLabel, size: 11, anchor: "middle") }
        body.append(#"<text x="\#(f(x - 48))" y="\#(f(y + h / 2))" font-size="11" text-anchor="middle" transform="rotate(-90 \#(f(x - 48)) \#(f(y + h / 2)))">\#(SVG.esc(yLabel))</text>"#)
        for s in series {
            if s.line && s.points.count > 1 {
                let d = s.points.map { "\(f(px($0.x))),\(f(py($0.y)))" }.joined(separator: " ")
                body.append(#"<polyline fill="none" stroke="\#(s.color)" stroke-width="1.6" points="\#(d)"/>"#)
            }
            if s.markers { for p in s.points { body.append(#"<circle cx="\#(f(px(p.x)))" cy="\#(f(py(p.y)))" r="2.6" fill="\#(s.color)"/>"#) } }
        }
        for (lx, ly, l) in labels { text(px(lx) + 5, py(ly) - 5, l, size: 10, color: "#444") }
        var lx = x
        let ly = y + h + (xLabel == nil ? 26 : 44)
        for s in series {
            rect(lx, ly - 9, 12, 4, fill: s.color)
            text(lx + 16, ly - 4, s.name, size: 10)
            lx += 24 + Double(s.name.count) * 5.6
        }
    }

    func render() -> String {
        #"<svg xmlns="http://www.w3.org/2000/svg" width="\#(f(width))" height="\#(f(height))" viewBox="0 0 \#(f(width)) \#(f(height))" font-family="sans-serif">"# + "\n"
            + #"<rect width="100%" height="100%" fill="white"/>"# + "\n" + body.joined(separator: "\n") + "\n</svg>\n"
    }
}
