import Synchronization

/// A source of 16-bit mono PCM at a fixed sample rate: a capture device, a file replay or a raw stream.
///
/// `read(into:)` blocks until it has some samples (a device delivers a period at a time; a paced replay
/// waits for real time), fills a prefix of the buffer and returns how many samples it wrote; 0 means the
/// stream has ended (end of file, end of standard input, a stop request, or a device that could not be
/// reopened within its retry budget). Reads allocate nothing on the heap in the steady state.
public protocol AudioSource: AnyObject {
    /// Samples per second (16000 for the keyword spotter).
    var sampleRate: Int { get }
    /// What is being read, for logs and summaries (`ALSA default`, `file demo.wav`, `stdin`).
    var name: String { get }
    /// Overruns (samples dropped by the device because the reader was late) recovered so far.
    var overruns: Int { get }
    /// Times the device was lost and reopened.
    var reopens: Int { get }
    /// Fills a prefix of `buffer` with mono samples and returns its length; 0 at the end of the stream.
    func read(into buffer: UnsafeMutableBufferPointer<Int16>) throws(AudioError) -> Int
}

extension AudioSource {
    public var overruns: Int { 0 }
    public var reopens: Int { 0 }
}

/// A stop request shared between a signal handler (or another thread) and a blocking reader: sources
/// check it while they wait (pacing, device back-off, interrupted reads) and end the stream when it is set.
public final class StopFlag: Sendable {
    private let flag = Atomic<Bool>(false)
    public init() {}
    /// Asks every reader that holds this flag to end its stream. Async-signal-safe (one atomic store).
    public func request() { flag.store(true, ordering: .relaxed) }
    /// Whether a stop was requested.
    public var isSet: Bool { flag.load(ordering: .relaxed) }
}
