import CEdgewiseKernels
import Dispatch

/// How an ``Executor`` runs.
public struct ExecutionOptions: Sendable {
    /// Kernel family; `nil` means `EDGEWISE_ISA` from the environment, else the best this CPU has.
    public var isa: KernelISA?
    /// Worker threads for large layers. 1 (the default, and the benchmark setting) runs everything on
    /// the calling thread and performs no heap allocation per inference.
    public var threads: Int
    /// Layers with at least this many multiply-accumulates are split over `threads`.
    public var parallelMACThreshold: Int
    /// Fold batch norms and fuse clamp activations before compiling (``Graph/finalized()``). Turn off
    /// only to run a graph exactly as written, e.g. to check the folding itself.
    public var finalizeGraph: Bool
    /// The largest arena the executor will allocate; a model asking for more is refused at load (models
    /// can come from untrusted files).
    public var maxArenaBytes: Int

    public init(isa: KernelISA? = nil, threads: Int = 1, parallelMACThreshold: Int = 1 << 20, finalizeGraph: Bool = true,
                maxArenaBytes: Int = 2 << 30) {
        self.isa = isa; self.threads = max(1, threads); self.parallelMACThreshold = parallelMACThreshold
        self.finalizeGraph = finalizeGraph; self.maxArenaBytes = maxArenaBytes
    }
}

/// The output of one exit, valid until the next run.
public struct ExitOutput {
    /// Index of the exit in ``Graph/exits`` order.
    public let index: Int
    public let name: String
    /// The exit's output values, inside the executor's arena.
    public let values: UnsafeBufferPointer<Float>
    /// Multiply-accumulates executed to reach this exit.
    public let cumulativeMACs: Int
    /// Whether this is the graph's last exit.
    public let isFinal: Bool
}

/// What to do after an exit.
public enum ExitDecision: Sendable {
    case stop
    case `continue`
}

/// Runs a validated float32 graph stage by stage over one pre-planned arena.
///
/// Everything is decided at init: batch norms are folded, kernels chosen for the CPU, shapes checked,
/// the arena planned and allocated, and every node compiled into a step with its pointers resolved.
/// A run then only executes steps: no shape checks, no allocation (single-threaded).
///
/// ```swift
/// let exec = try Executor(graph: graph)
/// exec.input.update(from: features)
/// let out = exec.run { exit in exit.values.max()! > 0.9 ? .stop : .continue }
/// ```
public final class Executor: @unchecked Sendable {
    /// The graph as executed (batch norms folded).
    public let graph: Graph
    public let isa: KernelISA
    public let plan: MemoryPlan
    public let options: ExecutionOptions
    /// The model input inside the arena: write features here before ``run(_:)``.
    public let input: UnsafeMutableBufferPointer<Float>

    /// One compiled node.
    struct Step {
        let node: Node
        let stage: Int
        let inHead: Bool
        let macs: Int
        let run: () -> Void
    }
    private(set) var steps: [Step] = []
    /// Steps the last run executed (nodes after a stopping exit are not executed).
    public private(set) var lastRunStepCount = 0
    /// Step ranges per stage: trunk, then head.
    private var stageRanges: [(trunk: Range<Int>, head: Range<Int>?)] = []
    private var exitOutputs: [ExitOutput] = []
    private let arena: UnsafeMutableRawPointer

