import EdgewiseCore
import EdgewiseModel
import EdgewisePolicy
import EdgewiseTrain
import Foundation

/// The multi-exit 1-D CNN for AAMI beat classes. Input `[1, 1, 90, 7]`: the beat window, the patient template and the RR
/// features as constant extra channels. Stage "stem": two strided convolutions (k 7 and 5) with batch
/// norm and ReLU, exit "early" (flatten → dense → softmax); stage "body": two more convolutions, exit
/// "final" (``build(width:classes:seed:earlyExitAfter:)`` can place the early exit after the first convolution). Each head also has a linear path from the raw input. Built with ``GraphBuilder``; trained with ``Trainer`` from an `edgewise train`-style recipe
/// whose `model.architecture` is `"ecg-cnn"` (`channels` sets the width).
public enum BeatModel {
    public static let architecture = "ecg-cnn"

    /// Builds the graph with He-initialised weights (batch norms at γ = 1, β = 0, mean 0, variance 1).
    /// `earlyExitAfter` is the number of convolutions before the early exit (1 or 2, the recipe's `earlyExitAfterBlock`; default 2).
    public static func build(width c: Int = 16, classes: Int = 5, seed: UInt64 = 42, earlyExitAfter: Int = 2) throws -> Graph {
        var rng = SeededGenerator(seed: seed)
        var b = GraphBuilder()
        func he(_ fanIn: Int, _ count: Int) -> [Float] { let s = (6 / Float(fanIn)).squareRoot(); return rng.uniform(count: count, -s...s) }
        func conv(_ x: ValueID, k: Int, cin: Int, cout: Int, stride: Int, _ name: String) throws -> ValueID {
            let w = b.values[x].shape[2]
            let pad = Padding.same(inputHW: (1, w), kernelHW: (1, k), strideHW: (1, stride))
            var h = try b.conv2d(x, weights: he(k * cin, k * cin * cout), shape: [1, k, cin, cout], bias: [Float](repeating: 0, count: cout),
                                 .init(stride: Size2D(1, stride), padding: pad), name: name)
            let g = b.constant("\(name).gamma", shape: [cout], floats: [Float](repeating: 1, count: cout))
            let be = b.constant("\(name).beta", shape: [cout], floats: [Float](repeating: 0, count: cout))
            let m = b.constant("\(name).mean", shape: [cout], floats: [Float](repeating: 0, count: cout))
            let v = b.constant("\(name).variance", shape: [cout], floats: [Float](repeating: 1, count: cout))
            h = try b.node(.batchNorm(epsilon: 1e-3), inputs: [h, g, be, m, v], name: "\(name).bn")
            return try b.node(.activation(.relu), h, name: "\(name).relu")
        }
        let ch = BeatExtractor.channels
        let x = b.input("beat", shape: [1, 1, BeatExtractor.windowPoints, ch])
        // Each head adds a linear ("wide") path from the raw input, which gives the RR features a direct route to the logits.
        func head(_ b: inout GraphBuilder, _ from: ValueID, _ name: String) throws -> ValueID {
            let n = b.values[from].shape.elementCount
            let flat = try b.node(.reshape([1, n]), from, name: "\(name).flatten")
            let deep = try b.dense(flat, weights: he(n, n * classes), outputs: classes, bias: [Float](repeating: 0, count: classes), name: "\(name).fc")
            let m = b.values[x].shape.elementCount
            let raw = try b.node(.reshape([1, m]), x, name: "\(name).input")
            let wide = try b.dense(raw, weights: he(m, m * classes).map { $0 * 0.1 }, outputs: classes, name: "\(name).wide")
            let logits = try b.node(.add(activation: .none), deep, wide, name: "\(name).logits")
            return try b.node(.softmax, logits, name: "\(name).softmax")
        }
        guard (1...2).contains(earlyExitAfter) else { throw TrainingError.badRecipe("earlyExitAfterBlock must be 1 or 2 for ecg-cnn, got \(earlyExitAfter)") }
        var h = try conv(x, k: 7, cin: ch, cout: c, stride: 2, "conv1")
        if earlyExitAfter == 2 { h = try conv(h, k: 5, cin: c, cout: c * 3 / 2, stride: 2, "conv2") }
        let stem = h
        try b.exitHead("early") { b in try head(&b, stem, "early") }
        b.endStage("stem")
        if earlyExitAfter == 1 { h = try conv(h, k: 5, cin: c, cout: c * 3 / 2, stride: 2, "conv2") }
        h = try conv(h, k: 5, cin: c * 3 / 2, cout: 2 * c, stride: 2, "conv3")
        h = try conv(h, k: 3, cin: 2 * c, cout: 2 * c, stride: 1, "conv4")
        let body = h
        try b.exitHead("final") { b in try head(&b, body, "final") }
        b.endStage("body")
        return try b.build()
    }
}

