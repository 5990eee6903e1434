import EdgewiseCore

/// Training-time augmentation of 1 s clips, following the TensorFlow speech-commands recipe that ML-Zoo's
/// DS-CNN training uses: a random time shift (zero fill), then, with probability `backgroundProbability`,
/// background noise at a random volume in `0...backgroundVolume`, then clamping to [-1, 1].
/// All randomness comes from the generator passed in, so a seed fixes the result.
public struct Augmentation: Sendable, Equatable {
    /// Largest shift in samples, either way (TF `time_shift_ms` 100 → 1600 at 16 kHz).
    public var maxTimeShift: Int
    /// Chance that a clip gets background noise (TF `background_frequency`).
    public var backgroundProbability: Float
    /// Largest noise gain (TF `background_volume`).
    public var backgroundVolume: Float
    /// Labels not augmented (by default `_silence_`, which is already noise).
    public var skipLabels: Set<Int>

    /// Memberwise init; the defaults are TensorFlow's.
    public init(maxTimeShift: Int = 1600, backgroundProbability: Float = 0.8, backgroundVolume: Float = 0.1,
                skipLabels: Set<Int> = [SpeechCommands.silenceLabel]) {
        self.maxTimeShift = maxTimeShift; self.backgroundProbability = backgroundProbability
        self.backgroundVolume = backgroundVolume; self.skipLabels = skipLabels
    }

    /// TensorFlow's defaults: ±100 ms shift, noise on 80 % of clips at volume ≤ 0.1.
    public static let tensorflow = Augmentation()

    /// Shifts `clip` in place (samples move right for a positive shift; vacated samples become 0), mixes in a
    /// window of training-split noise from `noise` (skipped when `noise` is nil), and clamps to [-1, 1].
    public func apply(to clip: inout [Float], noise: BackgroundNoise?, using rng: inout SeededGenerator) {
        let n = clip.count
        let shift = maxTimeShift > 0 ? Int.random(in: -maxTimeShift...maxTimeShift, using: &rng) : 0
        if shift > 0 {
            for j in stride(from: n - 1, through: 0, by: -1) { clip[j] = j >= shift ? clip[j - shift] : 0 }
        } else if shift < 0 {
            for j in 0..<n { clip[j] = j - shift < n ? clip[j - shift] : 0 }
        }
        let useNoise = Float.random(in: 0..<1, using: &rng) < backgroundProbability
        let volume = Float.random(in: 0...1, using: &rng) * backgroundVolume
        if let noise, useNoise, !noise.recordings.isEmpty {
            let (r, start) = noise.window(length: n, split: .train, using: &rng)
            let rec = noise.recordings[r].samples
            for j in 0..<n { clip[j] += volume * Float(rec[start + j]) * (1.0 / 32768) }
        }
        for j in 0..<n { clip[j] = min(1, max(-1, clip[j])) }
    }
}
