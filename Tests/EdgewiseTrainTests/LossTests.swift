import EdgewiseCore
import Foundation
import Testing
@testable import EdgewiseTrain

/// Finite-difference checks of every loss's gradient with respect to the logits (relative error
/// < 1e-2 with a floor of 1e-2 on tiny gradients), plus known values.
@Suite struct LossTests {
    /// Worst relative error of `grad` against central differences of `f` at `x`.
    static func worstError(_ x: [Float], _ f: ([Float]) -> Float, _ grad: [Float], eps: Float = 1e-2) -> Float {
        var worst: Float = 0
        for i in x.indices {
            var p = x, m = x
            p[i] += eps; m[i] -= eps
            let n = (Double(f(p)) - Double(f(m))) / (2 * Double(eps))
            worst = max(worst, abs(grad[i] - Float(n)) / max(abs(grad[i]), abs(Float(n)), 1e-2))
        }
        return worst
    }

    static func check(_ loss: Loss, seed: UInt64, batch: Int = 4, classes: Int = 5, soft: Bool = false) -> Float {
        var rng = SeededGenerator(seed: seed)
        let z = rng.uniform(count: batch * classes, -3...3)
        let labels = (0..<batch).map { _ in Int.random(in: 0..<classes, using: &rng) }
        let targets: [Float]? = soft ? rng.uniform(count: batch * classes, 0...1) : nil
        func f(_ v: [Float]) -> Float { v.withUnsafeBufferPointer { loss.evaluate(logits: $0, classes: classes, labels: labels, targets: targets) } }
        var g = [Float](repeating: 0, count: z.count)
        z.withUnsafeBufferPointer { zp in g.withUnsafeMutableBufferPointer { _ = loss.evaluate(logits: zp, classes: classes, labels: labels, targets: targets, gradient: $0) } }
        return worstError(z, f, g)
    }

    @Test(arguments: [UInt64(1), 2, 3])
    func crossEntropyGradients(seed: UInt64) {
        #expect(Self.check(Loss(.crossEntropy), seed: seed) < 1e-2)
        #expect(Self.check(Loss(.crossEntropy, labelSmoothing: 0.1), seed: seed) < 1e-2)
        #expect(Self.check(Loss(.crossEntropy, labelSmoothing: 0.2, classWeights: [0.2, 1, 3, 0.5, 2]), seed: seed) < 1e-2)
    }

    @Test(arguments: [UInt64(1), 2, 3])
    func binaryCrossEntropyAndMSEGradients(seed: UInt64) {
        #expect(Self.check(Loss(.binaryCrossEntropy), seed: seed) < 1e-2)
        #expect(Self.check(Loss(.binaryCrossEntropy), seed: seed, soft: true) < 1e-2)
        #expect(Self.check(Loss(.meanSquaredError), seed: seed) < 1e-2)
        #expect(Self.check(Loss(.meanSquaredError), seed: seed, soft: true) < 1e-2)
    }

    @Test(arguments: [UInt64(1), 2, 3])
    func distillationGradients(seed: UInt64) {
        var rng = SeededGenerator(seed: seed)
        let b = 3, c = 4
        let s = rng.uniform(count: b * c, -3...3), t = rng.uniform(count: b * c, -3...3)
        let labels = (0..<b).map { _ in Int.random(in: 0..<c, using: &rng) }
        for kd in [DistillationLoss(temperature: 1, alpha: 1), DistillationLoss(temperature: 4, alpha: 0.6)] {
            func f(_ v: [Float]) -> Float {
                v.withUnsafeBufferPointer { sp in t.withUnsafeBufferPointer { kd.evaluate(student: sp, teacher: $0, classes: c, labels: labels, hard: Loss(labelSmoothing: 0.1)) } }
            }
            var g = [Float](repeating: 0, count: s.count)
            s.withUnsafeBufferPointer { sp in t.withUnsafeBufferPointer { tp in g.withUnsafeMutableBufferPointer {
                _ = kd.evaluate(student: sp, teacher: tp, classes: c, labels: labels, hard: Loss(labelSmoothing: 0.1), gradient: $0) } } }
            #expect(Self.worstError(s, f, g) < 1e-2, "T=\(kd.temperature) α=\(kd.alpha)")
        }
    }