/// Decides after each exit whether a beat's classification may stop there when no adaptive policy is
/// in use (``BeatClassifier/adaptive`` nil): ``FixedThresholdPolicy``.
public protocol BeatExitPolicy: Sendable {
    /// Whether to stop at exit `index` (not the final one) given its class probabilities.
    func shouldStop(exit index: Int, probabilities: UnsafeBufferPointer<Float>) -> Bool
}

/// Stop at an early exit when its top probability reaches `threshold` (1.0: always run to the end).
public struct FixedThresholdPolicy: BeatExitPolicy {
    public var threshold: Float
    public init(threshold: Float = 0.95) { self.threshold = threshold }
    public func shouldStop(exit index: Int, probabilities: UnsafeBufferPointer<Float>) -> Bool {
        (probabilities.max() ?? 0) >= threshold
    }
}

/// A classified beat.
public struct BeatDecision: Sendable, Equatable {
    public var aami: AAMIClass
    public var confidence: Float
    /// Name of the exit that decided.
    public var exit: String
    public var exitIndex: Int
    /// Classifier MACs spent on this beat.
    public var macs: Int
}

/// Runs the beat model on one beat at a time through the ``Executor`` (no allocation per beat).
public final class BeatClassifier: @unchecked Sendable {
    public let model: Model
    public let executor: Executor
    public var policy: any BeatExitPolicy
    /// MACs of a full run to the final exit.
    public let fullMACs: Int
    /// Per-class factors applied to the probabilities before the decision (a prior shift tuned on
    /// held-out DS1 records; from the model's `wearable.classScale` metadata, default all 1).
    public var classScale: [Float]
    /// The adaptive exit policy (EdgewisePolicy), when the model carries a calibration and a mode was
    /// chosen; it then decides instead of ``policy``.
    public var adaptive: ExitPolicy?

    public init(model: Model, policy: any BeatExitPolicy = FixedThresholdPolicy()) throws {
        self.model = model
        executor = try Executor(graph: model.graph)
        self.policy = policy
        fullMACs = executor.runToEnd().cumulativeMACs
        classScale = model.metadata["wearable.classScale"].map { $0.split(separator: ",").compactMap { Float($0) } } ?? []
        if classScale.count != 5 { classScale = [Float](repeating: 1, count: 5) }
    }

    /// Whether the model carries an exit calibration for the adaptive policy.
    public var isCalibrated: Bool { ((try? PolicyCalibration(model: model)) ?? nil) != nil }

    /// Switches to the adaptive policy in `mode`, using the calibration stored in the model
    /// (`wearable calibrate`); stage latencies are measured now.
    public func useAdaptivePolicy(mode: PolicyMode, file: String) throws {
        guard let cal = try PolicyCalibration(model: model, file: file) else {
            throw PolicyError.notCalibrated("\(file) has no exit calibration; run `wearable calibrate` first")
        }
        let p = try ExitPolicy(calibration: cal, mode: mode)
        p.measureLatency(executor)
        adaptive = p
    }

    /// Calibrates the exits on labelled beats (held-out DS1 records) and stores the calibration in `model`.
    public static func calibrate(model: inout Model, beats: [BeatFeatures], labels: [Int]) throws -> PolicyCalibration {
        let exec = try Executor(graph: model.graph)
        let obs = ExitObservations.collect(executor: exec, count: beats.count, labels: { labels[$0] },
                                           features: { i, buf in beats[i].input.withUnsafeBufferPointer { _ = buf.update(fromContentsOf: $0) } })
        let cal = Calibrator.calibrate(obs, measure: .maxProbability)
        try cal.store(in: &model)
        return cal
    }

    /// Loads a model file.
    public convenience init(path: String, policy: any BeatExitPolicy = FixedThresholdPolicy()) throws {
        try self.init(model: try ModelFile.read(path: path), policy: policy)
    }

    /// Classifies one beat's input (``BeatExtractor/inputSize`` floats).
    public func classify(_ input: [Float]) -> BeatDecision {
        input.withUnsafeBufferPointer { src in _ = executor.input.update(fromContentsOf: src) }
        let out: ExitOutput
        if let adaptive { out = adaptive.run(executor) } else {
            let policy = self.policy
            out = executor.run { e in e.isFinal || !policy.shouldStop(exit: e.index, probabilities: e.values) ? .continue : .stop }
        }
        var best = 0, sum: Float = 0, top: Float = -1
        for k in out.values.indices {
            let p = out.values[k] * (k < classScale.count ? classScale[k] : 1)
            sum += p
            if p > top { top = p; best = k }
        }
        return BeatDecision(aami: AAMIClass(rawValue: best) ?? .q, confidence: top / max(sum, 1e-12), exit: out.name, exitIndex: out.index, macs: out.cumulativeMACs)
    }
}
