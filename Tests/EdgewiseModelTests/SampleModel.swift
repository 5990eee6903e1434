import EdgewiseCore
@testable import EdgewiseModel

/// Deterministic pseudo-random floats in [-1, 1).
func pseudoRandomFloats(_ n: Int, seed: UInt64) -> [Float] {
    var s = seed &* 0x9E37_79B9_7F4A_7C15 | 1
    return (0..<n).map { _ in
        s ^= s << 13; s ^= s >> 7; s ^= s << 17
        return Float(s >> 40) / Float(1 << 23) - 1
    }
}

/// A small two-exit model: conv → (exit "early": pool, dense, softmax) → depthwise conv →
/// (exit "final": pool, dense on dequantised per-channel int8 weights, softmax), with labels, an input
/// spec, calibration tables for both exits and metadata.
func makeSampleModel() throws -> Model {
    var b = GraphBuilder()
    let x = b.input("mfcc", shape: [1, 8, 6, 2])
    let pad = Padding.same(inputHW: (8, 6), kernelHW: (3, 3), strideHW: (1, 1))
    let h = try b.conv2d(x, weights: pseudoRandomFloats(3 * 3 * 2 * 4, seed: 1), shape: [3, 3, 2, 4],
                         bias: pseudoRandomFloats(4, seed: 2), .init(padding: pad, activation: .relu), name: "conv")
    try b.exitHead("early") { b in
        let p = try b.node(.globalAveragePool, h, name: "early.pool")
        let d = try b.dense(p, weights: pseudoRandomFloats(4 * 3, seed: 3), outputs: 3, bias: pseudoRandomFloats(3, seed: 4), name: "early.dense")
        return try b.node(.softmax, d, name: "early.softmax")
    }
    b.endStage("stem")
    let dw = try b.depthwiseConv2d(h, weights: pseudoRandomFloats(3 * 3 * 4, seed: 5), shape: [3, 3, 4],
                                   bias: pseudoRandomFloats(4, seed: 6), .init(stride: .init(1, 2), activation: .relu6), name: "dw")
    // Per-output-channel int8 weights [In=4, Out=3], quantised along axis 1.
    let q: [Int8] = [-128, -7, 0, 1, 2, 3, 127, 64, -64, 5, -5, 100]
    let wq = b.constant("final.wq", shape: [4, 3], dtype: .int8,
                        quant: QuantParams(scales: [0.02, 0.015, 0.03], zeroPoints: [0, -1, 2], axis: 1),
                        data: TensorData(copying: q))
    try b.exitHead("final") { b in
        let p = try b.node(.globalAveragePool, dw, name: "final.pool")
        let w = try b.node(.dequantize, wq, name: "final.w")
        let bias = b.constant("final.bias", shape: [3], floats: [0.1, -0.2, 0.3])
        let d = try b.node(.dense(activation: .none), inputs: [p, w, bias], name: "final.dense")
        return try b.node(.softmax, d, name: "final.softmax")
    }
    b.endStage("body")
    let graph = try b.build()
    return Model(
        graph: graph,
        labels: ["yes", "no", "unknown — ünïcødé"],
        inputSpec: InputSpec(preprocessing: "mfcc", parameters: ["sampleRate": 16000, "windowMs": 30, "strideMs": 20, "mean": -0.125, "std": 3.5]),
        exitCalibration: [
            "early": ExitCalibration(thresholds: [0.5, 0.7, 0.9], accuracy: [0.8, 0.9, 0.97], exitRate: [0.6, 0.4, 0.1]),
            "final": ExitCalibration(thresholds: [0], accuracy: [0.93], exitRate: [1]),
        ],
        metadata: ["recipe": "adam lr=1e-3, 30 epochs", "dataset": "speech-commands-v2 (12 classes)", "metrics": "{\"top1\": 0.931}"])
}
