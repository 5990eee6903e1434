import EdgewiseCore
import Testing
@testable import EdgewiseTrain

/// Finite-difference gradient check of a whole graph.
///
/// The loss is `L = Σ_j R_j·y_j` over the final exit's output with a fixed random `R`, so
/// `dL/dy = R`. Each checked coordinate `θ` is perturbed by ±`eps` and the numeric derivative is
/// `Σ_j R_j·(y⁺_j − y⁻_j) / 2eps`, summed in Double over output *differences* (outputs the
/// perturbation does not reach cancel exactly, so float32 rounding stays small).
/// The error of a coordinate is `|analytic − numeric| / max(|analytic|, |numeric|, floor)`.
struct GradientCheck {
    static let defaultEps: Float = 1e-2
    /// The bound every test states: relative error below 1e-2 (floor 0.05 on tiny gradients).
    static let tolerance: Float = 1e-2
    static let floor: Float = 0.05

    /// Worst relative error per checked tensor (the input and every trainable parameter).
    static func worstErrors(_ graph: Graph, kernels: TrainingKernels, seed: UInt64, input: [Float]? = nil,
                            training: Bool = true, coordinates: Int = 16, eps: Float = defaultEps) throws -> [(name: String, error: Float)] {
        let session = try TrainingSession(graph: graph, batchSize: graph.values[graph.input].shape[0], kernels: kernels)
        session.isTraining = training
        session.computesInputGradient = true
        session.dropoutSeed = 99
        var rng = SeededGenerator(seed: seed)
        let inputCount = graph.values[graph.input].shape.elementCount
        var x = input ?? rng.uniform(count: inputCount)
        let out = graph.exits.last!.head.output
        let r = rng.uniform(count: graph.values[out].shape.elementCount)
        session.forward(x)
        session.backward(seeds: [(out, r)])

        func outputs() -> [Float] { Array(session.values(out)) }
        func numeric(_ perturb: (Float) -> Void) -> Float {
            perturb(eps); session.forward(x); let plus = outputs()
            perturb(-2 * eps); session.forward(x); let minus = outputs()
            perturb(eps)
            var acc: Double = 0
            for j in plus.indices { acc += Double(r[j]) * (Double(plus[j]) - Double(minus[j])) }
            return Float(acc / (2 * Double(eps)))
        }
        func err(_ a: Float, _ n: Float) -> Float { abs(a - n) / max(abs(a), abs(n), floor) }

        var results: [(String, Float)] = []
        let dx = session.gradient(graph.input)
        var worst: Float = 0
        for _ in 0..<coordinates {
            let i = Int.random(in: 0..<inputCount, using: &rng)
            let n = numeric { x[i] += $0 }
            worst = max(worst, err(dx[i], n))
        }
        results.append(("input", worst))
        for id in session.parameterIDs where session.trainable.contains(id) {
            let analytic = session.gradient(id)
            var p = session.parameter(id)
            worst = 0
            for _ in 0..<min(coordinates, p.count) {
                let i = Int.random(in: 0..<p.count, using: &rng)
                let n = numeric { d in p[i] += d; session.setParameter(id, p) }
                worst = max(worst, err(analytic[i], n))
            }
            results.append((graph.values[id].name, worst))
        }
        return results
    }

    /// Checks every tensor against ``tolerance`` and records an issue naming the worst.
    static func expectCorrect(_ graph: Graph, kernels: TrainingKernels, seed: UInt64, input: [Float]? = nil,
                              training: Bool = true, eps: Float = defaultEps, _ what: String, sourceLocation: SourceLocation = #_sourceLocation) throws {
        for (name, e) in try worstErrors(graph, kernels: kernels, seed: seed, input: input, training: training, eps: eps) {
            #expect(e < tolerance, "\(what) [\(kernels)]: gradient of '\(name)' has relative error \(e)", sourceLocation: sourceLocation)
        }
    }
}

/// A one-operator graph: input `xs`, then `body` adds nodes; the final exit is the body's result.
func singleOpGraph(_ xs: Shape, _ body: (inout GraphBuilder, ValueID) throws -> ValueID) throws -> Graph {
    var b = GraphBuilder()
    let x = b.input("x", shape: xs)
    let y = try body(&b, x)
    b.exitHead("final") { _ in y }
    b.endStage("only")
    return try b.build()
}

/// The kernel families to check: the reference and the fastest this CPU runs.
let checkedKernels: [TrainingKernels] = TrainingKernels.best == .generic ? [.reference, .generic] : [.reference, .generic, .best]
