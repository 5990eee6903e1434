import Foundation
import Testing
@testable import EdgewiseCore

/// NaN and ±inf behave the same on every ISA as in the Swift reference: a NaN input stays NaN through a
/// fused clamp (ReLU/ReLU6 never turn it into a bound), max pooling propagates NaN, ±inf clamps to the
/// bounds. Each kernel family runs a small graph whose input holds NaN, +inf and -inf, on every available
/// ISA, and is compared with `.reference` position by position (NaN where the reference has NaN, the same
/// infinities, finite values within 1e-4).
@Suite struct NonFiniteKernelTests {
    /// A graph of one family: input `shape`, `body` builds the exit's output.
    struct Case: CustomStringConvertible, Sendable {
        var name: String
        var shape: Shape
        var body: @Sendable (inout GraphBuilder, ValueID) throws -> ValueID
        var description: String { name }
    }

    static func floats(_ n: Int, _ seed: UInt64) -> [Float] {
        var rng = SeededGenerator(seed: seed)
        return (0..<n).map { _ in Float.random(in: -1...1, using: &rng) }
    }

    static let pad1 = Padding(top: 1, bottom: 1, left: 1, right: 1)
    static let cases: [Case] = [
        Case(name: "conv 3x3 (im2col GEMM), no activation", shape: [1, 6, 6, 16]) { b, x in
            try b.conv2d(x, weights: floats(3 * 3 * 16 * 24, 1), shape: [3, 3, 16, 24], bias: floats(24, 2), .init(padding: pad1))
        },
        Case(name: "conv 3x3, fused ReLU", shape: [1, 6, 6, 16]) { b, x in
            try b.conv2d(x, weights: floats(3 * 3 * 16 * 24, 3), shape: [3, 3, 16, 24], bias: floats(24, 4), .init(padding: pad1, activation: .relu))
        },
        Case(name: "conv 1x1 (pointwise GEMM), fused ReLU6", shape: [1, 6, 6, 16]) { b, x in
            try b.conv2d(x, weights: floats(16 * 40, 5), shape: [1, 1, 16, 40], bias: floats(40, 6), .init(activation: .relu6))
        },
        Case(name: "depthwise 3x3, fused ReLU6", shape: [1, 6, 6, 16]) { b, x in
            try b.depthwiseConv2d(x, weights: floats(9 * 16, 7), shape: [3, 3, 16], bias: floats(16, 8), .init(padding: pad1, activation: .relu6))
        },
        Case(name: "depthwise 5x3 stride 2, fused ReLU", shape: [1, 6, 6, 16]) { b, x in
            try b.depthwiseConv2d(x, weights: floats(15 * 16, 9), shape: [5, 3, 16], bias: floats(16, 10),
                                  .init(stride: .init(2, 2), padding: Padding(top: 2, bottom: 2, left: 1, right: 1), activation: .relu))
        },
        Case(name: "dense, fused ReLU", shape: [1, 40]) { b, x in
            try b.dense(x, weights: floats(40 * 20, 11), outputs: 20, bias: floats(20, 12), activation: .relu)
        },
        Case(name: "max pool 3x3", shape: [1, 6, 6, 16]) { b, x in
            try b.node(.maxPool2d(PoolAttributes(window: .init(3, 3), stride: .init(1, 1), padding: pad1)), x)
        },
        Case(name: "average pool 2x2", shape: [1, 6, 6, 16]) { b, x in
            try b.node(.averagePool2d(PoolAttributes(window: .init(2, 2), stride: .init(2, 2))), x)
        },
        Case(name: "global average pool", shape: [1, 6, 6, 16]) { b, x in try b.node(.globalAveragePool, x) },
        // Add with a clamp runs ChannelLastKernels on the optimised ISAs. Standalone activations, softmax
        // and add without a clamp run the reference on every ISA (README "Kernels"), so comparing them
        // here would compare the reference with itself; `referenceActivationsOnNonFiniteInputs` checks
        // them against independent values instead.
        Case(name: "add with ReLU", shape: [1, 40]) { b, x in try b.node(.add(activation: .relu), x, x) },
    ]

    /// `n` values in [-1, 1] with NaN, +inf and -inf at a few fixed positions (several of each, so that
    /// windows see a NaN alone, an infinity alone, and both signs of infinity together).
    static func input(_ n: Int) -> [Float] {
        var x = floats(n, 99)
        for i in stride(from: 3, to: n, by: 97) { x[i] = .nan }
        for i in stride(from: 41, to: n, by: 131) { x[i] = .infinity }
        for i in stride(from: 44, to: n, by: 151) { x[i] = -.infinity }
        return x
    }

