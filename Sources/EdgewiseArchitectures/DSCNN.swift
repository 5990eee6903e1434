import EdgewiseCore

/// Depthwise-separable CNN keyword-spotting architectures (Zhang et al., "Hello Edge", 2017), as in
/// Arm's ML-zoo DS-CNN models, built as multi-exit graphs.
public enum DSCNN {
    /// The shape of one DS-CNN variant.
    public struct Config: Sendable {
        public var inputFrames = 49, inputCoefficients = 10, classes = 12
        public var channels = 64
        public var firstKernel = Size2D(10, 4), firstStride = Size2D(2, 2)
        public var blocks = 4
        /// Attach an early exit after this many blocks (nil for a single-exit model).
        public var earlyExitAfterBlock: Int? = 1
        /// Insert inference-mode batch norms after each conv (folded by the executor), as a trained
        /// model has them.
        public var batchNorm = false

        public init() {}

        /// DS-CNN-S: 64 channels, 4 blocks, ≈ 2.66 M MACs (matches ML-zoo's `ds_cnn_s`).
        public static var small: Config { Config() }
    }

    /// Builds the graph with He-initialised random weights from `seed`. Input `[1, frames, coeffs, 1]`;
    /// each exit ends in softmax probabilities over `classes`.
    public static func build(_ c: Config = .small, seed: UInt64 = 42) throws -> Graph {
        var rng = SeededGenerator(seed: seed)
        var b = GraphBuilder()
        func he(_ fanIn: Int, _ count: Int) -> [Float] {
            let s = (6 / Float(fanIn)).squareRoot()
            return rng.uniform(count: count, -s...s)
        }
        func bn(_ x: ValueID, _ name: String) throws -> ValueID {
            let ch = c.channels
            let g = b.constant("\(name).gamma", shape: [ch], floats: rng.uniform(count: ch, 0.8...1.2))
            let be = b.constant("\(name).beta", shape: [ch], floats: rng.uniform(count: ch, -0.1...0.1))
            let m = b.constant("\(name).mean", shape: [ch], floats: rng.uniform(count: ch, -0.1...0.1))
            let v = b.constant("\(name).variance", shape: [ch], floats: rng.uniform(count: ch, 0.5...1.5))
            let y = try b.node(.batchNorm(epsilon: 1e-3), inputs: [x, g, be, m, v], name: "\(name).bn")
            return try b.node(.activation(.relu), y, name: "\(name).relu")
        }
        let x = b.input("mfcc", shape: [1, c.inputFrames, c.inputCoefficients, 1])
        let k = c.firstKernel
        let pad = Padding.same(inputHW: (c.inputFrames, c.inputCoefficients), kernelHW: (k.h, k.w), strideHW: (c.firstStride.h, c.firstStride.w))
        let act: Activation = c.batchNorm ? .none : .relu
        var h = try b.conv2d(x, weights: he(k.h * k.w, k.h * k.w * c.channels), shape: [k.h, k.w, 1, c.channels],
                             bias: [Float](repeating: 0.01, count: c.channels),
                             .init(stride: c.firstStride, padding: pad, activation: act), name: "conv0")
        if c.batchNorm { h = try bn(h, "conv0") }
        func head(_ b: inout GraphBuilder, _ from: ValueID, _ name: String) throws -> ValueID {
            let pooled = try b.node(.globalAveragePool, from, name: "\(name).pool")
            let logits = try b.dense(pooled, weights: he(c.channels, c.channels * c.classes), outputs: c.classes,
                                     bias: [Float](repeating: 0, count: c.classes), name: "\(name).fc")
            return try b.node(.softmax, logits, name: "\(name).softmax")
        }
        for i in 1...c.blocks {
            let hw = b.values[h].shape
            let dpad = Padding.same(inputHW: (hw[1], hw[2]), kernelHW: (3, 3), strideHW: (1, 1))
            h = try b.depthwiseConv2d(h, weights: he(9, 9 * c.channels), shape: [3, 3, c.channels],
                                      bias: [Float](repeating: 0.01, count: c.channels),
                                      .init(padding: dpad, activation: act), name: "block\(i).dw")
            if c.batchNorm { h = try bn(h, "block\(i).dw") }
            h = try b.conv2d(h, weights: he(c.channels, c.channels * c.channels), shape: [1, 1, c.channels, c.channels],
                             bias: [Float](repeating: 0.01, count: c.channels), .init(activation: act), name: "block\(i).pw")
            if c.batchNorm { h = try bn(h, "block\(i).pw") }
            if i == c.earlyExitAfterBlock {
                let trunkEnd = h
                try b.exitHead("early") { b in try head(&b, trunkEnd, "early") }
                b.endStage("stem")
            }
        }
        let trunkEnd = h
        try b.exitHead("final") { b in try head(&b, trunkEnd, "final") }
        b.endStage("body")
        return try b.build()
    }
}
