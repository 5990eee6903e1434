import EdgewiseCore
import Testing
@testable import EdgewiseTrain

/// Finite-difference checks of every operator's backward pass (input and every parameter), on
/// random shapes drawn from each test's seed, for the reference kernels and the GEMM paths.
/// Bound: relative error < 1e-3 at every coordinate of these small tensors (see ``GradientCheck``).
@Suite struct OperatorGradientTests {
    static let seeds: [UInt64] = [1, 2, 3]

    @Test(arguments: seeds)
    func conv2d(seed: UInt64) throws {
        var rng = SeededGenerator(seed: seed)
        let oneD = seed == 3
        let n = Int.random(in: 1...2, using: &rng), h = oneD ? 1 : Int.random(in: 3...6, using: &rng), w = Int.random(in: 3...7, using: &rng)
        let cin = Int.random(in: 1...3, using: &rng), cout = Int.random(in: 1...4, using: &rng)
        let kh = oneD ? 1 : Int.random(in: 1...3, using: &rng), kw = Int.random(in: 1...3, using: &rng)
        let a = ConvAttributes(stride: .init(oneD ? 1 : Int.random(in: 1...2, using: &rng), Int.random(in: 1...2, using: &rng)),
                               dilation: .init(1, Int.random(in: 1...2, using: &rng)),
                               padding: .init(top: oneD ? 0 : Int.random(in: 0...1, using: &rng), bottom: oneD ? 0 : 1, left: Int.random(in: 0...2, using: &rng), right: 1),
                               activation: [.gelu, .sigmoid, .none][Int(seed) % 3])
        let xs: Shape = oneD ? [n, w, cin] : [n, h, w, cin]
        let wts = rng.uniform(count: kh * kw * cin * cout), bias = rng.uniform(count: cout)
        let g = try singleOpGraph(xs) { b, x in try b.conv2d(x, weights: wts, shape: [kh, kw, cin, cout], bias: bias, a) }
        for k in checkedKernels { try GradientCheck.expectCorrect(g, kernels: k, seed: seed, "conv2d \(xs) k\(kh)x\(kw) \(a)") }
    }

    @Test(arguments: seeds)
    func pointwiseConv(seed: UInt64) throws {
        var rng = SeededGenerator(seed: seed)
        let xs: Shape = [2, 3, Int.random(in: 2...5, using: &rng), Int.random(in: 2...6, using: &rng)]
        let cout = Int.random(in: 1...40, using: &rng)
        let wts = rng.uniform(count: xs[3] * cout)
        let g = try singleOpGraph(xs) { b, x in try b.conv2d(x, weights: wts, shape: [1, 1, xs[3], cout], .init(activation: .hardSwish)) }
        for k in checkedKernels { try GradientCheck.expectCorrect(g, kernels: k, seed: seed, "pointwise conv \(xs)→\(cout)") }
    }

    @Test(arguments: seeds)
    func depthwiseConv2d(seed: UInt64) throws {
        var rng = SeededGenerator(seed: seed)
        let m = seed == 2 ? 2 : 1
        let c = Int.random(in: 1...5, using: &rng)
        let xs: Shape = [Int.random(in: 1...2, using: &rng), Int.random(in: 2...5, using: &rng), Int.random(in: 5...7, using: &rng), c]
        let a = ConvAttributes(stride: .init(Int.random(in: 1...2, using: &rng), 1), dilation: .init(1, Int.random(in: 1...2, using: &rng)),
                               padding: .init(top: 1, bottom: 1, left: 1, right: 0), activation: .sigmoid, depthMultiplier: m)
        let wts = rng.uniform(count: 9 * c * m), bias = rng.uniform(count: c * m)
        let g = try singleOpGraph(xs) { b, x in try b.depthwiseConv2d(x, weights: wts, shape: [3, 3, c * m], bias: bias, a) }
        for k in checkedKernels { try GradientCheck.expectCorrect(g, kernels: k, seed: seed, "depthwise \(xs) m\(m)") }
    }

    @Test(arguments: seeds)
    func dense(seed: UInt64) throws {
        var rng = SeededGenerator(seed: seed)
        let xs: Shape = seed == 2 ? [2, 3, Int.random(in: 1...9, using: &rng)] : [Int.random(in: 1...4, using: &rng), Int.random(in: 1...20, using: &rng)]
        let out = Int.random(in: 1...35, using: &rng)
        let wts = rng.uniform(count: xs.last * out), bias = rng.uniform(count: out)
        let g = try singleOpGraph(xs) { b, x in try b.dense(x, weights: wts, outputs: out, bias: bias, activation: .gelu) }
        for k in checkedKernels { try GradientCheck.expectCorrect(g, kernels: k, seed: seed, "dense \(xs)→\(out)") }
    }

    static func batchNormGraph(_ xs: Shape, _ rng: inout SeededGenerator) throws -> Graph {
        let c = xs.last
        let gamma = rng.uniform(count: c, 0.5...1.5), beta = rng.uniform(count: c), mean = rng.uniform(count: c), v = rng.uniform(count: c, 0.5...2)
        return try singleOpGraph(xs) { b, x in
            let ids = [b.constant("gamma", shape: [c], floats: gamma), b.constant("beta", shape: [c], floats: beta),
                       b.constant("mean", shape: [c], floats: mean), b.constant("var", shape: [c], floats: v)]
            return try b.node(.batchNorm(epsilon: 1e-3), inputs: [x] + ids)
        }
    }

