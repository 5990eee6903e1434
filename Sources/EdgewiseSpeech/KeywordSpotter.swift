import EdgewiseCore
import EdgewiseSignal
import Foundation

/// A keyword heard in a stream.
public struct Detection: Sendable, Equatable {
    /// Seconds from the start of the stream to the end of the window that triggered it.
    public let time: Double
    /// Label index and name.
    public let label: Int
    public let keyword: String
    /// Smoothed probability of the keyword when it fired.
    public let confidence: Float
    /// Exit the last inference stopped at (index and name) and the multiply-accumulates it cost.
    public let exit: Int
    public let exitName: String
    public let macs: Int
}

/// Streaming keyword spotting: incremental MFCC → sliding window → model (through an `ExitSelector`) →
/// posterior smoothing → threshold → refractory period.
///
/// Every `hopsPerInference` hops (20 ms each for the KWS front end) the last `windowFrames` frames (1 s)
/// are run through the model; the class probabilities of the exit taken are averaged over the last
/// `smoothing` inferences; the best keyword class (labels not starting with `_`) fires when its average
/// reaches `threshold`, no detection happened within `refractory` seconds and the keyword is armed (its
/// average fell below `rearm` since it last fired). `process` allocates nothing.
public final class KeywordSpotter {
    /// Decision parameters.
    public struct Configuration: Sendable, Equatable {
        /// Smoothed probability a keyword needs to fire.
        public var threshold: Float
        /// Inferences averaged (posterior smoothing); 1 = none.
        public var smoothing: Int
        /// Seconds after a detection during which no other fires.
        public var refractory: Double
        /// Hops between inferences (1 = every 20 ms hop).
        public var hopsPerInference: Int
        /// A keyword that fired fires again only after its smoothed probability fell below `rearm`
        /// (hysteresis: one word stays in the 1 s window for up to a second after the refractory period).
        public var rearm: Float
        /// Defaults: 0.8 over 10 inferences (200 ms), 1 s refractory, re-arm below 0.4. Chosen by hand on the
        /// bundled demo stream (Datasets/voice), not on a held-out stream: see the README's voice section.
        public init(threshold: Float = 0.8, smoothing: Int = 10, refractory: Double = 1.0, hopsPerInference: Int = 1,
                    rearm: Float? = nil) {
            self.threshold = threshold; self.smoothing = max(1, smoothing); self.refractory = refractory
            self.hopsPerInference = max(1, hopsPerInference); self.rearm = rearm ?? threshold / 2
        }
    }

    /// Running totals, for the live status line and the summary.
    public struct Statistics: Sendable {
        public var samples = 0
        public var inferences = 0
        /// Inferences that stopped at each exit.
        public var exitCounts: [Int]
        /// Multiply-accumulates executed, and what running every inference to the final exit would have cost.
        public var macs = 0, finalMACs = 0
        public var detections = 0
        /// RMS level of the last hop in dBFS (−∞ for digital silence).
        public var levelDBFS: Double = -.infinity
        /// The last detection.
        public var last: Detection?
        /// Fraction of MACs saved by early exits.
        public var macsSaved: Double { finalMACs == 0 ? 0 : 1 - Double(macs) / Double(finalMACs) }
        /// Seconds of audio processed at `rate`.
        public func seconds(rate: Int) -> Double { Double(samples) / Double(rate) }
    }

    public let labels: [String]
    public let configuration: Configuration
    public let executor: Executor
    public let selector: ExitSelector
    public let sampleRate: Int
    public private(set) var statistics: Statistics

    private var mfcc: StreamingMFCC
    private var window: FeatureWindow
    private let keywordLabels: [Int]
    private let softmaxExits: [Bool]          // exit already ends in a softmax
    private var probabilities: [Float]        // scratch for a head's probabilities
    private var history: [Float]              // smoothing × classes ring
    private var historyNext = 0, historyCount = 0
    private var hopCounter = 0
    private var frames = 0                    // frames produced (kept here: `mfcc` is busy while it calls back)
    private let stride: Int, windowLength: Int
    private var lastDetection = -Double.infinity
    private var armed: [Bool]                 // per label: may fire (see Configuration.rearm)
    private var levelSum: Double = 0, levelCount = 0

    /// `executor` runs the model; its input must be `frames × coefficients` of `frontEnd`'s features and
    /// its exits must have one output per label.
    public init(executor: Executor, labels: [String], frontEnd: MFCC.Configuration = .kws,
                configuration: Configuration = .init(), selector: ExitSelector = FinalExitSelector()) throws(SpeechError) {
        let width = frontEnd.coefficientCount
        guard executor.input.count % width == 0 else {
            throw .modelMismatch("model input has \(executor.input.count) values, not a multiple of \(width) coefficients per frame")
        }
        for e in executor.exits where e.values.count != labels.count {
            throw .modelMismatch("exit '\(e.name)' has \(e.values.count) outputs but the model has \(labels.count) labels")
        }
        self.executor = executor; self.labels = labels; self.configuration = configuration; self.selector = selector
        sampleRate = frontEnd.sampleRate
        stride = frontEnd.stride; windowLength = frontEnd.windowLength
        mfcc = StreamingMFCC(frontEnd)
        window = FeatureWindow(frames: executor.input.count / width, width: width)
        keywordLabels = labels.indices.filter { !labels[$0].hasPrefix("_") }
        softmaxExits = executor.graph.exitsEndInSoftmax
        probabilities = [Float](repeating: 0, count: labels.count)
        armed = [Bool](repeating: true, count: labels.count)
        history = [Float](repeating: 0, count: configuration.smoothing * labels.count)
        statistics = Statistics(exitCounts: [Int](repeating: 0, count: executor.exits.count))
    }

