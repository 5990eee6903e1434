import Foundation

/// MFCC features exactly as TensorFlow's `AudioSpectrogram` + `Mfcc` ops compute them, which is the front end of
/// Arm ML-Zoo's DS-CNN keyword-spotting models (with `Configuration.kws`).
///
/// Per frame: periodic Hann window → zero-padded real FFT (next power of two) → magnitude √|X|² →
/// `MelFilterbank` (TF legacy rules) → `ln(max(x, 1e-12))` → DCT-II scaled by √(2/channels), first
/// `coefficientCount` kept. Frames start every `stride` samples with no padding; output is frame-major.
///
/// All tables and scratch are built in `init`; `compute` allocates nothing. An instance is not safe to share
/// between threads while computing (it owns scratch); give each thread its own copy.
public struct MFCC: Sendable {
    /// Front-end parameters.
    public struct Configuration: Sendable, Equatable {
        /// Sample rate in Hz.
        public var sampleRate: Int
        /// Window length in samples (the FFT length is the next power of two).
        public var windowLength: Int
        /// Hop between frame starts in samples.
        public var stride: Int
        /// Mel channels.
        public var channelCount: Int
        /// Lowest and highest filterbank frequency in Hz.
        public var lowerFrequency: Double, upperFrequency: Double
        /// Cepstral coefficients kept per frame (including c0).
        public var coefficientCount: Int

        /// Memberwise init; the defaults are `kws`.
        public init(sampleRate: Int = 16000, windowLength: Int = 640, stride: Int = 320, channelCount: Int = 40,
                    lowerFrequency: Double = 20, upperFrequency: Double = 4000, coefficientCount: Int = 10) {
            self.sampleRate = sampleRate; self.windowLength = windowLength; self.stride = stride
            self.channelCount = channelCount; self.lowerFrequency = lowerFrequency; self.upperFrequency = upperFrequency
            self.coefficientCount = coefficientCount
        }

        /// ML-Zoo DS-CNN: 16 kHz, 40 ms window, 20 ms stride, 40 channels over 20–4000 Hz, 10 coefficients
        /// (a 1 s clip gives 49 × 10 = 490 features).
        public static let kws = Configuration()
    }

    /// The parameters this instance was built with.
    public let configuration: Configuration
    /// FFT length: the next power of two ≥ the window length.
    public let fftLength: Int
    /// The mel filterbank in use.
    public let filterbank: MelFilterbank
    /// Lower bound applied before the log.
    public static let filterbankFloor: Float = 1e-12

    private var fft: RealFFT
    private let window: [Float]       // periodic Hann
    private let window16: [Float]     // periodic Hann / 32768, for Int16 input
    private let dct: [Double]         // channelCount × coefficientCount (transposed; Double: c0 reaches ±250)
    private var frame: [Float]        // fftLength; the tail past the window stays zero
    private var re: [Float], im: [Float], mag: [Float], mel: [Float], logMel: [Double], acc: [Double]

    /// Builds window, FFT tables, filterbank and DCT matrix for `configuration`.
    public init(_ configuration: Configuration = .kws) {
        let c = configuration
        precondition(c.windowLength >= 2 && c.stride >= 1 && c.sampleRate > 0, "MFCC: bad window/stride/rate")
        precondition(c.coefficientCount >= 1 && c.coefficientCount <= c.channelCount, "MFCC: need 1 ≤ coefficients ≤ channels")
        self.configuration = c
        var n = 4
        while n < c.windowLength { n *= 2 }
        fftLength = n
        fft = RealFFT(size: n)
        filterbank = MelFilterbank(channelCount: c.channelCount, binCount: n / 2 + 1, sampleRate: Double(c.sampleRate),
                                   lowerFrequency: c.lowerFrequency, upperFrequency: c.upperFrequency)
        let w = (0..<c.windowLength).map { 0.5 - 0.5 * cos(2 * Double.pi * Double($0) / Double(c.windowLength)) }
        window = w.map { Float($0) }
        window16 = w.map { Float($0 / 32768) }
        let norm = (2.0 / Double(c.channelCount)).squareRoot()
        var d = [Double](repeating: 0, count: c.coefficientCount * c.channelCount)
        for k in 0..<c.coefficientCount {
            for j in 0..<c.channelCount {
                d[j * c.coefficientCount + k] = norm * cos(Double.pi / Double(c.channelCount) * (Double(j) + 0.5) * Double(k))
            }
        }
        dct = d
        frame = [Float](repeating: 0, count: n)
        re = [Float](repeating: 0, count: n / 2 + 1)
        im = [Float](repeating: 0, count: n / 2 + 1)
        mag = [Float](repeating: 0, count: n / 2 + 1)
        mel = [Float](repeating: 0, count: c.channelCount)
        logMel = [Double](repeating: 0, count: c.channelCount)
        acc = [Double](repeating: 0, count: c.coefficientCount)
    }

