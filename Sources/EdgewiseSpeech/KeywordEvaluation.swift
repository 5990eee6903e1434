import EdgewiseCore
import EdgewiseData
import EdgewiseSignal
import Foundation

/// Clip-level evaluation of a keyword model: every clip through the project's MFCC and the model, every
/// exit's answer recorded, and the exit each `ExitMode` would take.
public struct KeywordEvaluation: Sendable {
    /// One clip's outcome.
    public struct Clip: Sendable {
        public let source: String
        public let truth: Int
        /// Top label and its probability at each exit, in exit order.
        public let exits: [(label: Int, confidence: Float)]
        /// The exit each mode stops at, indexed like `modes`.
        public let chosen: [Int]
    }

    public let labels: [String]
    public let exitNames: [String]
    public let exitMACs: [Int]
    public let modes: [ExitMode]
    public let clips: [Clip]

    /// Runs `audio` (1 s clips at 16 kHz) through `executor` on the calling thread; `progress(done, total)`
    /// is called every 100 clips.
    public init(audio: LabeledAudio, executor: Executor, labels: [String], modes: [ExitMode] = ExitMode.allCases,
                progress: (Int, Int) -> Void = { _, _ in }) throws(SpeechError) {
        var mfcc = MFCC()
        guard executor.input.count == mfcc.featureCount(sampleCount: audio.clipLength) else {
            throw .modelMismatch("model input has \(executor.input.count) values; 1 s of MFCC has \(mfcc.featureCount(sampleCount: audio.clipLength))")
        }
        for e in executor.exits where e.values.count != labels.count {
            throw .modelMismatch("exit '\(e.name)' has \(e.values.count) outputs but the model has \(labels.count) labels")
        }
        let softmax = executor.graph.exitsEndInSoftmax
        let selectors = modes.map { $0.makeSelector() }
        var scratch = [Float](repeating: 0, count: labels.count)
        var clips: [Clip] = []
        clips.reserveCapacity(audio.count)
        for i in 0..<audio.count {
            audio.samples.withUnsafeBufferPointer { s in
                mfcc.compute(pcm16: UnsafeBufferPointer(rebasing: s[i * audio.clipLength..<(i + 1) * audio.clipLength]), into: executor.input)
            }
            var perExit: [(label: Int, confidence: Float)] = []
            var chosen = [Int](repeating: -1, count: modes.count)
            scratch.withUnsafeMutableBufferPointer { p in
                func record(_ exit: ExitOutput) {
                    var probs = exit.values
                    if !softmax[exit.index] {
                        let m = exit.values.max() ?? 0
                        var sum: Float = 0
                        for j in 0..<exit.values.count { p[j] = _exp(exit.values[j] - m); sum += p[j] }
                        for j in 0..<exit.values.count { p[j] /= sum }
                        probs = UnsafeBufferPointer(p)
                    }
                    let top = probs.indices.max { probs[$0] < probs[$1] }!
                    perExit.append((top, probs[top]))
                    for (m, sel) in selectors.enumerated() where chosen[m] < 0 && !exit.isFinal {
                        if sel.decide(exit: exit, probabilities: probs) == .stop { chosen[m] = exit.index }
                    }
                }
                let last = executor.run { exit in record(exit); return .continue }
                record(last)
            }
            let final = executor.exits.count - 1
            clips.append(Clip(source: audio.sources[i], truth: audio.labels[i], exits: perExit,
                              chosen: chosen.map { $0 < 0 ? final : $0 }))
            if (i + 1) % 100 == 0 || i + 1 == audio.count { progress(i + 1, audio.count) }
        }
        self.labels = labels
        exitNames = executor.exits.map(\.name)
        exitMACs = executor.exits.map(\.cumulativeMACs)
        self.modes = modes
        self.clips = clips
    }

    /// Accuracy of each exit if every clip stopped there.
    public var exitAccuracy: [Double] {
        exitNames.indices.map { e in Double(clips.filter { $0.exits[e].label == $0.truth }.count) / Double(max(1, clips.count)) }
    }

    /// The prediction (label, confidence, exit) of `mode` for clip `i`.
    public func prediction(_ i: Int, mode: ExitMode) -> (label: Int, confidence: Float, exit: Int) {
        let m = modes.firstIndex(of: mode)!
        let e = clips[i].chosen[m]
        return (clips[i].exits[e].label, clips[i].exits[e].confidence, e)
    }

    /// Figures for one mode.
    public struct ModeResult: Sendable {
        public let accuracy: Double
        /// Mean multiply-accumulates per clip, and the fraction saved against always running to the end.
        public let meanMACs: Double, macsSaved: Double
        /// Fraction of clips that stopped at each exit.
        public let exitRate: [Double]
    }

    public func result(_ mode: ExitMode) -> ModeResult {
        let n = Double(max(1, clips.count))
        var correct = 0, macs = 0
        var rate = [Double](repeating: 0, count: exitNames.count)
        for i in clips.indices {
            let p = prediction(i, mode: mode)
            if p.label == clips[i].truth { correct += 1 }
            macs += exitMACs[p.exit]
            rate[p.exit] += 1 / n
        }
        let mean = Double(macs) / n
        return ModeResult(accuracy: Double(correct) / n, meanMACs: mean, macsSaved: 1 - mean / Double(exitMACs.last ?? 1), exitRate: rate)
    }

    /// Confusion counts `[truth][prediction]` under `mode`.
    public func confusion(_ mode: ExitMode) -> [[Int]] {
        var m = [[Int]](repeating: [Int](repeating: 0, count: labels.count), count: labels.count)
        for i in clips.indices { m[clips[i].truth][prediction(i, mode: mode).label] += 1 }
        return m
    }
}

@inline(__always) private func _exp(_ x: Float) -> Float { Float(Foundation.exp(Double(x))) }