    static func run(_ c: Case, isa: KernelISA) throws -> [Float] {
        var b = GraphBuilder()
        let x = b.input("x", shape: c.shape)
        let y = try c.body(&b, x)
        b.exitHead("final") { _ in y }
        b.endStage("all")
        let e = try Executor(graph: try b.build(), options: .init(isa: isa))
        return try e.predict(input(c.shape.elementCount))
    }

    @Test(arguments: cases)
    func nonFiniteInputsAgreeWithTheReference(_ c: Case) throws {
        let reference = try Self.run(c, isa: .reference)
        #expect(reference.contains { $0.isNaN }, "\(c.name): the input's NaN should reach the output")
        for isa in KernelISA.allCases.filter(\.isAvailable) where isa != .reference {
            let out = try Self.run(c, isa: isa)
            #expect(out.count == reference.count)
            var bad: [String] = []
            for (i, (o, r)) in zip(out, reference).enumerated() {
                let same = r.isNaN ? o.isNaN : (r.isInfinite ? o == r : (o.isFinite && abs(o - r) <= 1e-4 * max(1, abs(r))))
                if !same { bad.append("[\(i)] \(o) vs \(r)") }
            }
            #expect(bad.isEmpty, "\(c.name) with \(isa): \(bad.count) positions differ from the reference, e.g. \(bad.prefix(4))")
        }
    }

    /// Standalone activations (reference kernel on every ISA) on NaN and ±inf, against values derived
    /// from their definitions: NaN stays NaN; relu(±inf) = inf/0, relu6(±inf) = 6/0, sigmoid(±inf) = 1/0.
    @Test func referenceActivationsOnNonFiniteInputs() throws {
        let expected: [(Activation, Float, Float)] = [(.relu, .infinity, 0), (.relu6, 6, 0), (.sigmoid, 1, 0)]
        for (act, atPlusInf, atMinusInf) in expected {
            var b = GraphBuilder()
            let x = b.input("x", shape: [1, 4])
            let y = try b.node(.activation(act), x)
            b.exitHead("final") { _ in y }
            b.endStage("all")
            let out = try Executor(graph: try b.build(), options: .init(isa: .reference)).predict([.nan, .infinity, -.infinity, 1])
            #expect(out[0].isNaN && out[1] == atPlusInf && out[2] == atMinusInf, "\(act): \(out)")
        }
        for act in [Activation.hardSwish, .gelu] {
            var b = GraphBuilder()
            let x = b.input("x", shape: [1, 2])
            let y = try b.node(.activation(act), x)
            b.exitHead("final") { _ in y }
            b.endStage("all")
            let out = try Executor(graph: try b.build(), options: .init(isa: .reference)).predict([.nan, .infinity])
            #expect(out[0].isNaN && out[1] == .infinity, "\(act): \(out)")
        }
    }

    /// The clamp's semantics on their own, independent of the reference: NaN stays NaN, ±inf goes to the bounds.
    @Test(arguments: KernelISA.allCases.filter(\.isAvailable))
    func fusedReLU6KeepsNaNAndClampsInfinities(isa: KernelISA) throws {
        var b = GraphBuilder()
        let x = b.input("x", shape: [1, 4])
        let y = try b.dense(x, weights: [1, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0], outputs: 3, activation: .relu6)
        b.exitHead("final") { _ in y }
        b.endStage("all")
        let e = try Executor(graph: try b.build(), options: .init(isa: isa))
        // Output j = x[j]·1 + the other inputs·0; IEEE: NaN·0 and ±inf·0 are NaN, so the non-finite input
        // reaches every output; only its own column is ±inf before the clamp.
        var out = try e.predict([.nan, 0, 0, 0])
        #expect(out.allSatisfy { $0.isNaN }, "\(isa): \(out)")
        out = try e.predict([0, .infinity, 0, 0])
        #expect(out[1] == 6 && out[0].isNaN && out[2].isNaN, "\(isa): \(out)")
        out = try e.predict([0, 0, -.infinity, 0])
        #expect(out[2] == 0 && out[0].isNaN && out[1].isNaN, "\(isa): \(out)")
    }
}
