import Foundation

/// A streaming, causal QRS detector of the Pan–Tompkins family (the Hamilton–Tompkins rules):
/// band-pass 5–15 Hz → five-point derivative → |·| → 80 ms moving-window integral; peaks of the
/// integral are QRS candidates, kept when above an adaptive threshold between the running noise and
/// QRS peak levels (medians of the last 8), with a 200 ms refractory hold, T-wave rejection by slope
/// within 360 ms, and a search-back for a missed beat after 1.5 average RR intervals.
///
/// Feed samples with ``process(_:)``; it returns the beats decided at that sample (R-peak sample
/// indices, located on the band-passed signal). A beat is decided at most ``maximumDelay`` seconds
/// after its R peak. Works at any sampling rate; allocates only in `init`.
public struct QRSDetector: Sendable {
    public let rate: Double
    private var bandPass: FilterChain
    private let derivStep: Int, mwiLength: Int, hold: Int, refractory: Int, tWaveWindow: Int, searchWindow: Int, learning: Int
    /// Ring buffers (length `ring`) of the band-passed signal, |derivative| and integral.
    private var bp: [Float], slope: [Float], mwi: [Float]
    private let ring: Int
    private var n = 0
    private var mwiSum: Double = 0
    // Candidate peak being tracked.
    private var candidate = -1
    private var candidateValue: Float = 0
    private var prev: Float = 0, prevprev: Float = 0
    // Adaptive levels.
    private var qrsPeaks: [Float] = [], noisePeaks: [Float] = []
    private var rrs: [Int] = []
    private var lastQRS = -1_000_000_000, lastQRSSlope: Float = 0
    /// Peaks since the last QRS that were below threshold (for search-back): (index, value, slope).
    private var pending: [(Int, Float, Float)] = []
    private var learnMax: Float = 0
    private var learned = false
    private var learnPeaks: [(Int, Float)] = []
    /// Fraction of the way from the noise level to the QRS level where the threshold sits.
    public var thresholdFraction: Float = 0.3125

    /// Group delay of the band-pass + derivative at the QRS band, in samples (used to place R peaks).
    private let filterDelay: Int

    public init(rate: Double) {
        self.rate = rate
        bandPass = FilterChain.bandPass(low: 5, high: 15, rate: rate)
        derivStep = max(1, Int((rate / 200).rounded()))
        mwiLength = max(1, Int((0.08 * rate).rounded()))
        hold = Int(0.2 * rate)
        refractory = Int(0.2 * rate)
        tWaveWindow = Int(0.36 * rate)
        searchWindow = Int(0.12 * rate)
        learning = Int(2 * rate)
        filterDelay = Int((0.012 * rate).rounded()) + 2 * derivStep
        ring = 1 << Int(ceil(log2(Double(Int(4 * rate) + 64))))
        bp = [Float](repeating: 0, count: ring); slope = bp; mwi = bp
    }

    /// The longest time from an R peak to the sample at which it is reported, in seconds.
    public var maximumDelay: Double { Double(hold + mwiLength + filterDelay + searchWindow) / rate }

    /// Adds one sample; returns the R peaks (sample indices) decided now, in order.
    public mutating func process(_ x: Float) -> [Int] {
        let i = n
        n += 1
        let m = ring - 1
        let y = Float(bandPass(Double(x)))
        bp[i & m] = y
        let d = i >= 4 * derivStep ? (2 * y + bp[(i - derivStep) & m] - bp[(i - 3 * derivStep) & m] - 2 * bp[(i - 4 * derivStep) & m]) : 0
        slope[i & m] = abs(d)
        mwiSum += Double(abs(d))
        if i >= mwiLength { mwiSum -= Double(slope[(i - mwiLength) & m]) }
        let v = Float(max(0, mwiSum) / Double(mwiLength))
        mwi[i & m] = v
        var out: [Int] = []
        // Local maxima of the integral are candidates; a candidate is final once `hold` samples pass
        // without a larger one (smaller peaks within `hold` of a larger one are ignored).
        if prev > prevprev && prev >= v && i >= 1 {
            if candidate < 0 || prev > candidateValue { candidate = i - 1; candidateValue = prev }
        }
        prevprev = prev; prev = v
        if candidate >= 0 && i - candidate >= hold {
            let p = candidate, pv = candidateValue
            candidate = -1; candidateValue = 0
            if let r = decide(peak: p, value: pv, now: i) { out.append(contentsOf: r) }
        }
        // Search back for a missed beat.
        if learned, rrs.count >= 2, lastQRS >= 0 {
            let avg = rrs.reduce(0, +) / rrs.count
            if i - lastQRS > avg * 3 / 2 + hold, let best = pending.filter({ $0.0 - lastQRS > tWaveWindow && i - $0.0 < ring / 2 }).max(by: { $0.1 < $1.1 }),
               best.1 > threshold * 0.5 {
                out.append(accept(peak: best.0, value: best.1, slope: best.2))
                pending.removeAll { $0.0 <= best.0 }
            }
        }
        return out
    }