    /// Frames produced from `sampleCount` samples: `1 + (sampleCount - windowLength)/stride`, or 0 if shorter
    /// than one window.
    public func frameCount(sampleCount: Int) -> Int {
        sampleCount < configuration.windowLength ? 0 : 1 + (sampleCount - configuration.windowLength) / configuration.stride
    }

    /// Features produced from `sampleCount` samples: `frameCount × coefficientCount`.
    public func featureCount(sampleCount: Int) -> Int { frameCount(sampleCount: sampleCount) * configuration.coefficientCount }

    /// Computes the features of `samples` (floats, nominally in [-1, 1)) into `output`, frame-major;
    /// `output.count` must equal `featureCount(sampleCount: samples.count)`.
    public mutating func compute(samples: UnsafeBufferPointer<Float>, into output: UnsafeMutableBufferPointer<Float>) {
        run(samples, window, output)
    }

    /// Computes the features of 16-bit PCM `samples` (scaled by 1/32768, as the reference does) into `output`.
    public mutating func compute(pcm16 samples: UnsafeBufferPointer<Int16>, into output: UnsafeMutableBufferPointer<Float>) {
        run(samples, window16, output)
    }

    /// Array form of `compute(samples:into:)`; `output` must already hold `featureCount(sampleCount:)` values.
    public mutating func compute(samples: [Float], into output: inout [Float]) {
        samples.withUnsafeBufferPointer { s in output.withUnsafeMutableBufferPointer { compute(samples: s, into: $0) } }
    }

    /// Array form of `compute(pcm16:into:)`.
    public mutating func compute(pcm16 samples: [Int16], into output: inout [Float]) {
        samples.withUnsafeBufferPointer { s in output.withUnsafeMutableBufferPointer { compute(pcm16: s, into: $0) } }
    }

    /// Allocating convenience: the features of `samples`.
    public mutating func callAsFunction(_ samples: [Float]) -> [Float] {
        var out = [Float](repeating: 0, count: featureCount(sampleCount: samples.count))
        compute(samples: samples, into: &out)
        return out
    }

    @_optimize(speed)
    private mutating func run(_ samples: UnsafeBufferPointer<Int16>, _ window: [Float],
                              _ output: UnsafeMutableBufferPointer<Float>) {
        runFrames(count: samples.count, window: window, output) { frame, start, w in
            for j in 0..<w.count { frame[j] = Float(samples[start &+ j]) * w[j] }
        }
    }

    @_optimize(speed)
    private mutating func run(_ samples: UnsafeBufferPointer<Float>, _ window: [Float],
                              _ output: UnsafeMutableBufferPointer<Float>) {
        runFrames(count: samples.count, window: window, output) { frame, start, w in
            for j in 0..<w.count { frame[j] = samples[start &+ j] * w[j] }
        }
    }

    @_optimize(speed)
    private mutating func runFrames(count: Int, window: [Float], _ output: UnsafeMutableBufferPointer<Float>,
                                    fill: (UnsafeMutablePointer<Float>, Int, UnsafeBufferPointer<Float>) -> Void) {
        let frames = frameCount(sampleCount: count)
        let nc = configuration.coefficientCount, channels = configuration.channelCount
        let stride = configuration.stride
        precondition(output.count == frames * nc, "MFCC.compute: output holds \(output.count) floats, need \(frames * nc)")
        let fb = filterbank, first = fb.firstBin, last = fb.lastBin
        let floor = Self.filterbankFloor
        window.withUnsafeBufferPointer { w in
        dct.withUnsafeBufferPointer { dct in
        frame.withUnsafeMutableBufferPointer { fr in
        re.withUnsafeMutableBufferPointer { re in
        im.withUnsafeMutableBufferPointer { im in
        mag.withUnsafeMutableBufferPointer { mag in
        mel.withUnsafeMutableBufferPointer { mel in
        logMel.withUnsafeMutableBufferPointer { lm in
        acc.withUnsafeMutableBufferPointer { acc in
            let frame = fr.baseAddress!, out = output.baseAddress!
            for t in 0..<frames {
                fill(frame, t &* stride, w)
                fft.forward(frame, real: re.baseAddress!, imaginary: im.baseAddress!)
                for b in first...last { mag[b] = (re[b] * re[b] + im[b] * im[b]).squareRoot() }
                fb.apply(magnitudes: mag.baseAddress!, into: mel.baseAddress!)
                for c in 0..<channels { lm[c] = Foundation.log(Double(Swift.max(mel[c], floor))) }
                let o = out + t &* nc
                for k in 0..<nc { acc[k] = 0 }
                for c in 0..<channels {  // independent accumulators per coefficient
                    let v = lm[c], row = dct.baseAddress! + c &* nc
                    for k in 0..<nc { acc[k] += row[k] * v }
                }
                for k in 0..<nc { o[k] = Float(acc[k]) }
            }
        }}}}}}}}}
    }
}
