import EdgewiseSignal
import Foundation

/// One detected beat with the features the classifier reads.
public struct BeatFeatures: Sendable {
    /// R-peak sample index in the record.
    public var sample: Int
    /// RR intervals in seconds: before and after this beat (the latter known one beat later).
    public var preRR: Double, postRR: Double
    /// Mean of the last 10 RR intervals and of all RR intervals so far (the patient's average).
    public var localRR: Double, averageRR: Double
    /// The classifier input: `window` points × (1 ECG channel + ``BeatExtractor/rrFeatureCount`` RR channels), channels innermost.
    public var input: [Float]
}

/// Streaming, causal beat extraction: QRS detection, a filtered ECG window around each R peak,
/// resampled to 125 Hz (32 points before R, 58 after: 0.72 s), normalised by the patient's running
/// R amplitude, and RR features (pre-RR, post-RR with a one-beat delay, local and patient-average RR,
/// their ratios) written as constant extra channels beside the waveform.
public struct BeatExtractor: Sendable {
    public static let windowPoints = 90, pointsBeforeR = 32, windowRate = 125.0
    public static let rrFeatureCount = 5
    public static var channels: Int { 1 + rrFeatureCount }
    /// Floats per classifier input.
    public static var inputSize: Int { windowPoints * channels }

    public let rate: Double
    private var detector: QRSDetector
    private var filter: FilterChain
    private var ring: [Float]
    private let ringMask: Int
    private var n = 0
    private struct InFlight { var r: Int; var preRR: Int; var postRR: Int?; var window: [Float]? }
    private var queue: [InFlight] = []
    private var lastR: Int? = nil
    private var rrHistory: [Int] = []
    private var rrSum = 0, rrCount = 0
    private var amplitude: Float = 0
    private let before: Double, after: Double

    public init(rate: Double) {
        self.rate = rate
        detector = QRSDetector(rate: rate)
        filter = FilterChain([Biquad.highPass(cutoff: 0.5, rate: rate), Biquad.lowPass(cutoff: min(35, rate * 0.45), rate: rate)])
        let size = 1 << Int(ceil(log2(16 * rate)))
        ring = [Float](repeating: 0, count: size)
        ringMask = size - 1
        before = Double(Self.pointsBeforeR) * rate / Self.windowRate
        after = Double(Self.windowPoints - Self.pointsBeforeR - 1) * rate / Self.windowRate
    }

    /// The detector's reporting delay bound plus the window's length after R, in seconds.
    public var windowAfterSeconds: Double { after / rate }

    /// Adds one sample; returns the beats completed now (each one beat after its own detection).
    public mutating func process(_ x: Float) -> [BeatFeatures] {
        let i = n
        n += 1
        ring[i & ringMask] = Float(filter(Double(x)))
        for r in detector.process(x) { add(r: r) }
        return completeReady(now: i)
    }

    /// Ends the stream: the last beats complete with post-RR = pre-RR.
    public mutating func finish() -> [BeatFeatures] {
        var out: [BeatFeatures] = []
        let tail = Int(rate * 2.5)
        for _ in 0..<tail { out += process(0) }
        for k in queue.indices where queue[k].postRR == nil { queue[k].postRR = queue[k].preRR }
        out += completeReady(now: n - 1, final: true)
        return out
    }

    private mutating func add(r: Int) {
        let pre = lastR.map { r - $0 } ?? Int(0.8 * rate)
        if let last = queue.indices.last, queue[last].postRR == nil { queue[last].postRR = pre }
        lastR = r
        queue.append(InFlight(r: r, preRR: pre, postRR: nil, window: nil))
    }

    private mutating func completeReady(now i: Int, final: Bool = false) -> [BeatFeatures] {
        var out: [BeatFeatures] = []
        for k in queue.indices where queue[k].window == nil {
            let r = queue[k].r
            if Double(i) >= Double(r) + after + 1 || final { queue[k].window = window(at: r, now: i) }
        }
        while let f = queue.first, let post = f.postRR, let w = f.window {
            queue.removeFirst()
            out.append(features(r: f.r, pre: f.preRR, post: post, window: w))
        }
        return out
    }

    private func window(at r: Int, now i: Int) -> [Float] {
        var w = [Float](repeating: 0, count: Self.windowPoints)
        let step = rate / Self.windowRate
        let oldest = max(0, i - ringMask)
        for j in 0..<Self.windowPoints {
            let t = Double(r) - before + Double(j) * step
            let k = Int(t.rounded(.down)), frac = Float(t - Double(k))
            let a = (k >= oldest && k <= i) ? ring[k & ringMask] : 0
            let b = (k + 1 >= oldest && k + 1 <= i) ? ring[(k + 1) & ringMask] : a
            w[j] = a + (b - a) * frac
        }
        return w
    }

    private mutating func features(r: Int, pre: Int, post: Int, window w: [Float]) -> BeatFeatures {
        // RR statistics before this beat's own RR enters them (causal).
        rrHistory.append(pre)
        if rrHistory.count > 10 { rrHistory.removeFirst() }
        if pre < Int(3 * rate) { rrSum += pre; rrCount += 1 }
        let local = Double(rrHistory.reduce(0, +)) / Double(rrHistory.count) / rate
        let avg = rrCount > 0 ? Double(rrSum) / Double(rrCount) / rate : local
        let preS = Double(pre) / rate, postS = Double(post) / rate
        // Amplitude: running R amplitude of the patient (exponential average of the window's peak).
        let mean = w.reduce(0, +) / Float(w.count)
        let c = Self.pointsBeforeR
        var peak: Float = 0
        for j in max(0, c - 6)...min(w.count - 1, c + 6) { peak = max(peak, abs(w[j] - mean)) }
        amplitude = amplitude == 0 ? max(peak, 0.05) : 0.95 * amplitude + 0.05 * min(peak, 4 * amplitude)
        let scale = 1 / max(amplitude, 0.02)
        func clip(_ v: Double) -> Float { Float(min(max(v, 0), 3)) - 1 }
        let rr: [Float] = [clip(preS / avg), clip(postS / avg), clip(preS / local), clip(postS / max(preS, 1e-3)), clip(local / avg)]
        var input = [Float](repeating: 0, count: Self.inputSize)
        let ch = Self.channels
        for j in 0..<Self.windowPoints {
            input[j * ch] = (w[j] - mean) * scale
            for f in 0..<Self.rrFeatureCount { input[j * ch + 1 + f] = rr[f] }
        }
        return BeatFeatures(sample: r, preRR: preS, postRR: postS, localRR: local, averageRR: avg, input: input)
    }

    /// Every beat of a whole signal.
    public static func extract(_ x: [Float], rate: Double) -> [BeatFeatures] {
        var e = BeatExtractor(rate: rate)
        var out: [BeatFeatures] = []
        for v in x { out += e.process(v) }
        out += e.finish()
        return out
    }
}