    public init(graph source: Graph, options: ExecutionOptions = .init()) throws {
        do { try source.validate() } catch let e as GraphError { throw ExecutorError.invalidGraph(e) }
        let graph = options.finalizeGraph ? source.finalized() : source
        for v in graph.values where v.dtype != .float32 { throw ExecutorError.unsupportedDType(value: v.name, dtype: v.dtype) }
        self.graph = graph
        self.options = options
        self.isa = try options.isa.map { isa in
            guard isa.isAvailable else { throw ExecutorError.isaUnavailable(isa) }
            return isa
        } ?? KernelISA.resolve(nil)
        let order = graph.nodesInExecutionOrder
        // Sizes come from files: scratch sizes are overflow-checked (validation did too) and the planner
        // saturates instead of overflowing, so an absurd model reaches the arena limit check below.
        var scratch: [Int] = []
        for (node, _, _) in order {
            guard let bytes = Executor.scratchBytes(for: node, in: graph) else {
                throw ExecutorError.arenaTooLarge(bytes: .max, limit: options.maxArenaBytes)
            }
            scratch.append(bytes)
        }
        plan = MemoryPlan(graph: graph, scratchBytes: scratch, planner: GreedyArenaPlanner())
        guard plan.arenaBytes <= options.maxArenaBytes, plan.arenaBytes < Int.max / 2 else {
            throw ExecutorError.arenaTooLarge(bytes: plan.arenaBytes, limit: options.maxArenaBytes)
        }
        arena = UnsafeMutableRawPointer.allocate(byteCount: max(plan.arenaBytes, arenaAlignment), alignment: arenaAlignment)
        arena.initializeMemory(as: UInt8.self, repeating: 0, count: max(plan.arenaBytes, arenaAlignment))
        input = UnsafeMutableBufferPointer(start: (arena + plan.valueOffsets[graph.input]!).assumingMemoryBound(to: Float.self),
                                           count: graph.values[graph.input].shape.elementCount)
        var cumulative = 0
        for (si, stage) in graph.stages.enumerated() {
            let t0 = steps.count
            for n in stage.nodes { steps.append(try compile(n, stage: si, inHead: false, step: steps.count, scratch: scratch)) }
            let trunk = t0..<steps.count
            var head: Range<Int>? = nil
            if let e = stage.exit {
                let h0 = steps.count
                for n in e.nodes { steps.append(try compile(n, stage: si, inHead: true, step: steps.count, scratch: scratch)) }
                head = h0..<steps.count
                cumulative = steps[..<steps.count].reduce(0) { $0 + $1.macs }
                let out = graph.values[e.output]
                exitOutputs.append(ExitOutput(index: exitOutputs.count, name: e.name,
                                              values: UnsafeBufferPointer(start: pointer(e.output), count: out.shape.elementCount),
                                              cumulativeMACs: cumulative, isFinal: si == graph.stages.count - 1))
            }
            stageRanges.append((trunk, head))
        }
    }

    deinit { arena.deallocate() }

    /// The exits in order, with their output buffers (valid after a run reaches them).
    public var exits: [ExitOutput] { exitOutputs }

    /// Runs stage by stage. After each exit, `decide` sees its output and says whether to go on;
    /// nodes after a `.stop` are never computed. Returns the exit where the run stopped (the final
    /// exit if `decide` never stopped it).
    @discardableResult
    public func run(_ decide: (ExitOutput) -> ExitDecision) -> ExitOutput {
        var exitIndex = 0
        for (trunk, head) in stageRanges {
            for i in trunk { steps[i].run() }
            lastRunStepCount = trunk.upperBound
            if let head {
                for i in head { steps[i].run() }
                lastRunStepCount = head.upperBound
                let out = exitOutputs[exitIndex]
                if out.isFinal || decide(out) == .stop { return out }
                exitIndex += 1
            }
        }
        return exitOutputs[exitOutputs.count - 1]
    }

    /// Runs every stage and returns the final exit.
    @discardableResult
    public func runToEnd() -> ExitOutput { run { _ in .continue } }

    /// Copies `features` in, runs to the final exit and returns a copy of its output.
    public func predict(_ features: [Float]) throws -> [Float] {
        guard features.count == input.count else { throw ExecutorError.inputSize(expected: input.count, got: features.count) }
        _ = input.update(fromContentsOf: features)
        return Array(runToEnd().values)
    }

    /// Per-step wall time in nanoseconds, median over `iterations` runs of the whole graph.
    public func profileSteps(iterations: Int) -> [(node: Node, macs: Int, nanoseconds: Double)] {
        var samples = [[UInt64]](repeating: [], count: steps.count)
        for _ in 0..<max(1, iterations) {
            for (i, s) in steps.enumerated() {
                let t0 = DispatchTime.now().uptimeNanoseconds
                s.run()
                samples[i].append(DispatchTime.now().uptimeNanoseconds - t0)
            }
        }
        return steps.enumerated().map { i, s in
            let sorted = samples[i].sorted()
            return (s.node, s.macs, Double(sorted[sorted.count / 2]))
        }
    }

    // MARK: - Compilation

