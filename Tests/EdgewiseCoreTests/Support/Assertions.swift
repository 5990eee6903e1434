import EdgewiseTesting
import Testing
@testable import EdgewiseCore

/// Largest absolute difference between two float sequences of equal length.
func maxAbsDiff<A: Collection<Float>, B: Collection<Float>>(_ a: A, _ b: B) -> Float {
    #expect(a.count == b.count)
    return zip(a, b).reduce(0) { max($0, abs($1.0 - $1.1)) }
}

/// Runs `graph` on `input` with the given kernel family and returns every exit's output.
func runAllExits(_ graph: Graph, _ input: [Float], isa: KernelISA, threads: Int = 1, finalize: Bool = true) throws -> [[Float]] {
    let e = try Executor(graph: graph, options: .init(isa: isa, threads: threads, parallelMACThreshold: 1, finalizeGraph: finalize))
    _ = e.input.update(fromContentsOf: input)
    var outs: [[Float]] = []
    e.run { out in outs.append(Array(out.values)); return .continue }
    outs.append(Array(e.exits.last!.values))
    return outs
}

/// The optimised kernel families this CPU can run (never `.reference`).
let optimisedISAs = KernelISA.allCases.filter { $0 != .reference && $0.isAvailable }

