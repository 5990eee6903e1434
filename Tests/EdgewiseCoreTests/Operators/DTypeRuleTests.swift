import Testing
@testable import EdgewiseCore

/// Each operator's dtype rule (in its own file, `OperatorDefinition.checkDTypes`) rejects what it must,
/// with an error naming the node; one rejected combination per rule family, and the accepted forms.
@Suite struct DTypeRuleTests {
    static let q = QuantParams(scale: 0.5, zeroPoint: 0)

    /// Builds a one-stage graph whose final exit is `body`'s output; returns the build error, if any.
    static func buildError(_ body: (inout GraphBuilder, ValueID) throws -> ValueID,
                           input dtype: DType = .float32, shape: Shape = [1, 4, 4, 2],
                           quant: QuantParams? = nil) -> GraphError? {
        var b = GraphBuilder()
        let x = b.input("x", shape: shape, dtype: dtype, quant: quant ?? (dtype == .float32 ? nil : q))
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

/// Quantisation parameters are validated with the graph (models come from untrusted files): scales finite
/// and positive, zero points within the dtype, per-axis counts matching the shape.
@Suite struct QuantParamValidationTests {
    static func error(_ q: QuantParams, dtype: DType = .int8, shape: Shape = [1, 4, 4, 2]) -> GraphError? {
        DTypeRuleTests.buildError({ b, x in try b.node(.dequantize, x, name: "dq") }, input: dtype, shape: shape, quant: q)
    }

    @Test func badParametersAreErrorsNamingTheValue() {
        let bad: [QuantParams] = [
            QuantParams(scale: 0, zeroPoint: 0), QuantParams(scale: -1, zeroPoint: 0),
            QuantParams(scale: .nan, zeroPoint: 0), QuantParams(scale: .infinity, zeroPoint: 0),
            QuantParams(scale: 1, zeroPoint: 128), QuantParams(scale: 1, zeroPoint: -129),
            QuantParams(scales: [1, 1, 1], zeroPoints: [0, 0, 0], axis: 3),   // 3 scales for 2 channels
            QuantParams(scales: [1, 1], zeroPoints: [0, 0], axis: 7),        // axis outside the shape
            QuantParams(scales: [1, 1], zeroPoints: [0, 0]),                 // two scales, per tensor
            QuantParams(scales: [1], zeroPoints: [0, 0]),
        ]
        for q in bad {
            let e = Self.error(q)
            guard case .dtypeMismatch(let name, let detail)? = e else { Issue.record("\(q): \(String(describing: e))"); continue }
            #expect(name == "x", "\(detail)")
        }
    }

    @Test func usableParametersPass() {
        #expect(Self.error(QuantParams(scale: 0.02, zeroPoint: -128)) == nil)
        #expect(Self.error(QuantParams(scales: [0.1, 0.2], zeroPoints: [0, 0], axis: 3)) == nil)
        #expect(Self.error(QuantParams(scale: 0.02, zeroPoint: 255), dtype: .uint8) == nil)
        #expect(Self.error(QuantParams(scale: 0.02, zeroPoint: -1), dtype: .uint8) != nil)
    }
}
