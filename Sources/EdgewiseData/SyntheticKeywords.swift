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

    /// Vowel targets (F1, F2) in Hz: i ɪ e æ ɑ ɔ ʊ u ʌ ɝ (adult averages).
    static let vowels: [(Double, Double)] = [(270, 2290), (390, 1990), (530, 1840), (660, 1720), (730, 1090),
                                             (570, 840), (440, 1020), (300, 870), (640, 1190), (490, 1350)]
    /// Fricative resonances (F1, F2, F3) in Hz: s-, sh- and f-like.
    static let fricatives: [(Double, Double, Double)] = [(2600, 3300, 3900), (1800, 2500, 3200), (1300, 2300, 3500)]

    /// Builds the word templates for `classCount` labels; `templateSeed` picks the vocabulary.
    public init(classCount: Int = 12, templateSeed: UInt64 = 0x4B57_5359) {
        precondition(classCount >= 3, "SyntheticKeywords needs at least 3 classes (silence, unknown, one word)")
        self.classCount = classCount
        labelNames = classCount == SpeechCommands.labels.count
            ? SpeechCommands.labels : ["_silence_", "_unknown_"] + (2..<classCount).map { "word\($0)" }
        var rng = SeededGenerator(seed: templateSeed)
        let leads = Array(0..<Self.vowels.count).shuffled(using: &rng)
        words = (0..<classCount).map { c in c < 2 ? [] : Self.randomWord(&rng, lead: leads[(c - 2) % leads.count]) }
        unknownWords = (0..<25).map { _ in Self.randomWord(&rng, lead: Int.random(in: 0..<Self.vowels.count, using: &rng)) }
    }

    static func randomWord(_ rng: inout SeededGenerator, lead: Int) -> Word {
        func vowel(_ from: Int, _ rng: inout SeededGenerator) -> (Segment, Int) {
            var to = Int.random(in: 0..<vowels.count, using: &rng)
            if to == from { to = (to + 3) % vowels.count }
            let (a, b) = (vowels[from], vowels[to])
            return (Segment(voiced: true, duration: Double.random(in: 0.12...0.24, using: &rng),
                            f1: (a.0, b.0), f2: (a.1, b.1), f3: Double.random(in: 2400...3100, using: &rng),
                            pitchSlope: Double.random(in: -0.3...0.3, using: &rng), level: Double.random(in: 0.7...1, using: &rng)), to)
        }
        func fricative(_ rng: inout SeededGenerator) -> Segment {
            let f = fricatives[Int.random(in: 0..<fricatives.count, using: &rng)]
            return Segment(voiced: false, duration: Double.random(in: 0.06...0.12, using: &rng), f1: (f.0, f.0), f2: (f.1, f.1),
                           f3: f.2, pitchSlope: 0, level: Double.random(in: 0.3...0.6, using: &rng))
        }
        var word: Word = []
        if Double.random(in: 0..<1, using: &rng) < 0.4 { word.append(fricative(&rng)) }
        let (first, end) = vowel(lead, &rng)
        word.append(first)
        switch Int.random(in: 0..<3, using: &rng) {
        case 0: word.append(fricative(&rng))
        case 1: word.append(vowel(end, &rng).0)
        default: break
        }
        if word.count == 1 { word.append(vowel(end, &rng).0) }
        return word
    }

    /// One clip of `label`, with all variation drawn from `rng`.
    public func clip(label: Int, using rng: inout SeededGenerator) -> [Int16] {
        precondition((0..<classCount).contains(label), "label \(label) out of range 0..<\(classCount)")
        let n = Self.clipLength
        var out = [Double](repeating: 0, count: n)
        let noiseLevel = Double.random(in: 0.0005...0.01, using: &rng)
        if label != SpeechCommands.silenceLabel {
            let word = label == SpeechCommands.unknownLabel ? unknownWords[Int.random(in: 0..<unknownWords.count, using: &rng)] : words[label]
            render(word, into: &out, using: &rng)
        }
        // Background: white noise through a random one-pole low-pass (white … brown-ish).
        let colour = Double.random(in: 0...0.97, using: &rng)
        let gain = noiseLevel * (label == SpeechCommands.silenceLabel ? Double.random(in: 1...8, using: &rng) : 1)
            / max(0.2, (1 - colour).squareRoot())
        var lp = 0.0
        var result = [Int16](repeating: 0, count: n)
        for j in 0..<n {
            lp = colour * lp + (1 - colour) * symmetric(&rng)
            let v = (out[j] + gain * lp) * 32768
            result[j] = Int16(max(-32768, min(32767, v.rounded())))
        }
        return result
    }

    /// Uniform in [-1, 1), cheaper than `Double.random(in:using:)` in per-sample loops.
    @inline(__always) private func symmetric(_ rng: inout SeededGenerator) -> Double {
        Double(rng.next() >> 11) * 0x1p-52 - 1
    }

    private func render(_ word: Word, into out: inout [Double], using rng: inout SeededGenerator) {
        let fs = Double(Self.sampleRate)
        let f0 = Double.random(in: 90...250, using: &rng)
        let tract = Double.random(in: 0.92...1.08, using: &rng)
        let speed = Double.random(in: 0.85...1.15, using: &rng)
        let peak = Double.random(in: 0.1...0.7, using: &rng)
        let lengths = word.map { max(1, Int($0.duration * speed * fs)) }
        let total = lengths.reduce(0, +)
        let margin = Int(0.05 * fs)
        let onset = Int.random(in: margin...max(margin, out.count - total - margin), using: &rng)
        var y = [Double](repeating: 0, count: total)
        // Three resonators (memories m1 = y[n-1], m2 = y[n-2]) in parallel, weights 1, 0.6, 0.3.
        var m1a = 0.0, m2a = 0.0, m1b = 0.0, m2b = 0.0, m1c = 0.0, m2c = 0.0
        let ra = exp(-Double.pi * 80 / fs), rb = exp(-Double.pi * 110 / fs), rc = exp(-Double.pi * 160 / fs)
        var phase = 0.0, level = 0.0, t = 0
        let ramp = 0.02 * fs
        for (seg, len) in zip(word, lengths) {
            let j1 = Double.random(in: 0.96...1.04, using: &rng), j2 = Double.random(in: 0.96...1.04, using: &rng)
            let j3 = Double.random(in: 0.96...1.04, using: &rng), jp = Double.random(in: 0.96...1.04, using: &rng)
            var ca = 0.0, cb = 0.0, cc = 0.0, ga = 0.0, gb = 0.0, gc = 0.0
            for j in 0..<len {
                let u = Double(j) / Double(len)
                if j % 32 == 0 {
                    // Pole pairs at the formants; numerators normalise each resonator's peak gain to about 1.
                    let w = 2 * Double.pi / fs * tract
                    let wa = w * min(0.45 * fs, (seg.f1.0 + (seg.f1.1 - seg.f1.0) * u) * j1)
                    let wb = w * min(0.45 * fs, (seg.f2.0 + (seg.f2.1 - seg.f2.0) * u) * j2)
                    let wc = w * min(0.45 * fs, seg.f3 * j3)
                    ca = 2 * ra * cos(wa); ga = (1 - ra) * 2 * sin(wa)
                    cb = 2 * rb * cos(wb); gb = (1 - rb) * 2 * sin(wb)
                    cc = 2 * rc * cos(wc); gc = (1 - rc) * 2 * sin(wc)
                }
                let src: Double
                if seg.voiced {
                    // Glottal pulses: a short raised-cosine pulse each period (flat-ish spectrum up to 4 kHz).
                    phase += f0 * (1 + seg.pitchSlope * u) * jp / fs
                    if phase >= 1 { phase -= 1 }
                    let width = 4 * f0 / fs    // pulse lasts 4 samples
                    src = phase < width ? 1 - cos(2 * Double.pi * phase / width) : 0
                } else {
                    src = 0.6 * symmetric(&rng)
                }
                let sa = ca * m1a - ra * ra * m2a + ga * src; m2a = m1a; m1a = sa
                let sb = cb * m1b - rb * rb * m2b + gb * src; m2b = m1b; m1b = sb
                let sc = cc * m1c - rc * rc * m2c + gc * src; m2c = m1c; m1c = sc
                level += 0.004 * (seg.level - level)                      // ~15 ms glide between segment levels
                let edge = min(1, Double(t) / ramp, Double(total - t) / ramp)
                y[t] = (sa + 0.6 * sb + 0.3 * sc) * level * edge
                t += 1
            }
        }
        let m = y.reduce(0) { max($0, abs($1)) }
        if m > 0 { for j in 0..<total { out[onset + j] += y[j] * peak / m } }
    }

    /// Stand-in background recordings for augmentation without the real dataset: `count` recordings of
    /// `seconds` s of noise, from white to brown-ish, at 10–30 % of full scale.
    public func backgroundNoise(count: Int = 3, seconds: Int = 30, seed: UInt64) -> BackgroundNoise {
        var rng = SeededGenerator(seed: seed)
        return BackgroundNoise(recordings: (0..<count).map { r in
            let colour = count > 1 ? 0.95 * Double(r) / Double(count - 1) : 0
            let gain = Double.random(in: 0.1...0.3, using: &rng) / max(0.2, (1 - colour).squareRoot())
            var lp = 0.0
            let samples = (0..<seconds * Self.sampleRate).map { _ -> Int16 in
                lp = colour * lp + (1 - colour) * symmetric(&rng)
                return Int16(max(-32768, min(32767, (gain * lp * 32768).rounded())))
            }
            return .init(name: "synthetic_noise_\(r)", samples: samples)
        })
    }

    /// `examplesPerClass` clips of every label, interleaved by label (0, 1, …, 0, 1, …); clip `i` uses a
    /// generator derived from `seed` and `i`, so the set is the same for any `threads`.
    public func make(examplesPerClass: Int, seed: UInt64, threads: Int = defaultThreadCount) -> LabeledAudio {
        let count = examplesPerClass * classCount, length = Self.clipLength
        var flat = [Int16](repeating: 0, count: count * length)
        flat.withUnsafeMutableBufferPointer { dst in
            let dst = UncheckedSendable(dst)
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
