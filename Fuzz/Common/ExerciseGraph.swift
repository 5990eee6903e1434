// Shared by both fuzz targets (Fuzz/ModelLoader and Fuzz/TFLiteImportFuzzer link to this file): what a
// fuzz input that decodes goes on to do. As TFLite Micro's fuzzers do, a graph that loads is compiled
// into an executor and invoked once, so the fuzzers reach validation, MAC counting, arena planning,
// `Executor.init` and every kernel, not just the parser.
import EdgewiseCore

/// The arena a fuzz input may ask for: 64 MiB, so libFuzzer's RSS limit is never the one that stops it.
let fuzzMaxArenaBytes = 64 << 20

/// The most work one input may cost (multiply-accumulates, estimated below): keeps each run well under
/// libFuzzer's timeout. Larger graphs still go through validation and `Executor.init`; they are not run.
let fuzzMaxWork = 1 << 22

/// Elements of `shape`, or nil if the product overflows (shapes here come from the input bytes).
func checkedElements(_ shape: Shape) -> Int? {
    var n = 1
    for d in shape.dims {
        guard d >= 0 else { return nil }
        let (p, o) = n.multipliedReportingOverflow(by: d)
        if o { return nil }
        n = p
    }
    return n
}

/// An upper estimate of the multiply-accumulates of one run, computed with overflow checks and without
/// `Graph.macs` (whose own overflow handling is what the fuzzer tests): each node costs its output
/// elements times the largest input's last dimension, times the weights' window for convolutions.
func estimatedWork(_ graph: Graph) -> Int? {
    var total = 0
    for (node, _, _) in graph.nodesInExecutionOrder {
        guard let out = checkedElements(graph.values[node.output].shape) else { return nil }
        var perOutput = 1
        for input in node.inputs {
            let s = graph.values[input].shape
            guard let n = checkedElements(s) else { return nil }
            // Weights: all of a constant's elements per output channel is an upper bound for conv/dense.
            let each = graph.constants[input] != nil ? n : (s.dims.last ?? 1)
            perOutput = max(perOutput, each)
        }
        let (w, o1) = out.multipliedReportingOverflow(by: perOutput)
        let (t, o2) = total.addingReportingOverflow(w)
        if o1 || o2 { return nil }
        total = t
    }
    return total
}

/// Validates `graph`, compiles an executor with a small arena cap, and runs it once through every exit.
/// Errors are the expected outcome for most inputs; a trap, a sanitizer report or a hang is a bug.
func exerciseExecutor(_ graph: Graph) {
    guard (try? graph.validate()) != nil else { return }
    guard let executor = try? Executor(graph: graph, options: .init(isa: .best, maxArenaBytes: fuzzMaxArenaBytes)) else { return }
    guard let work = estimatedWork(graph), work <= fuzzMaxWork else { return }
    runEveryExit(executor, graph)
    // The Swift reference kernels too, on the smaller graphs (they are plain loops, slow under ASan).
    if work <= fuzzMaxWork / 8, let reference = try? Executor(graph: graph, options: .init(isa: .reference, maxArenaBytes: fuzzMaxArenaBytes)) {
        runEveryExit(reference, graph)
    }
}

/// One run from the (zeroed) input through every exit to the final one.
func runEveryExit(_ executor: Executor, _ graph: Graph) {
    var exitsSeen = 0
    let last = executor.run { _ in exitsSeen += 1; return .continue }
    precondition(exitsSeen == graph.exits.count - 1 && last.isFinal, "a run to the end did not pass every exit")
    _ = last.values.reduce(Float(0), +)   // read the output
}