    @Test(arguments: seeds)
    func batchNormTrainingMode(seed: UInt64) throws {
        var rng = SeededGenerator(seed: seed)
        let xs: Shape = [Int.random(in: 2...4, using: &rng), Int.random(in: 1...4, using: &rng), Int.random(in: 1...3, using: &rng)]
        let g = try Self.batchNormGraph(xs, &rng)
        // Batch statistics over a handful of rows are strongly curved: a smaller step keeps the
        // truncation error well under the bound (Richardson extrapolation removes the h² term).
        try GradientCheck.expectCorrect(g, kernels: .reference, seed: seed, training: true, eps: 1e-2, "batch norm (training) \(xs)")
    }

    @Test(arguments: seeds)
    func batchNormInferenceMode(seed: UInt64) throws {
        var rng = SeededGenerator(seed: seed)
        let xs: Shape = [Int.random(in: 1...3, using: &rng), Int.random(in: 1...4, using: &rng), Int.random(in: 1...3, using: &rng)]
        let g = try Self.batchNormGraph(xs, &rng)
        try GradientCheck.expectCorrect(g, kernels: .reference, seed: seed, training: false, "batch norm (inference) \(xs)")
    }

    @Test(arguments: Activation.allCases)
    func activation(_ act: Activation) throws {
        var rng = SeededGenerator(seed: 11)
        let xs: Shape = [3, 7]
        // Inputs at least 0.05 away from every kink (0, ±3, 6) so ±eps never crosses one.
        let pool: [Float] = [-7, -4, -3.5, -2.5, -1, -0.4, -0.1, 0.1, 0.3, 0.8, 2, 2.9, 3.2, 5, 5.8, 6.3, 8]
        let x = (0..<xs.elementCount).map { _ in pool.randomElement(using: &rng)! + rng.uniform(-0.04...0.04) }
        let g = try singleOpGraph(xs) { b, x in try b.node(.activation(act), x) }
        try GradientCheck.expectCorrect(g, kernels: .reference, seed: 11, input: x, eps: 1e-2, "activation \(act)")
    }

    /// Inputs whose values are distinct by at least 0.05, so a max never changes under ±eps.
    static func distinctInput(_ count: Int, _ rng: inout SeededGenerator) -> [Float] {
        (0..<count).map { Float($0) * 0.05 - Float(count) * 0.025 }.shuffled(using: &rng)
    }

    @Test(arguments: seeds)
    func maxPool(seed: UInt64) throws {
        var rng = SeededGenerator(seed: seed)
        let xs: Shape = [2, Int.random(in: 2...5, using: &rng), Int.random(in: 3...6, using: &rng), Int.random(in: 1...3, using: &rng)]
        let a = PoolAttributes(window: .init(2, Int.random(in: 2...3, using: &rng)), stride: .init(Int.random(in: 1...2, using: &rng), 2),
                               padding: .init(top: 0, bottom: 1, left: 1, right: 0))
        let g = try singleOpGraph(xs) { b, x in try b.node(.maxPool2d(a), x) }
        try GradientCheck.expectCorrect(g, kernels: .reference, seed: seed, input: Self.distinctInput(xs.elementCount, &rng), eps: 1e-2, "max pool \(xs)")
    }

    @Test(arguments: seeds)
    func averagePool(seed: UInt64) throws {
        var rng = SeededGenerator(seed: seed)
        let xs: Shape = [2, Int.random(in: 2...5, using: &rng), Int.random(in: 3...6, using: &rng), Int.random(in: 1...3, using: &rng)]
        let a = PoolAttributes(window: .init(Int.random(in: 1...3, using: &rng), 3), stride: .init(1, 2), padding: .init(top: 1, bottom: 0, left: 1, right: 1))
        let g = try singleOpGraph(xs) { b, x in try b.node(.averagePool2d(a), x) }
        try GradientCheck.expectCorrect(g, kernels: .reference, seed: seed, "average pool \(xs)")
    }

    @Test(arguments: seeds)
    func globalAveragePool(seed: UInt64) throws {
        var rng = SeededGenerator(seed: seed)
        let xs: Shape = seed == 1 ? [2, 5, 3] : [2, Int.random(in: 1...4, using: &rng), Int.random(in: 1...4, using: &rng), 3]
        let g = try singleOpGraph(xs) { b, x in try b.node(.globalAveragePool, x) }
        try GradientCheck.expectCorrect(g, kernels: .reference, seed: seed, "global average pool \(xs)")
    }