    @Test func knownValues() {
        let z = [Float](repeating: 0.5, count: 8)
        let ce = z.withUnsafeBufferPointer { Loss().evaluate(logits: $0, classes: 4, labels: [1, 3]) }
        #expect(abs(ce - Float(Foundation.log(4.0))) < 1e-6)
        // Identical teacher and student: zero divergence and zero gradient.
        var g = [Float](repeating: 0, count: 8)
        let zz: [Float] = [1, -2, 0.5, 3, 0, 0, 1, 2]
        let kl = zz.withUnsafeBufferPointer { s in g.withUnsafeMutableBufferPointer { DistillationLoss(temperature: 3).divergence(student: s, teacher: s, classes: 4, gradient: $0) } }
        #expect(abs(kl) < 1e-6 && g.allSatisfy { abs($0) < 1e-7 })
        // Class weights: a weight-0 class contributes nothing.
        let w = zz.withUnsafeBufferPointer { Loss(classWeights: [1, 0, 1, 1]).evaluate(logits: $0, classes: 4, labels: [1, 3]) }
        let only = Array(zz[4...]).withUnsafeBufferPointer { Loss().evaluate(logits: $0, classes: 4, labels: [3]) }
        #expect(abs(w - only) < 1e-6)
    }
}

/// Optimisers, schedules, weight decay and clipping on hand-checkable cases.
@Suite struct OptimizerTests {
    /// A session over one dense layer `[1,2]·[2,1]` (no bias), whose gradient the test sets.
    static func session(weights: [Float]) throws -> (TrainingSession, ValueID) {
        let g = try singleOpGraph([1, 2]) { b, x in try b.dense(x, weights: weights, outputs: 1) }
        let s = try TrainingSession(graph: g, batchSize: 1)
        return (s, s.parameterIDs[0])
    }

    static func setGradient(_ s: TrainingSession, _ id: ValueID, _ g: [Float]) {
        let (_, gb) = s.parameterAndGradient(id)
        for i in g.indices { gb[i] = g[i] }
    }

    @Test func adamWFirstStepIsLearningRateTimesSignAndDecayIsDecoupled() throws {
        let (s, id) = try Self.session(weights: [1, -2])
        let opt = Optimizer(OptimizerConfig(.adamW, learningRate: 0.1, weightDecay: 0.5))
        Self.setGradient(s, id, [3, -0.01])
        opt.update(s, learningRate: 0.1)
        let p = s.parameter(id)
        // w·(1 − lr·λ) − lr·sign(g)
        #expect(abs(p[0] - (1 * 0.95 - 0.1)) < 1e-5)
        #expect(abs(p[1] - (-2 * 0.95 + 0.1)) < 1e-4)
    }

    @Test func sgdMomentumAndClipping() throws {
        let (s, id) = try Self.session(weights: [0, 0])
        let opt = Optimizer(OptimizerConfig(.sgd, learningRate: 1, momentum: 0.5, clipGradientNorm: 1))
        Self.setGradient(s, id, [3, 4])          // norm 5, clipped to 1: (0.6, 0.8)
        #expect(abs(opt.update(s, learningRate: 1) - 5) < 1e-6)
        #expect(s.parameter(id).elementsEqual([-0.6, -0.8], by: { abs($0 - $1) < 1e-6 }))
        Self.setGradient(s, id, [0, 0])          // momentum carries half the velocity
        opt.update(s, learningRate: 1)
        #expect(s.parameter(id).elementsEqual([-0.9, -1.2], by: { abs($0 - $1) < 1e-6 }))
    }

    @Test func sgdMinimisesAQuadratic() throws {
        // L = ½‖w − (3, −1)‖², gradient w − target.
        let (s, id) = try Self.session(weights: [0, 0])
        let opt = Optimizer(OptimizerConfig(.sgd, learningRate: 0.1, momentum: 0.9, nesterov: true))
        for _ in 0..<200 {
            let w = s.parameter(id)
            Self.setGradient(s, id, [w[0] - 3, w[1] + 1])
            opt.update(s, learningRate: 0.1)
        }
        let w = s.parameter(id)
        #expect(abs(w[0] - 3) < 1e-3 && abs(w[1] + 1) < 1e-3)
    }

    @Test func schedules() {
        let warm = LearningRateSchedule(warmupSteps: 4, decay: .cosine, minimumFactor: 0.1)
        #expect(warm.factor(step: 0, totalSteps: 20) == 0.25)
        #expect(warm.factor(step: 3, totalSteps: 20) == 1)
        #expect(abs(warm.factor(step: 4, totalSteps: 20) - 1) < 1e-6)
        #expect(abs(warm.factor(step: 19, totalSteps: 20) - 0.1) < 1e-6)
        let mid = warm.factor(step: 4 + 15 / 2, totalSteps: 20)
        #expect(mid > 0.5 && mid < 0.65)
        let step = LearningRateSchedule(decay: .step, stepEvery: 10, stepFactor: 0.5)
        #expect(step.factor(step: 9, totalSteps: 100) == 1 && step.factor(step: 10, totalSteps: 100) == 0.5 && step.factor(step: 25, totalSteps: 100) == 0.25)
        #expect(LearningRateSchedule().factor(step: 50, totalSteps: 100) == 1)
    }
}
