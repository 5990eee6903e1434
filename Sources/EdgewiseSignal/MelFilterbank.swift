import Foundation

/// The mel filterbank of TensorFlow's `Mfcc` op (the "legacy" `MfccMelFilterbank`), rebuilt from its rules.
///
/// - Channel centres are `channelCount + 1` points evenly spaced in mel (`mel(f) = 1127·ln(1 + f/700)`) strictly
///   above `mel(lowerFrequency)`; the last point is `mel(upperFrequency)` and only closes the top triangle.
/// - Bins are spaced `hzPerBin = (sampleRate/2)/(binCount - 1)`. Used bins run from `Int(1.5 + lower/hzPerBin)`
///   (DC is always excluded) to `Int(upper/hzPerBin)`, both inclusive.
/// - Each used bin belongs to the right (falling) side of the channel whose centre lies just below it and to the
///   left (rising) side of the next one, and splits its value between the two by its mel distance to the centres.
/// - The filterbank is applied to the spectrum **magnitude** (√power), not to the power.
public struct MelFilterbank: Sendable {
    /// Number of output channels.
    public let channelCount: Int
    /// Number of input spectrum bins (`fftLength/2 + 1`).
    public let binCount: Int
    /// First and last spectrum bin that contribute (inclusive).
    public let firstBin: Int, lastBin: Int
    /// Channel centres in mel, `channelCount + 1` values (the last one is `mel(upperFrequency)`).
    public let centresMel: [Double]
    /// For each bin: the channel whose falling side it is on (−1 below the first centre, −2 if unused).
    let bandOfBin: [Int32]
    /// For each bin: the share that goes to `bandOfBin` (the rest, `1 - weight`, goes to the next channel).
    let weightOfBin: [Float]

    /// `1127·ln(1 + f/700)`, the mel scale TensorFlow's MFCC uses.
    public static func mel(_ hz: Double) -> Double { 1127.0 * log1p(hz / 700.0) }

    /// Builds the filterbank for a spectrum of `binCount` bins at `sampleRate`.
    public init(channelCount: Int, binCount: Int, sampleRate: Double, lowerFrequency: Double, upperFrequency: Double) {
        precondition(channelCount >= 1 && binCount >= 2 && sampleRate > 0, "MelFilterbank: bad sizes")
        precondition(lowerFrequency >= 0 && upperFrequency > lowerFrequency && upperFrequency <= sampleRate / 2,
                     "MelFilterbank: need 0 ≤ lower < upper ≤ Nyquist")
        self.channelCount = channelCount
        self.binCount = binCount
        let melLow = Self.mel(lowerFrequency)
        let spacing = (Self.mel(upperFrequency) - melLow) / Double(channelCount + 1)
        let centres = (0...channelCount).map { melLow + spacing * Double($0 + 1) }
        centresMel = centres
        let hzPerBin = 0.5 * sampleRate / Double(binCount - 1)
        firstBin = Int(1.5 + lowerFrequency / hzPerBin)
        lastBin = min(Int(upperFrequency / hzPerBin), binCount - 1)
        var band = [Int32](repeating: -2, count: binCount)
        var weight = [Float](repeating: 0, count: binCount)
        var channel = 0
        for bin in firstBin...lastBin {
            let m = Self.mel(Double(bin) * hzPerBin)
            while channel < channelCount && centres[channel] < m { channel += 1 }
            let b = channel - 1
            band[bin] = Int32(b)
            weight[bin] = b >= 0
                ? Float((centres[b + 1] - m) / (centres[b + 1] - centres[b]))
                : Float((centres[0] - m) / (centres[0] - melLow))
        }
        bandOfBin = band
        weightOfBin = weight
    }

    /// The weight of spectrum bin `bin` in channel `channel` (0 when it does not contribute).
    public func weight(channel: Int, bin: Int) -> Float {
        let b = Int(bandOfBin[bin])
        if b == -2 { return 0 }
        if b == channel { return weightOfBin[bin] }
        if b + 1 == channel { return 1 - weightOfBin[bin] }
        return 0
    }

    /// Sums `magnitudes` (`binCount` values, already √power) into `channelCount` channels at `output`.
    @_optimize(speed)
    public func apply(magnitudes: UnsafePointer<Float>, into output: UnsafeMutablePointer<Float>) {
        let channels = channelCount
        for c in 0..<channels { output[c] = 0 }
        bandOfBin.withUnsafeBufferPointer { band in
            weightOfBin.withUnsafeBufferPointer { weight in
                for bin in firstBin...lastBin {
                    let v = magnitudes[bin]
                    let w = v * weight[bin]
                    let c = Int(band[bin])
                    if c >= 0 { output[c] += w }
                    if c + 1 < channels { output[c + 1] += v - w }
                }
            }
        }
    }
}
