import EdgewiseCore
import Foundation

/// A seeded stand-in for Speech Commands: 1 s, 16 kHz "keyword-like" clips that tests and demos can train on
/// without the real dataset.
///
/// Label layout follows `SpeechCommands.labels`: label 0 (`_silence_`) is coloured background noise only;
/// label 1 (`_unknown_`) says one of 25 other "words"; labels 2… each say one fixed word. A word is 2–3
/// segments, each voiced (a glottal pulse train) or fricative (noise), shaped by three formant resonators that
/// glide from a start to an end frequency. Each clip varies pitch, vocal-tract scale, speed, onset, loudness,
/// formant jitter and background noise, drawn from the generator it is given.
public struct SyntheticKeywords: Sendable {
    /// Number of labels (at least 3).
    public let classCount: Int
    /// Label names: `SpeechCommands.labels` when `classCount == 12`, else `_silence_`, `_unknown_`, `word2`, ….
    public let labelNames: [String]
    /// Sample rate (16000) and clip length (16000 samples).
    public static let sampleRate = 16000, clipLength = 16000

    struct Segment: Sendable {
        var voiced: Bool
        var duration: Double            // seconds
        var f1: (Double, Double), f2: (Double, Double), f3: Double
        var pitchSlope: Double          // relative f0 change across the segment
        var level: Double
    }
    typealias Word = [Segment]
    let words: [Word]                   // one per label; entries 0 and 1 unused
    let unknownWords: [Word]

    /// Builds the word templates for `classCount` labels; `templateSeed` picks the vocabulary.
    public init(classCount: Int = 12, templateSeed: UInt64 = 0x4B57_5359) {
        precondition(classCount >= 3, "SyntheticKeywords needs at least 3 classes (silence, unknown, one word)")
        self.classCount = classCount
        labelNames = classCount == SpeechCommands.labels.count
            ? SpeechCommands.labels : ["_silence_", "_unknown_"] + (2..<classCount).map { "word\($0)" }
        var rng = SeededGenerator(seed: templateSeed)
        words = (0..<classCount).map { _ in Self.randomWord(&rng) }
        unknownWords = (0..<25).map { _ in Self.randomWord(&rng) }
    }

    static func randomWord(_ rng: inout SeededGenerator) -> Word {
        let n = Int.random(in: 2...3, using: &rng)
        return (0..<n).map { i in
            let f1 = Double.random(in: 250...850, using: &rng), f2 = Double.random(in: 850...2400, using: &rng)
            return Segment(voiced: Double.random(in: 0..<1, using: &rng) < (i == 0 ? 0.7 : 0.85),
                           duration: Double.random(in: 0.08...0.2, using: &rng),
                           f1: (f1, min(900, max(220, f1 * Double.random(in: 0.65...1.5, using: &rng)))),
                           f2: (f2, min(2600, max(750, f2 * Double.random(in: 0.65...1.5, using: &rng)))),
                           f3: Double.random(in: 2300...3300, using: &rng),
                           pitchSlope: Double.random(in: -0.3...0.3, using: &rng),
                           level: Double.random(in: 0.5...1, using: &rng))
        }
    }

    /// One clip of `label`, with all variation drawn from `rng`.
    public func clip(label: Int, using rng: inout SeededGenerator) -> [Int16] {
        precondition((0..<classCount).contains(label), "label \(label) out of range 0..<\(classCount)")
        let fs = Double(Self.sampleRate), n = Self.clipLength
        var out = [Double](repeating: 0, count: n)
        let noiseLevel = Double.random(in: 0.0005...0.01, using: &rng)
        if label != SpeechCommands.silenceLabel {
            let word = label == SpeechCommands.unknownLabel ? unknownWords[Int.random(in: 0..<unknownWords.count, using: &rng)] : words[label]
            render(word, into: &out, fs: fs, using: &rng)
        }
        // Background: white noise through a random one-pole low-pass (white … brown-ish).
        let colour = Double.random(in: 0...0.97, using: &rng)
        let silenceGain = label == SpeechCommands.silenceLabel ? Double.random(in: 1...8, using: &rng) : 1
        var lp = 0.0
        for j in 0..<n {
            lp = colour * lp + (1 - colour) * Double.random(in: -1...1, using: &rng)
            out[j] += noiseLevel * silenceGain * lp / max(0.2, (1 - colour).squareRoot())
        }
        return out.map { Int16(max(-32768, min(32767, ($0 * 32768).rounded()))) }
    }