    private var threshold: Float {
        let q = median(qrsPeaks), nz = median(noisePeaks)
        return nz + thresholdFraction * (q - nz)
    }

    private func median(_ a: [Float]) -> Float {
        guard !a.isEmpty else { return 0 }
        let s = a.sorted()
        return s.count % 2 == 1 ? s[s.count / 2] : (s[s.count / 2 - 1] + s[s.count / 2]) / 2
    }

    private func maxSlope(around p: Int) -> Float {
        var s: Float = 0
        let lo = max(0, p - mwiLength, n - ring + 1)
        guard lo <= p else { return 0 }
        for k in lo...p { s = max(s, slope[k & (ring - 1)]) }
        return s
    }

    private mutating func decide(peak p: Int, value: Float, now: Int) -> [Int]? {
        if !learned {
            learnPeaks.append((p, value))
            learnMax = max(learnMax, value)
            guard now >= learning else { return nil }
            learned = true
            qrsPeaks = [learnMax * 0.6]; noisePeaks = [learnMax * 0.05]
            var out: [Int] = []
            for (lp, lv) in learnPeaks where lp > now - ring + 2 * hold {
                if let r = classify(peak: lp, value: lv) { out.append(r) }
            }
            learnPeaks = []
            return out
        }
        return classify(peak: p, value: value).map { [$0] }
    }

    private mutating func classify(peak p: Int, value: Float) -> Int? {
        let s = maxSlope(around: p)
        if p - lastQRS < refractory { return nil }
        if value > threshold {
            if p - lastQRS < tWaveWindow && s < 0.5 * lastQRSSlope {
                push(&noisePeaks, value)
                return nil
            }
            return accept(peak: p, value: value, slope: s)
        }
        push(&noisePeaks, value)
        pending.append((p, value, s))
        if pending.count > 32 { pending.removeFirst() }
        return nil
    }

    private mutating func accept(peak p: Int, value: Float, slope s: Float) -> Int {
        push(&qrsPeaks, value)
        if lastQRS >= 0 {
            let rr = p - lastQRS
            if rr < Int(3 * rate) { rrs.append(rr); if rrs.count > 8 { rrs.removeFirst() } }
        }
        lastQRS = p
        lastQRSSlope = s
        pending.removeAll()
        return locateR(p)
    }

    private func push(_ a: inout [Float], _ v: Float) { a.append(v); if a.count > 8 { a.removeFirst() } }

    /// The R peak: the largest |band-passed| value in the integral's rise before `p`, moved back by the filter delay.
    private func locateR(_ p: Int) -> Int {
        var best = p, bv: Float = -1
        let lo = max(0, p - mwiLength - searchWindow, n - ring + 1)
        guard lo <= p else { return max(0, p - filterDelay) }
        for k in lo...p { let a = abs(bp[k & (ring - 1)]); if a > bv { bv = a; best = k } }
        return max(0, best - filterDelay)
    }

    /// Detects every R peak of a whole signal (the streaming detector run to the end).
    public static func detect(_ x: [Float], rate: Double) -> [Int] { detectWithDelays(x, rate: rate).peaks }

    /// Detects every R peak and, for each, how many samples after it the detector reported it.
    public static func detectWithDelays(_ x: [Float], rate: Double) -> (peaks: [Int], delays: [Int]) {
        var d = QRSDetector(rate: rate)
        var out: [(Int, Int)] = []
        out.reserveCapacity(x.count / Int(rate / 4))
        for (i, v) in x.enumerated() { for r in d.process(v) { out.append((r, i - r)) } }
        let tail = Int(rate * 2)
        for i in x.count..<x.count + tail { for r in d.process(0) { out.append((r, i - r)) } }
        out.sort { $0.0 < $1.0 }
        return (out.map(\.0), out.map(\.1))
    }
}
