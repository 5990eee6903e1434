import EdgewiseSignal

/// The project's MFCC (`EdgewiseSignal.MFCC`) fed a stream: samples arrive in any chunk sizes and each
/// completed hop computes only its one new frame (the window ending there), with the same code as the
/// batch `MFCC`, so a window of frames is bit-identical to `MFCC.compute` on the same samples.
///
/// Frame `k` covers stream samples `k·stride ..< k·stride + windowLength`. Allocates only in `init`.
public struct StreamingMFCC: Sendable {
    public let configuration: MFCC.Configuration
    /// Frames produced so far.
    public private(set) var frameCount = 0
    private var mfcc: MFCC
    private var window: [Int16]       // the last windowLength samples (a prefix while filling)
    private var filled = 0
    private var frame: [Float]

    public init(_ configuration: MFCC.Configuration = .kws) {
        precondition(configuration.stride <= configuration.windowLength, "StreamingMFCC: stride must not exceed the window")
        self.configuration = configuration
        mfcc = MFCC(configuration)
        window = [Int16](repeating: 0, count: configuration.windowLength)
        frame = [Float](repeating: 0, count: configuration.coefficientCount)
    }

    /// Coefficients per frame.
    public var coefficientCount: Int { configuration.coefficientCount }

    /// Adds `samples`; calls `onFrame` with each frame completed (its `coefficientCount` coefficients, valid
    /// during the call), in order.
    public mutating func push(_ samples: UnsafeBufferPointer<Int16>, onFrame: (UnsafeBufferPointer<Float>) -> Void) {
        let length = configuration.windowLength, stride = configuration.stride
        var i = 0
        while i < samples.count {
            let n = min(length - filled, samples.count - i)
            window.withUnsafeMutableBufferPointer { w in
                (w.baseAddress! + filled).update(from: samples.baseAddress! + i, count: n)
            }
            filled += n; i += n
            if filled == length {
                window.withUnsafeMutableBufferPointer { w in
                    frame.withUnsafeMutableBufferPointer { f in
                        mfcc.compute(pcm16: UnsafeBufferPointer(w), into: f)
                    }
                    // Keep the overlap for the next frame.
                    let keep = length - stride
                    w.baseAddress!.update(from: w.baseAddress! + stride, count: keep)
                    filled = keep
                }
                frameCount += 1
                frame.withUnsafeBufferPointer { onFrame($0) }
            }
        }
    }

    /// Forgets buffered samples and the frame count.
    public mutating func reset() { filled = 0; frameCount = 0 }
}

/// The last `frames` feature frames of a stream in a ring, readable frame-major oldest first (the model's
/// input layout).
public struct FeatureWindow: Sendable {
    public let frames: Int, width: Int
    private var ring: [Float]
    private var next = 0
    /// Frames pushed so far (saturates nothing; compare with `frames` to know the window is full).
    public private(set) var pushed = 0

    public init(frames: Int, width: Int) {
        self.frames = frames; self.width = width
        ring = [Float](repeating: 0, count: frames * width)
    }

    /// Whether `frames` frames have arrived.
    public var isFull: Bool { pushed >= frames }

    public mutating func push(_ frame: UnsafeBufferPointer<Float>) {
        precondition(frame.count == width)
        ring.withUnsafeMutableBufferPointer { r in (r.baseAddress! + next * width).update(from: frame.baseAddress!, count: width) }
        next = (next + 1) % frames
        pushed += 1
    }

    /// Copies the window, oldest frame first, into `output` (`frames × width` floats).
    public func copy(into output: UnsafeMutableBufferPointer<Float>) {
        precondition(output.count == frames * width)
        ring.withUnsafeBufferPointer { r in
            let head = frames - next   // frames from `next` to the end are the oldest
            output.baseAddress!.update(from: r.baseAddress! + next * width, count: head * width)
            (output.baseAddress! + head * width).update(from: r.baseAddress!, count: next * width)
        }
    }
}
