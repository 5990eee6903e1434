import Testing
@testable import EdgewiseCore

/// Each operator's dtype rule (in its own file, `OperatorDefinition.checkDTypes`) rejects what it must,
/// with an error naming the node; one rejected combination per rule family, and the accepted forms.
@Suite struct DTypeRuleTests {
    static let q = QuantParams(scale: 0.5, zeroPoint: 0)

    /// Builds a one-stage graph whose final exit is `body`'s output; returns the build error, if any.
    static func buildError(_ body: (inout GraphBuilder, ValueID) throws -> ValueID,
                           input dtype: DType = .float32, shape: Shape = [1, 4, 4, 2]) -> GraphError? {
        var b = GraphBuilder()
        let x = b.input("x", shape: shape, dtype: dtype, quant: dtype == .float32 ? nil : q)
        do {
            let y = try body(&b, x)
            b.exitHead("final") { _ in y }
            b.endStage("s")
            _ = try b.build()
            return nil
        } catch let e as GraphError {
            return e
        } catch {
            Issue.record("unexpected error \(error)")
            return nil
        }
    }

    static func isDTypeError(_ e: GraphError?, node: String) -> Bool {
        if case .dtypeMismatch(let n, _)? = e { return n == node }
        return false
    }

    @Test func quantizeNeedsFloatInputAndQuantisedOutput() {
        let bad = Self.buildError({ b, x in try b.node(.quantize, x, name: "q", dtype: .float32) })
        #expect(Self.isDTypeError(bad, node: "q"))
        let good = Self.buildError({ b, x in try b.node(.quantize, x, name: "q", dtype: .int8, quant: Self.q) })
        #expect(good == nil)
    }

    @Test func dequantizeNeedsQuantisedInput() {
        let bad = Self.buildError({ b, x in try b.node(.dequantize, x, name: "dq") })
        #expect(Self.isDTypeError(bad, node: "dq"))
        let good = Self.buildError({ b, x in try b.node(.dequantize, x, name: "dq") }, input: .int8)
        #expect(good == nil)
    }

    @Test func elementwiseOutputKeepsTheInputDType() {
        let bad = Self.buildError({ b, x in try b.node(.activation(.relu), x, name: "act", dtype: .int8, quant: Self.q) })
        #expect(Self.isDTypeError(bad, node: "act"))
    }

    @Test func floatConvolutionRejectsQuantisedWeights() {
        let bad = Self.buildError({ b, x in
            let w = b.constant("w", shape: [1, 1, 2, 3], dtype: .int8, quant: Self.q,
                               data: TensorData(copying: [Int8](repeating: 0, count: 6)))
            return try b.node(.conv2d(ConvAttributes()), x, w, name: "conv")
        })
        #expect(Self.isDTypeError(bad, node: "conv"))
    }

    @Test func layerNormRejectsQuantisedParameters() {
        let bad = Self.buildError({ b, x in
            let gamma = b.constant("gamma", shape: [8], dtype: .int8, quant: Self.q,
                                   data: TensorData(copying: [Int8](repeating: 0, count: 8)))
            let beta = b.constant("beta", shape: [8], floats: [Float](repeating: 0, count: 8))
            return try b.node(.layerNorm(epsilon: 1e-5), x, gamma, beta, name: "ln")
        }, shape: [1, 8])
        #expect(Self.isDTypeError(bad, node: "ln"))
    }
}