    private func render(_ word: Word, into out: inout [Double], fs: Double, using rng: inout SeededGenerator) {
        let f0 = Double.random(in: 90...250, using: &rng)
        let tract = Double.random(in: 0.92...1.08, using: &rng)
        let speed = Double.random(in: 0.85...1.15, using: &rng)
        let peak = Double.random(in: 0.1...0.7, using: &rng)
        let lengths = word.map { max(1, Int($0.duration * speed * fs)) }
        let total = lengths.reduce(0, +)
        let margin = Int(0.05 * fs)
        let onset = Int.random(in: margin...max(margin, out.count - total - margin), using: &rng)
        var y = [Double](repeating: 0, count: total)
        var m1 = [Double](repeating: 0, count: 3), m2 = m1          // resonator memories y[n-1], y[n-2]
        let bandwidths: [Double] = [80, 110, 160], amps: [Double] = [1, 0.6, 0.3]
        var phase = 0.0, level = 0.0, t = 0
        for (seg, len) in zip(word, lengths) {
            let jitter = (0..<4).map { _ in Double.random(in: 0.96...1.04, using: &rng) }
            var a1 = [Double](repeating: 0, count: 3), a2 = a1, g = a1
            for j in 0..<len {
                let u = Double(j) / Double(len)
                if j % 32 == 0 {
                    let f1: Double = (seg.f1.0 + (seg.f1.1 - seg.f1.0) * u) * jitter[0] * tract
                    let f2: Double = (seg.f2.0 + (seg.f2.1 - seg.f2.0) * u) * jitter[1] * tract
                    let freqs: [Double] = [f1, f2, seg.f3 * jitter[2] * tract]
                    for k in 0..<3 {
                        let r: Double = exp(-Double.pi * bandwidths[k] / fs)
                        let w: Double = 2 * Double.pi * min(freqs[k], 0.45 * fs) / fs
                        a1[k] = 2 * r * cos(w); a2[k] = -r * r; g[k] = 1 - r
                    }
                }
                let src: Double
                if seg.voiced {
                    phase += f0 * (1 + seg.pitchSlope * u) * jitter[3] / fs
                    if phase >= 1 { phase -= 1 }
                    src = phase < 0.3 ? pow(sin(Double.pi * phase / 0.3), 2) - 0.15 : -0.15
                } else {
                    src = Double.random(in: -1...1, using: &rng) * 0.6
                }
                level += 0.004 * (seg.level - level)                      // ~15 ms glide between segment levels
                var v = 0.0
                for k in 0..<3 {
                    let s: Double = a1[k] * m1[k] + a2[k] * m2[k] + g[k] * src
                    m2[k] = m1[k]; m1[k] = s
                    v += amps[k] * s
                }
                let ramp: Double = 0.02 * fs
                let edge: Double = min(1, Double(t) / ramp, Double(total - t) / ramp)
                y[t] = v * level * edge
                t += 1
            }
        }
        let m = y.reduce(0) { max($0, abs($1)) }
        if m > 0 { for j in 0..<total { out[onset + j] += y[j] * peak / m } }
    }

    /// `examplesPerClass` clips of every label, interleaved by label (0, 1, …, 0, 1, …); clip `i` uses a
    /// generator derived from `seed` and `i`, so the set is the same for any `threads`.
    public func make(examplesPerClass: Int, seed: UInt64, threads: Int = defaultThreadCount) -> LabeledAudio {
        let count = examplesPerClass * classCount, length = Self.clipLength
        var flat = [Int16](repeating: 0, count: count * length)
        flat.withUnsafeMutableBufferPointer { dst in
            let dst = UnsafeSendable(dst)
            parallelChunks(count: count, threads: threads) { range in
                for i in range {
                    var rng = exampleGenerator(seed: seed, index: i)
                    let c = clip(label: i % classCount, using: &rng)
                    for j in 0..<length { dst.value[i * length + j] = c[j] }
                }
            }
        }
        var audio = LabeledAudio(clipLength: length, sampleRate: Self.sampleRate, labelNames: labelNames)
        audio.samples = flat
        audio.labels = (0..<count).map { $0 % classCount }
        audio.sources = (0..<count).map { "synthetic:\(labelNames[$0 % classCount])#\($0)" }
        return audio
    }
}