    /// Frames in the model's window (49 for 1 s).
    public var windowFrames: Int { window.frames }

    /// Feeds samples; calls `onDetection` for each keyword detected, in order.
    public func process(_ samples: UnsafeBufferPointer<Int16>, onDetection: (Detection) -> Void) {
        statistics.samples += samples.count
        for s in samples { let v = Double(s); levelSum += v * v }
        levelCount += samples.count
        mfcc.push(samples) { frame in
            frames += 1
            window.push(frame)
            if levelCount > 0 {
                statistics.levelDBFS = 10 * log10(max(levelSum / Double(levelCount), 1e-30) / (32768.0 * 32768.0))
                levelSum = 0; levelCount = 0
            }
            guard window.isFull else { return }
            hopCounter += 1
            guard hopCounter >= configuration.hopsPerInference else { return }
            hopCounter = 0
            infer(onDetection)
        }
    }

    /// Seconds from the stream start to the end of the newest frame.
    public var time: Double { Double((frames - 1) * stride + windowLength) / Double(sampleRate) }

    private func infer(_ onDetection: (Detection) -> Void) {
        window.copy(into: executor.input)
        let classes = labels.count
        let out = probabilities.withUnsafeMutableBufferPointer { p in
            executor.run { exit in
                let probs = self.probabilities(of: exit, scratch: p)
                return self.selector.decide(exit: exit, probabilities: probs)
            }
        }
        statistics.inferences += 1
        statistics.exitCounts[out.index] += 1
        statistics.macs += out.cumulativeMACs
        statistics.finalMACs += executor.exits[executor.exits.count - 1].cumulativeMACs
        // Smooth the taken exit's probabilities.
        let now = time
        var best = -1
        var bestScore: Float = 0
        probabilities.withUnsafeMutableBufferPointer { p in
            let probs = self.probabilities(of: out, scratch: p)
            history.withUnsafeMutableBufferPointer { h in
                (h.baseAddress! + historyNext * classes).update(from: probs.baseAddress!, count: classes)
                historyNext = (historyNext + 1) % configuration.smoothing
                historyCount = min(historyCount + 1, configuration.smoothing)
                let scale = 1 / Float(historyCount)
                for k in keywordLabels {
                    var s: Float = 0
                    for r in 0..<historyCount { s += h[r * classes + k] }
                    s *= scale
                    if s < configuration.rearm { armed[k] = true }
                    if armed[k] && s > bestScore { bestScore = s; best = k }
                }
            }
        }
        guard best >= 0, bestScore >= configuration.threshold, now - lastDetection >= configuration.refractory else { return }
        lastDetection = now
        armed[best] = false
        let d = Detection(time: now, label: best, keyword: labels[best], confidence: bestScore,
                          exit: out.index, exitName: out.name, macs: out.cumulativeMACs)
        statistics.detections += 1
        statistics.last = d
        onDetection(d)
    }

    /// The exit's class probabilities: its values if the head ends in a softmax, else their softmax in `scratch`.
    @inline(__always)
    private func probabilities(of exit: ExitOutput, scratch: UnsafeMutableBufferPointer<Float>) -> UnsafeBufferPointer<Float> {
        if softmaxExits[exit.index] { return exit.values }
        var m = -Float.infinity
        for v in exit.values where v > m { m = v }
        var sum: Float = 0
        for i in 0..<exit.values.count { let e = Foundation.exp(exit.values[i] - m); scratch[i] = e; sum += e }
        for i in 0..<exit.values.count { scratch[i] /= sum }
        return UnsafeBufferPointer(scratch)
    }

    /// Forgets the stream (buffers, smoothing, refractory, statistics).
    public func reset() {
        mfcc.reset(); window = FeatureWindow(frames: window.frames, width: window.width)
        historyNext = 0; historyCount = 0; hopCounter = 0; frames = 0; lastDetection = -.infinity
        for i in armed.indices { armed[i] = true }
        statistics = Statistics(exitCounts: [Int](repeating: 0, count: executor.exits.count))
    }
}

/// Why the speech pipeline cannot use a model or data.
public enum SpeechError: Error, CustomStringConvertible, Equatable, Sendable {
    /// The model does not fit the front end or its labels.
    case modelMismatch(String)
    /// An evaluation data folder has nothing usable.
    case noClips(directory: String, reason: String)

    public var description: String {
        switch self {
        case let .modelMismatch(m): "model does not fit the keyword spotter: \(m)"
        case let .noClips(d, r): "\(d): \(r)"
        }
    }
}
