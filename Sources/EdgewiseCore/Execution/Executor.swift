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
        let scratch = order.map { Executor.scratchBytes(for: $0.node, in: graph) }
        plan = MemoryPlan(graph: graph, scratchBytes: scratch, planner: GreedyArenaPlanner())
        guard plan.arenaBytes <= options.maxArenaBytes else {
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

    private func buffer(_ v: ValueID) -> UnsafeMutableBufferPointer<Float> {
        UnsafeMutableBufferPointer(start: pointer(v), count: graph.values[v].shape.elementCount)
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

    static func scratchBytes(for node: Node, in graph: Graph) -> Int {
        switch node.op {
        case .conv2d(let a):
            let w = graph.values[node.inputs[1]].shape
            var p = convParams(graph.values[node.inputs[0]].shape, graph.values[node.output].shape,
                               kernel: Size2D(w[0], w[1]), a, clamp: (0, 0))
            return ew_conv2d_f32_scratch_bytes(&p)
        case .multiHeadSelfAttention:
            // Q, K, V, context, one head's scores, and one head's Kᵀ (GEMM path).
            let x = graph.values[node.inputs[0]].shape
            return (5 * x[1] * x[2] + x[1] * x[1]) * 4
        case .matmul(transposeB: true):
            // One batch of B transposed, for the GEMM path.
            let b = graph.values[node.inputs[1]].shape
            return b[-1] * b[-2] * 4
        default:
            return 0
        }
    }

    private func compile(_ node: Node, stage: Int, inHead: Bool, step: Int, scratch: [Int]) throws -> Step {
        let shapes = node.inputs.map { graph.values[$0].shape }
        let ys = graph.values[node.output].shape
        let x = buffer(node.inputs[0])
        let y = buffer(node.output)
        let xr = UnsafeBufferPointer(x)
        let macs = graph.macs(of: node)
        let table = isa.table?.pointee
        let parallel = options.threads > 1 && macs >= options.parallelMACThreshold ? options.threads : 1
        func const(_ i: Int) -> UnsafeBufferPointer<Float>? { node.inputs.count > i ? UnsafeBufferPointer(buffer(node.inputs[i])) : nil }
        /// Applies an activation the C kernels cannot fuse (they fuse clamps only).
        func postActivation(_ act: Activation) -> (() -> Void)? {
            guard act.clampBounds == nil else { return nil }
            return { ReferenceKernels.activation(UnsafeBufferPointer(y), act, into: y) }
        }
        var run: () -> Void

        switch node.op {
        case .conv2d(let a):
            let w = const(1)!, bias = const(2)
            if let table {
                var p = Executor.convParams(shapes[0], ys, kernel: Size2D(shapes[1][0], shapes[1][1]), a, clamp: a.activation.clampBounds ?? (-.infinity, .infinity))
                let scratchPtr = scratch[step] > 0 ? arena + plan.scratchOffsets[step]! : nil
                let conv = table.conv2d_f32!, gemm = table.gemm_f32!, post = postActivation(a.activation)
                let isPointwise = scratch[step] == 0
                let m = ys.elementCount / ys.last, n = ys.last, k = shapes[0].last
                if isPointwise && parallel > 1 {
                    run = {
                        Executor.parallelRows(m, parallel) { r0, r1 in
                            gemm(r1 - r0, n, k, xr.baseAddress! + r0 * k, k, w.baseAddress!, n, bias?.baseAddress,
                                 y.baseAddress! + r0 * n, n, p.act_min, p.act_max)
                        }
                        post?()
                    }
                } else {
                    run = {
                        conv(&p, xr.baseAddress!, w.baseAddress!, bias?.baseAddress, y.baseAddress!, scratchPtr)
                        post?()
                    }
                }
            } else {
                run = { ReferenceKernels.conv2d(xr, shapes[0], weights: w, shapes[1], bias: bias, a, into: y, ys) }
            }
        case .depthwiseConv2d(let a):
            let w = const(1)!, bias = const(2)
            if let table {
                var p = Executor.convParams(shapes[0], ys, kernel: Size2D(shapes[1][0], shapes[1][1]), a, clamp: a.activation.clampBounds ?? (-.infinity, .infinity))
                let dw = table.depthwise_conv2d_f32!, post = postActivation(a.activation)
                run = { dw(&p, xr.baseAddress!, w.baseAddress!, bias?.baseAddress, y.baseAddress!); post?() }
            } else {
                run = { ReferenceKernels.depthwiseConv2d(xr, shapes[0], weights: w, shapes[1], bias: bias, a, into: y, ys) }
            }
        case .dense(let act):
            let w = const(1)!, bias = const(2)
            let k = shapes[1][0], n = shapes[1][1], m = shapes[0].elementCount / k
            if let table {
                let gemm = table.gemm_f32!, clamp = act.clampBounds ?? (-.infinity, .infinity), post = postActivation(act)
                run = {
                    Executor.parallelRows(m, parallel) { r0, r1 in
                        gemm(r1 - r0, n, k, xr.baseAddress! + r0 * k, k, w.baseAddress!, n, bias?.baseAddress,
                             y.baseAddress! + r0 * n, n, clamp.min, clamp.max)
                    }
                    post?()
                }
            } else {
                run = { ReferenceKernels.dense(xr, shapes[0], weights: w, shapes[1], bias: bias, activation: act, into: y) }
            }
        case .batchNorm(let eps):
            let g = const(1)!, b = const(2)!, mu = const(3)!, v = const(4)!
            let c = shapes[0].last
            if table != nil {
                // Batch norms that could not be folded: per-channel scale and shift, computed once here.
                let scale = (0..<c).map { g[$0] / (v[$0] + eps).squareRoot() }
                let shift = (0..<c).map { b[$0] - mu[$0] * scale[$0] }
                run = {
                    scale.withUnsafeBufferPointer { sc in
                        shift.withUnsafeBufferPointer { sh in
                            ChannelLastKernels.scaleShift(xr.baseAddress!, count: y.count, channels: c, scale: sc.baseAddress!, shift: sh.baseAddress!, into: y.baseAddress!)
                        }
                    }
                }
            } else {
                run = { ReferenceKernels.batchNorm(xr, channels: c, gamma: g, beta: b, mean: mu, variance: v, epsilon: eps, into: y) }
            }
        case .activation(let act):
            run = { ReferenceKernels.activation(xr, act, into: y) }
        case .maxPool2d(let a), .averagePool2d(let a):
            let isMax: Bool
            if case .maxPool2d = node.op { isMax = true } else { isMax = false }
            if let table {
                let pool = table.pool2d_f32!
                var p = Executor.poolParams(shapes[0], ys, window: a.window, stride: a.stride, padding: a.padding)
                run = { pool(&p, xr.baseAddress!, y.baseAddress!, isMax ? 1 : 0) }
            } else {
                run = { ReferenceKernels.pool2d(xr, shapes[0], a, max: isMax, into: y, ys) }
            }
        case .globalAveragePool:
            if let table {
                // The whole map is one window.
                let pool = table.pool2d_f32!
                let x = shapes[0].nhwc
                var p = Executor.poolParams(shapes[0], shapes[0].rank == 4 ? [x.n, 1, 1, x.c] : [x.n, 1, x.c],
                                            window: Size2D(x.h, x.w), stride: .one, padding: .valid)
                run = { pool(&p, xr.baseAddress!, y.baseAddress!, 0) }
            } else {
                run = { ReferenceKernels.globalAveragePool(xr, shapes[0], into: y) }
            }
        case .add(let act):
            let b = UnsafeBufferPointer(buffer(node.inputs[1]))
            if table != nil, let clamp = act.clampBounds {
                run = { ChannelLastKernels.add(xr.baseAddress!, b.baseAddress!, count: y.count, clamp: clamp, into: y.baseAddress!) }
            } else {
                run = { ReferenceKernels.add(xr, b, activation: act, into: y) }
            }
        case .concat(let axis):
            let ins = node.inputs.map { UnsafeBufferPointer(buffer($0)) }
            if table != nil {
                let ax = axis < 0 ? shapes[0].rank + axis : axis
                let outer = shapes[0].dims[..<ax].reduce(1, *), inner = shapes[0].dims[(ax + 1)...].reduce(1, *)
                let slabs = shapes.map { $0[ax] * inner }, pointers = ins.map { $0.baseAddress! }
                run = { ChannelLastKernels.concat(pointers, slabs: slabs, outer: outer, into: y.baseAddress!) }
            } else {
                run = { ReferenceKernels.concat(ins, shapes, axis: axis, into: y) }
            }
        case .reshape, .dropout:
            if graph.isConstant(node.inputs[0]) {
                run = { _ = y.update(fromContentsOf: xr) }
            } else {
                run = {}  // the plan aliases the output to the input (dropout is the identity at inference)
            }
        case .softmax:
            run = { ReferenceKernels.softmax(xr, lastAxis: shapes[0].last, into: y) }
        case .layerNorm(let eps):
            let g = const(1)!, b = const(2)!
            run = { ReferenceKernels.layerNorm(xr, lastAxis: shapes[0].last, gamma: g, beta: b, epsilon: eps, into: y) }
        case .matmul(let tb):
            let b = UnsafeBufferPointer(buffer(node.inputs[1]))
            if let table {
                let gemm = table.gemm_f32!
                let m = shapes[0][-2], k = shapes[0][-1], n = ys[-1], batches = shapes[0].elementCount / (m * k)
                let packed = tb ? (arena + plan.scratchOffsets[step]!).assumingMemoryBound(to: Float.self) : nil
                run = {
                    for bt in 0..<batches {
                        var bp = UnsafePointer(b.baseAddress! + bt * k * n)
                        if let packed {
                            // B is [N, K]: transpose this batch into [K, N] for the GEMM.
                            ChannelLastKernels.transpose(bp, rows: n, cols: k, ld: k, into: packed)
                            bp = UnsafePointer(packed)
                        }
                        gemm(m, n, k, xr.baseAddress! + bt * m * k, k, bp, n, nil, y.baseAddress! + bt * m * n, n, -.infinity, .infinity)
                    }
                }
            } else {
                run = { ReferenceKernels.matmul(xr, shapes[0], b, shapes[1], transposeB: tb, into: y) }
            }
        case .multiHeadSelfAttention(let heads):
            let p = (1...8).map { const($0)! }
            let s = UnsafeMutableBufferPointer(start: (arena + plan.scratchOffsets[step]!).assumingMemoryBound(to: Float.self),
                                               count: scratch[step] / 4)
            if let table {
                let gemm = table.gemm_f32!
                let n = shapes[0][0], t = shapes[0][1], d = shapes[0][2], hd = d / heads
                let scale = 1 / Float(hd).squareRoot()
                let w = p.map { $0.baseAddress! }
                run = {
                    let q = s.baseAddress!, k = q + t * d, v = k + t * d, ctx = v + t * d, scores = ctx + t * d, kt = scores + t * t
                    for bt in 0..<n {
                        let xb = xr.baseAddress! + bt * t * d
                        gemm(t, d, d, xb, d, w[0], d, w[4], q, d, -.infinity, .infinity)
                        gemm(t, d, d, xb, d, w[1], d, w[5], k, d, -.infinity, .infinity)
                        gemm(t, d, d, xb, d, w[2], d, w[6], v, d, -.infinity, .infinity)
                        for h in 0..<heads {
                            let off = h * hd
                            // scores = Q_h · K_hᵀ (K_h packed transposed), scaled, softmax over keys.
                            ChannelLastKernels.transpose(k + off, rows: t, cols: hd, ld: d, into: kt)
                            gemm(t, t, hd, q + off, d, kt, t, nil, scores, t, -.infinity, .infinity)
                            for i in 0..<(t * t) { scores[i] *= scale }
                            let sb = UnsafeMutableBufferPointer(start: scores, count: t * t)
                            ReferenceKernels.softmax(UnsafeBufferPointer(sb), lastAxis: t, into: sb)
                            // context_h = scores · V_h, written into its column band of the context.
                            gemm(t, hd, t, scores, t, v + off, d, nil, ctx + off, d, -.infinity, .infinity)
                        }
                        gemm(t, d, d, ctx, d, w[3], d, w[7], y.baseAddress! + bt * t * d, d, -.infinity, .infinity)
                    }
                }
            } else {
                run = {
                ReferenceKernels.multiHeadSelfAttention(xr, shapes[0], heads: heads, wq: p[0], wk: p[1], wv: p[2], wo: p[3],
                                                        bq: p[4], bk: p[5], bv: p[6], bo: p[7], scratch: s, into: y)
                }
            }
        case .quantize, .dequantize:
            throw ExecutorError.unsupportedOperator(node: node.name, op: node.op.kindName, reason: "int8 execution arrives with the compression work")
        }
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
