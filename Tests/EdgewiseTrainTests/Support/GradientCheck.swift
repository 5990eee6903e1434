import EdgewiseCore
import Testing
@testable import EdgewiseTrain

/// Finite-difference gradient check of a whole graph, tight enough to catch a backward pass that is off
/// by a factor of 1.01.
///
/// The loss is `L = Σ_j R_j·y_j` over the final exit's output with a fixed random `R`, so
/// `dL/dy = R`. Each checked coordinate `θ` is perturbed by ±`h` and ±`h/2`; each central difference
/// `Σ_j R_j·(y⁺_j − y⁻_j) / 2h` is summed in Double over output *differences* (outputs the
/// perturbation does not reach cancel exactly, so float32 rounding stays small), and the two are
/// combined by Richardson extrapolation, `(4·D(h/2) − D(h)) / 3`, which cancels the `h²` term: the
/// numeric derivative is accurate to `O(h⁴)` plus float32 rounding (about 1e-5 here), far below the bound.
/// The error of a coordinate is `|analytic − numeric| / max(|analytic|, |numeric|, floor)`.
/// Every coordinate of tensors up to ``exhaustiveLimit`` elements is checked; larger ones get
/// ``sampledCoordinates`` random coordinates.
struct GradientCheck {
    /// Step `h` (with `h/2` for the extrapolation). Large enough that float32 rounding of the outputs,
    /// divided by `h`, stays far below the bound; tests whose operators have kinks (ReLU, max) pass a
    /// smaller step with inputs kept away from the kinks.
    static let defaultEps: Float = 4e-2
    /// The bound every test states: relative error below 1e-3 (a 1.01 factor is 1e-2).
    static let tolerance: Float = 1e-3
    /// Gradients smaller than this are compared in absolute terms (error below 1e-3 × floor = 1e-4;
    /// a 1.01 factor on a gradient of 0.01 or more still exceeds it).
    static let floor: Float = 0.1
    /// Tensors with at most this many elements are checked at every coordinate.
    static let exhaustiveLimit = 512
    static let sampledCoordinates = 96

    /// Worst relative error per checked tensor (the input and every trainable parameter).
    static func worstErrors(_ graph: Graph, kernels: TrainingKernels, seed: UInt64, input: [Float]? = nil,
                            training: Bool = true, eps: Float = defaultEps) throws -> [(name: String, error: Float)] {
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
        /// Central difference with step `h`; `perturb(d)` adds `d` to the coordinate.
        func central(_ h: Float, _ perturb: (Float) -> Void) -> Double {
            perturb(h); session.forward(x); let plus = outputs()
            perturb(-2 * h); session.forward(x); let minus = outputs()
            perturb(h)
            var acc: Double = 0
            for j in plus.indices { acc += Double(r[j]) * (Double(plus[j]) - Double(minus[j])) }
            return acc / (2 * Double(h))
        }
        func numeric(_ perturb: (Float) -> Void) -> Float {
            let d1 = central(eps, perturb), d2 = central(eps / 2, perturb)
            return Float((4 * d2 - d1) / 3)
        }
        func err(_ a: Float, _ n: Float) -> Float { abs(a - n) / max(abs(a), abs(n), floor) }
        func coordinates(_ count: Int) -> [Int] {
            count <= exhaustiveLimit ? Array(0..<count) : (0..<sampledCoordinates).map { _ in Int.random(in: 0..<count, using: &rng) }
        }

        var results: [(String, Float)] = []
        let dx = session.gradient(graph.input)
        var worst: Float = 0
        for i in coordinates(inputCount) {
            let n = numeric { x[i] += $0 }
            worst = max(worst, err(dx[i], n))
        }
        results.append(("input", worst))
        for id in session.parameterIDs where session.trainable.contains(id) {
            let analytic = session.gradient(id)
            var p = session.parameter(id)
            worst = 0
            for i in coordinates(p.count) {
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