    @Test(arguments: seeds)
    func addConcatReshape(seed: UInt64) throws {
        var rng = SeededGenerator(seed: seed)
        let xs: Shape = [2, Int.random(in: 1...4, using: &rng), 3]
        let other = rng.uniform(count: 2 * 5 * 3)
        let axis = Int(seed) % 2 == 0 ? 1 : -1
        let g = try singleOpGraph(xs) { b, x in
            // add reads x twice (gradient accumulation), concat with a constant along `axis`, then flatten.
            let s = try b.node(.add(activation: .sigmoid), x, x)
            let cshape: Shape = axis == 1 ? [2, 5, 3] : [2, xs[1], 5]
            let c = b.constant("other", shape: cshape, floats: Array(other.prefix(cshape.elementCount)))
            let cat = try b.node(.concat(axis: axis), s, c)
            return try b.node(.reshape([2, b.values[cat].shape.elementCount / 2]), cat)
        }
        try GradientCheck.expectCorrect(g, kernels: .reference, seed: seed, "add+concat(axis \(axis))+reshape \(xs)")
    }

    @Test(arguments: seeds)
    func softmax(seed: UInt64) throws {
        var rng = SeededGenerator(seed: seed)
        let xs: Shape = [Int.random(in: 1...3, using: &rng), Int.random(in: 2...9, using: &rng)]
        let g = try singleOpGraph(xs) { b, x in try b.node(.softmax, x) }
        try GradientCheck.expectCorrect(g, kernels: .reference, seed: seed, "softmax \(xs)")
    }

    @Test(arguments: seeds)
    func layerNorm(seed: UInt64) throws {
        var rng = SeededGenerator(seed: seed)
        let xs: Shape = [2, Int.random(in: 1...3, using: &rng), Int.random(in: 2...8, using: &rng)]
        let d = xs.last
        let gamma = rng.uniform(count: d, 0.5...1.5), beta = rng.uniform(count: d)
        let g = try singleOpGraph(xs) { b, x in
            try b.node(.layerNorm(epsilon: 1e-5), x, b.constant("gamma", shape: [d], floats: gamma), b.constant("beta", shape: [d], floats: beta))
        }
        try GradientCheck.expectCorrect(g, kernels: .reference, seed: seed, "layer norm \(xs)")
    }

    @Test(arguments: [(UInt64(1), false), (2, true), (3, false), (4, true)])
    func matmul(seed: UInt64, transposeB: Bool) throws {
        var rng = SeededGenerator(seed: seed)
        let bt = Int.random(in: 1...3, using: &rng), m = Int.random(in: 1...5, using: &rng), k = Int.random(in: 1...6, using: &rng), n = Int.random(in: 1...7, using: &rng)
        let bs: Shape = transposeB ? [bt, n, k] : [bt, k, n]
        let bv = rng.uniform(count: bs.elementCount)
        let g = try singleOpGraph([bt, m, k]) { b, x in try b.node(.matmul(transposeB: transposeB), x, b.constant("b", shape: bs, floats: bv)) }
        for kern in checkedKernels { try GradientCheck.expectCorrect(g, kernels: kern, seed: seed, "matmul [\(bt),\(m),\(k)]×\(bs) transposeB \(transposeB)") }
    }

    @Test(arguments: seeds)
    func multiHeadSelfAttention(seed: UInt64) throws {
        var rng = SeededGenerator(seed: seed)
        let heads = Int.random(in: 1...2, using: &rng), d = heads * Int.random(in: 1...3, using: &rng)
        let xs: Shape = [Int.random(in: 1...2, using: &rng), Int.random(in: 1...4, using: &rng), d]
        let ws = (0..<4).map { _ in rng.uniform(count: d * d) }, bs = (0..<4).map { _ in rng.uniform(count: d) }
        let g = try singleOpGraph(xs) { b, x in
            let wi = ws.enumerated().map { b.constant("w\($0)", shape: [d, d], floats: $1) }
            let bi = bs.enumerated().map { b.constant("b\($0)", shape: [d], floats: $1) }
            return try b.node(.multiHeadSelfAttention(heads: heads), inputs: [x] + wi + bi)
        }
        for k in checkedKernels { try GradientCheck.expectCorrect(g, kernels: k, seed: seed, "attention \(xs) heads \(heads)") }
    }

    @Test func dropout() throws {
        let g = try singleOpGraph([4, 9]) { b, x in try b.node(.dropout(rate: 0.3), x) }
        try GradientCheck.expectCorrect(g, kernels: .reference, seed: 5, training: true, "dropout (training)")
        try GradientCheck.expectCorrect(g, kernels: .reference, seed: 5, training: false, "dropout (inference)")
        // Training drops about the rate and scales the rest; inference is the identity.
        let s = try TrainingSession(graph: try singleOpGraph([1, 4000]) { b, x in try b.node(.dropout(rate: 0.3), x) }, batchSize: 1)
        s.forward([Float](repeating: 1, count: 4000))
        let y = s.values(s.exitLogits[0])
        let dropped = y.filter { $0 == 0 }.count
        #expect(abs(Float(dropped) / 4000 - 0.3) < 0.03)
        #expect(y.allSatisfy { $0 == 0 || abs($0 - 1 / 0.7) < 1e-6 })
        s.isTraining = false
        s.forward([Float](repeating: 1, count: 4000))
        #expect(s.values(s.exitLogits[0]).allSatisfy { $0 == 1 })
    }
}
