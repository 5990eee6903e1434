import Foundation

/// An SVG strip of an ECG span with the beats labelled (class letter above each R peak, colour by class).
public enum StripChart {
    public static func svg(samples: [Float], rate: Double, start: Double, seconds: Double, beats: [ReplayBeat], title: String) -> String {
        let a = max(0, Int(start * rate)), b = min(samples.count, a + Int(seconds * rate))
        guard b > a + 1 else { return "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"10\" height=\"10\"/>" }
        let w = 1200.0, h = 260.0, top = 40.0, bottom = 20.0
        let span = samples[a..<b]
        var lo = Double(span.min()!), hi = Double(span.max()!)
        if hi - lo < 1e-6 { hi = lo + 1 }
        lo -= 0.1 * (hi - lo)
        func x(_ i: Int) -> Double { Double(i - a) / Double(b - a - 1) * w }
        func y(_ v: Float) -> Double { top + (1 - (Double(v) - lo) / (hi - lo)) * (h - top - bottom) }
        var s = "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(Int(w))\" height=\"\(Int(h))\" viewBox=\"0 0 \(Int(w)) \(Int(h))\">\n"
        s += "<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n"
        // 0.2 s grid
        var t = (start / 0.2).rounded(.up) * 0.2
        while t < start + seconds {
            let gx = x(Int(t * rate))
            s += "<line x1=\"\(f(gx))\" y1=\"\(Int(top))\" x2=\"\(f(gx))\" y2=\"\(Int(h - bottom))\" stroke=\"#f3c0c0\" stroke-width=\"\(Int((t / 0.2).rounded()) % 5 == 0 ? 1 : 0.4)\"/>\n"
            t += 0.2
        }
        let step = max(1, (b - a) / 2400)
        s += "<polyline fill=\"none\" stroke=\"black\" stroke-width=\"1\" points=\""
        for i in stride(from: a, to: b, by: step) { s += "\(f(x(i))),\(f(y(samples[i]))) " }
        s += "\"/>\n"
        let colour = ["N": "#2a7", "S": "#d80", "V": "#d22", "F": "#83c", "Q": "#555", "?": "#555"]
        for beat in beats where beat.sample >= a && beat.sample < b {
            let bx = x(beat.sample)
            s += "<line x1=\"\(f(bx))\" y1=\"\(Int(top) - 4)\" x2=\"\(f(bx))\" y2=\"\(Int(h - bottom))\" stroke=\"\(colour[beat.class] ?? "#555")\" stroke-dasharray=\"2,3\" stroke-width=\"0.8\"/>\n"
            s += "<text x=\"\(f(bx))\" y=\"\(Int(top) - 8)\" font-family=\"sans-serif\" font-size=\"13\" text-anchor=\"middle\" fill=\"\(colour[beat.class] ?? "#555")\">\(beat.class)</text>\n"
        }
        s += "<text x=\"6\" y=\"16\" font-family=\"sans-serif\" font-size=\"13\">\(escape(title)) — \(f(start)) s to \(f(start + seconds)) s (grid 0.2 s)</text>\n</svg>\n"
        return s
    }

    private static func f(_ v: Double) -> String { String(format: "%.1f", v) }
    private static func escape(_ s: String) -> String { s.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;") }
}
