import EdgewiseSignal
import EdgewiseSignalFiles
import Foundation

/// Heart rate from wrist PPG under motion, TROIKA-style windows (8 s, step 2 s): the two PPG channels
/// averaged and band-passed (0.5–4 Hz), Hann-windowed power spectra of the PPG and of the three
/// accelerometer axes, spectral subtraction of the (normalised) accelerometer spectrum, and tracking:
/// the first window searches 50–150 BPM (recordings start at rest), later windows within ±`trackBPM`
/// of the previous estimate. Parameters were chosen on the 12 training recordings only.
public struct PPGHeartRate: Sendable {
    public var windowSeconds = 8.0, stepSeconds = 2.0
    /// Weight of the accelerometer spectrum subtracted from the PPG spectrum.
    public var motionWeight: Float = 0.6
    /// Search range around the previous estimate (BPM).
    public var trackBPM = 12.0
    public var minBPM = 40.0, maxBPM = 200.0
    public init() {}

    /// One estimate per window (BPM), for windows starting at `k × step`.
    public func estimate(_ rec: SignalRecord) throws -> [Double] {
        let fs = rec.samplingRate
        let ppgIdx = rec.channels.indices.filter { rec.channels[$0].label.hasPrefix("ppg") }
        let accIdx = ["ax", "ay", "az"].compactMap { l in rec.channels.firstIndex { $0.label == l } }
        guard !ppgIdx.isEmpty else { throw SignalFileError.badData(file: rec.name, position: "channels", reason: "no ppg channel (labels ppg, ppg1, ppg2)") }
        func filtered(_ x: [Float]) -> [Float] { var f = FilterChain.bandPass(low: 0.5, high: 4, rate: fs, order: 2); return f.apply(x) }
        let n = rec.length
        var ppg = [Float](repeating: 0, count: n)
        for i in ppgIdx { for t in 0..<n { ppg[t] += rec.channels[i].samples[t] / Float(ppgIdx.count) } }
        ppg = filtered(ppg)
        let acc = accIdx.map { filtered(Array(rec.channels[$0].samples.prefix(n))) }
        let w = Int(windowSeconds * fs), step = Int(stepSeconds * fs)
        guard n >= w else { return [] }
        let size = 4096 * max(1, Int(ceil(Double(w) / 4096)))
        var fft = RealFFT(size: size)
        let hann = (0..<w).map { Float(0.5 - 0.5 * cos(2 * Double.pi * Double($0) / Double(w - 1))) }
        func spectrum(_ x: ArraySlice<Float>) -> [Float] {
            var buf = [Float](repeating: 0, count: size)
            let m = x.reduce(0, +) / Float(x.count)
            for (j, v) in x.enumerated() { buf[j] = (v - m) * hann[j] }
            let (re, im) = fft.forward(buf)
            var p = zip(re, im).map { $0 * $0 + $1 * $1 }
            let mx = p.max() ?? 1
            if mx > 0 { for k in p.indices { p[k] /= mx } }
            return p
        }
        let binHz = fs / Double(size)
        let lo = Int(minBPM / 60 / binHz), hi = min(size / 2, Int(maxBPM / 60 / binHz))
        var out: [Double] = []
        var prev: Double? = nil
        var lostFor = 0
        var start = 0
        while start + w <= n {
            var p = spectrum(ppg[start..<start + w])
            if !acc.isEmpty {
                var a = [Float](repeating: 0, count: p.count)
                for ax in acc { let s = spectrum(ax[start..<start + w]); for k in a.indices { a[k] = max(a[k], s[k]) } }
                for k in p.indices { p[k] = max(0, p[k] - motionWeight * a[k]) }
            }
            // The first windows (the recordings start at rest) search 50–150 BPM; later windows track.
            var a0 = max(lo, Int(50 / 60 / binHz)), a1 = min(hi, Int(150 / 60 / binHz))
            if let prev {
                a0 = max(lo, Int((prev - trackBPM) / 60 / binHz)); a1 = min(hi, Int((prev + trackBPM) / 60 / binHz))
            }
            var best = a0
            for k in a0...max(a0, a1) where p[k] > p[best] { best = k }
            // Re-acquire when a peak outside the tracking range has dominated for 3 windows.
            var wide = lo
            for k in lo...hi where p[k] > p[wide] { wide = k }
            if prev != nil && p[best] < 0.3 * p[wide] { lostFor += 1 } else { lostFor = 0 }
            if lostFor >= 3 { best = wide; lostFor = 0; prev = nil }
            var bpm = Double(best) * binHz * 60
            if p[best] <= 0, let prev { bpm = prev }  // everything explained by motion: hold
            if let prev { bpm = 0.6 * bpm + 0.4 * prev }
            out.append(bpm)
            prev = bpm
            start += step
        }
        return out
    }
}