    private func pointer(_ v: ValueID) -> UnsafeMutablePointer<Float> {
        if let c = graph.constants[v] { return UnsafeMutablePointer(mutating: c.floats.baseAddress!) }
        return (arena + plan.valueOffsets[v]!).assumingMemoryBound(to: Float.self)
    }

    /// The C kernels' geometry for a conv/depthwise node with a `kernel.h × kernel.w` window.
    static func convParams(_ xs: Shape, _ ys: Shape, kernel: Size2D, _ a: ConvAttributes, clamp: (Float, Float)) -> ew_conv_params {
        let x = xs.nhwc, y = ys.nhwc
        return ew_conv_params(batch: Int32(x.n), in_h: Int32(x.h), in_w: Int32(x.w), in_c: Int32(x.c),
                              out_h: Int32(y.h), out_w: Int32(y.w), out_c: Int32(y.c),
                              k_h: Int32(kernel.h), k_w: Int32(kernel.w),
                              stride_h: Int32(a.stride.h), stride_w: Int32(a.stride.w),
                              dil_h: Int32(a.dilation.h), dil_w: Int32(a.dilation.w),
                              pad_top: Int32(a.padding.top), pad_left: Int32(a.padding.left),
                              depth_multiplier: Int32(a.depthMultiplier), act_min: clamp.0, act_max: clamp.1)
    }

    static func poolParams(_ xs: Shape, _ ys: Shape, window: Size2D, stride: Size2D, padding: Padding) -> ew_conv_params {
        let x = xs.nhwc, y = ys.nhwc
        return ew_conv_params(batch: Int32(x.n), in_h: Int32(x.h), in_w: Int32(x.w), in_c: Int32(x.c),
                              out_h: Int32(y.h), out_w: Int32(y.w), out_c: Int32(y.c),
                              k_h: Int32(window.h), k_w: Int32(window.w), stride_h: Int32(stride.h), stride_w: Int32(stride.w),
                              dil_h: 1, dil_w: 1, pad_top: Int32(padding.top), pad_left: Int32(padding.left),
                              depth_multiplier: 1, act_min: -.infinity, act_max: .infinity)
    }

    /// Arena scratch the node's optimised step needs (``OperatorDefinition/scratchBytes(inputs:output:)``),
    /// `nil` when the size overflows.
    static func scratchBytes(for node: Node, in graph: Graph) -> Int? {
        node.op.definition.scratchBytes(inputs: node.inputs.map { graph.values[$0].shape }, output: graph.values[node.output].shape)
    }

    /// Compiles one node into a step: its operator's file decides the kernel (``OperatorDefinition/compile(_:)``).
    private func compile(_ node: Node, stage: Int, inHead: Bool, step: Int, scratch: [Int]) throws -> Step {
        let macs = graph.macs(of: node)
        let parallel = options.threads > 1 && macs >= options.parallelMACThreshold ? options.threads : 1
        let compiler = StepCompiler(node: node, graph: graph, table: isa.table?.pointee, parallel: parallel,
                                    scratch: scratch[step] > 0 ? arena + plan.scratchOffsets[step]! : nil,
                                    scratchByteCount: scratch[step], resolve: { [unowned self] v in self.pointer(v) })
        let run = try node.op.definition.compile(compiler)
        return Step(node: node, stage: stage, inHead: inHead, macs: macs, run: run)
    }

    /// Splits `rows` into `parts` contiguous bands and runs `body` on each, in parallel when `parts > 1`.
    static func parallelRows(_ rows: Int, _ parts: Int, _ body: (Int, Int) -> Void) {
        if parts <= 1 || rows < 2 * parts { body(0, rows); return }
        let band = (rows + parts - 1) / parts
        // Each band writes disjoint rows of the output; the closure is only called during this call.
        withoutActuallyEscaping(body) { body in
            let unchecked = UncheckedSendable(body)
            DispatchQueue.concurrentPerform(iterations: parts) { t in
                let r0 = t * band, r1 = min(rows, r0 + band)
                if r0 < r1 { unchecked.value(r0, r1) }
            }
        }
    }
}

/// Wraps a value the caller guarantees is safe to share across the worker threads of one call.
struct UncheckedSendable<T>: @unchecked Sendable {
    let value: T
    init(_ value: T) { self.value = value }
}
