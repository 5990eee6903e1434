import EdgewiseCore
import Foundation

/// A synthetic signal-classification task made on the fly: classify a noisy waveform by its shape.
///
/// Classes: 0 sine, 1 square, 2 triangle, 3 sawtooth, 4 chirp (a sine whose frequency sweeps up 5×).
/// Each example draws a random frequency, phase, amplitude and DC offset, then adds Gaussian noise,
/// so the shape, not the scale, is what separates the classes. Features are `length` floats, laid
/// out as `[length, 1]` (NWC) or, for 2-D models, `[length, 1, 1]` (NHWC with W = 1).
public struct SyntheticSignals: Codable, Equatable, Sendable {
    /// Samples per signal.
    public var length: Int
    /// Number of classes (1…5, taken in the order above).
    public var classes: Int
    /// Standard deviation of the additive Gaussian noise (the clean signal's amplitude is 0.7…1.3).
    public var noise: Float
    /// Cycles per signal, drawn uniformly.
    public var minCycles: Float, maxCycles: Float
    /// Relative class frequencies (nil: balanced). `[0.75, 0.25/4, …]` mimics ECG's imbalance.
    public var classProportions: [Float]?

    public init(length: Int = 128, classes: Int = 5, noise: Float = 0.3, minCycles: Float = 2, maxCycles: Float = 6, classProportions: [Float]? = nil) {
        self.length = length; self.classes = classes; self.noise = noise
        self.minCycles = minCycles; self.maxCycles = maxCycles; self.classProportions = classProportions
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let d = SyntheticSignals()
        length = try c.decodeIfPresent(Int.self, forKey: .length) ?? d.length
        classes = try c.decodeIfPresent(Int.self, forKey: .classes) ?? d.classes
        noise = try c.decodeIfPresent(Float.self, forKey: .noise) ?? d.noise
        minCycles = try c.decodeIfPresent(Float.self, forKey: .minCycles) ?? d.minCycles
        maxCycles = try c.decodeIfPresent(Float.self, forKey: .maxCycles) ?? d.maxCycles
        classProportions = try c.decodeIfPresent([Float].self, forKey: .classProportions)
    }

    /// The class names, in label order.
    public var labelNames: [String] { Array(["sine", "square", "triangle", "sawtooth", "chirp"].prefix(classes)) }

    /// `count` examples from `seed` (the same seed gives the same data).
    public func make(count: Int, seed: UInt64) throws -> ArrayDataset {
        guard (1...5).contains(classes) else { throw TrainingError.invalidArgument("synthetic signals have 1…5 classes, got \(classes)") }
        guard length >= 8 else { throw TrainingError.invalidArgument("synthetic signal length must be ≥ 8") }
        var rng = SeededGenerator(seed: seed)
        let cumulative: [Float]? = classProportions.map { p in
            let total = p.prefix(classes).reduce(0, +)
            var acc: Float = 0
            return p.prefix(classes).map { acc += $0 / total; return acc }
        }
        var samples: [Sample] = []
        samples.reserveCapacity(count)
        for i in 0..<count {
            let label: Int
            if let cumulative {
                let u = rng.uniform(0...1)
                label = cumulative.firstIndex { u <= $0 } ?? classes - 1
            } else {
                label = i % classes
            }
            samples.append(Sample(features: signal(label, &rng), label: label))
        }
        if classProportions == nil { samples.shuffle(using: &rng) }
        return ArrayDataset(samples: samples, classCount: classes)
    }

    private func signal(_ label: Int, _ rng: inout SeededGenerator) -> [Float] {
        let cycles = rng.uniform(minCycles...maxCycles), phase = rng.uniform(0...1)
        let amp = rng.uniform(0.7...1.3), offset = rng.uniform(-0.3...0.3)
        let n = Float(length)
        return (0..<length).map { t in
            let x = Float(t) / n
            var p = cycles * x + phase
            if label == 4 { p = cycles * 0.5 * x + cycles * x * x + phase }  // frequency sweeps 0.5× → 2.5×
            let f = p - p.rounded(.down)
            let clean: Float
            switch label {
            case 0, 4: clean = Foundation.sin(2 * .pi * p)
            case 1: clean = f < 0.5 ? 1 : -1
            case 2: clean = 4 * abs(f - 0.5) - 1
            default: clean = 2 * f - 1
            }
            // Box–Muller
            let u1 = max(rng.uniform(0...1), 1e-7), u2 = rng.uniform(0...1)
            let g = (-2 * Foundation.log(u1)).squareRoot() * Foundation.cos(2 * .pi * u2)
            return amp * clean + offset + noise * g
        }
    }
}
