import Foundation

/// A second-order IIR section (direct form II transposed), designed by the bilinear transform.
/// Causal and streaming: one sample in, one sample out, no allocation.
public struct Biquad: Sendable {
    public var b0: Double, b1: Double, b2: Double, a1: Double, a2: Double
    private var z1 = 0.0, z2 = 0.0

    public init(b0: Double, b1: Double, b2: Double, a1: Double, a2: Double) {
        self.b0 = b0; self.b1 = b1; self.b2 = b2; self.a1 = a1; self.a2 = a2
    }

    /// Butterworth (Q = 1/√2) low-pass at `cutoff` Hz for sampling rate `rate`.
    public static func lowPass(cutoff: Double, rate: Double, q: Double = 0.5.squareRoot()) -> Biquad {
        let w = 2 * Double.pi * cutoff / rate, c = cos(w), alpha = sin(w) / (2 * q), a0 = 1 + alpha
        return Biquad(b0: (1 - c) / 2 / a0, b1: (1 - c) / a0, b2: (1 - c) / 2 / a0, a1: -2 * c / a0, a2: (1 - alpha) / a0)
    }

    /// Butterworth (Q = 1/√2) high-pass at `cutoff` Hz for sampling rate `rate`.
    public static func highPass(cutoff: Double, rate: Double, q: Double = 0.5.squareRoot()) -> Biquad {
        let w = 2 * Double.pi * cutoff / rate, c = cos(w), alpha = sin(w) / (2 * q), a0 = 1 + alpha
        return Biquad(b0: (1 + c) / 2 / a0, b1: -(1 + c) / a0, b2: (1 + c) / 2 / a0, a1: -2 * c / a0, a2: (1 - alpha) / a0)
    }

    /// Filters one sample.
    @inline(__always)
    public mutating func callAsFunction(_ x: Double) -> Double {
        let y = b0 * x + z1
        z1 = b1 * x - a1 * y + z2
        z2 = b2 * x - a2 * y
        return y
    }

    /// Clears the state.
    public mutating func reset() { z1 = 0; z2 = 0 }
}

/// A cascade of biquads, e.g. a band-pass made of a high-pass and a low-pass.
public struct FilterChain: Sendable {
    public var sections: [Biquad]
    public init(_ sections: [Biquad]) { self.sections = sections }

    /// A band-pass from `low` to `high` Hz: `order` Butterworth high-pass sections then `order` low-pass sections.
    public static func bandPass(low: Double, high: Double, rate: Double, order: Int = 1) -> FilterChain {
        FilterChain(Array(repeating: Biquad.highPass(cutoff: low, rate: rate), count: order) + Array(repeating: Biquad.lowPass(cutoff: high, rate: rate), count: order))
    }

    @inline(__always)
    public mutating func callAsFunction(_ x: Double) -> Double {
        var v = x
        for i in sections.indices { v = sections[i](v) }
        return v
    }

    /// Filters a whole signal (same as calling the chain on each sample in turn).
    public mutating func apply(_ x: [Float]) -> [Float] { x.map { Float(self(Double($0))) } }
}
