import EdgewiseCore
import Testing
@testable import EdgewiseTrain

/// Finite-difference checks of the backward passes of the operators added through the
/// one-file-per-operator route (PAD, channel MEAN), which train through ``DifferentiableOperator``.
@Suite struct PadAndMeanGradientTests {
    @Test(arguments: [1, 2, 3] as [UInt64])
    func pad(seed: UInt64) throws {
        var rng = SeededGenerator(seed: seed)
        let xs: Shape = [Int.random(in: 1...2, using: &rng), Int.random(in: 2...4, using: &rng), Int.random(in: 2...4, using: &rng), 3]
        let a = PadAttributes(before: [0, Int.random(in: 0...2, using: &rng), 1, 0], after: [0, 1, Int.random(in: 0...2, using: &rng), 2], value: 0.5)
        // A dense after the pad so the loss depends on every padded element differently.
        let padded = Shape(zip(xs.dims, zip(a.before, a.after)).map { $0 + $1.0 + $1.1 })
        let w = rng.uniform(count: padded.last * 4)
        let g = try singleOpGraph(xs) { b, x in try b.dense(try b.node(.pad(a), x), weights: w, outputs: 4) }
        for k in checkedKernels { try GradientCheck.expectCorrect(g, kernels: k, seed: seed, "pad \(xs) \(a)") }
    }

    @Test(arguments: [1, 2] as [UInt64])
    func channelMean(seed: UInt64) throws {
        var rng = SeededGenerator(seed: seed)
        let xs: Shape = [2, Int.random(in: 2...5, using: &rng), Int.random(in: 3...9, using: &rng)]
        let w = rng.uniform(count: 3)
        let g = try singleOpGraph(xs) { b, x in
            try b.dense(try b.node(.channelMean(keepDims: true), x), weights: w, outputs: 3)
        }
        for k in checkedKernels { try GradientCheck.expectCorrect(g, kernels: k, seed: seed, "channel mean \(xs)") }
    }
}
