import CEdgewiseKernels

/// Everything that is specific to one operator, in one file per operator under `Operators/`.
///
/// **Design.** ``Operator`` stays a plain enum (its cases are the model file's vocabulary and a `switch`
/// over them is exhaustive), and each case forwards, through the one registry
/// ``Operator/definition``, to a small struct in its own file that conforms to this protocol:
/// attributes, shape inference and validation, MAC count, the integer attributes the model file
/// range-checks, scratch size, its reference kernel (an `extension ReferenceKernels` in the same
/// file) and how it compiles into an executor step. The backward pass lives beside it in
/// EdgewiseTrain (`Sources/EdgewiseTrain/Operators/<Op>+Backward.swift`).
///
/// A protocol with per-operator conforming structs was chosen over one big enum with a `switch` per
/// concern because it keeps the code of one operator together and makes a forgotten requirement a
/// compile error in that operator's file; the enum is kept as the registry and the file format. The
/// existential call happens once per node when the executor is built, never per run: a run still
/// executes the precompiled closures, so the hot path is unchanged.
///
/// Adding an operator: one file here (struct + reference kernel), one case plus one registry line in
/// `Operator.swift`, a test, and, if models should bring it, an importer mapping.
///
/// **Data types.** ``compile(_:)`` picks the kernel by the input's dtype: ``compileFloat32(_:)`` now,
/// ``compileInt8(_:)`` (default: unsupported) is where an operator's int8 kernel slots in.
public protocol OperatorDefinition: Sendable {
    /// A short name for reports and errors (`conv2d`, `dense`, …).
    var kindName: String { get }
    /// How many inputs the operator takes.
    var inputArity: ClosedRange<Int> { get }
    /// The output shape for these input shapes (count already checked against ``inputArity``).
    /// Every size computed from file values is overflow-checked; problems throw via `check`.
    func outputShape(inputs: [Shape], check: ShapeCheck) throws -> Shape
    /// Multiply-accumulates one run performs, or `nil` when the count overflows `Int`. Default 0.
    func macs(inputs: [Shape], output: Shape) -> Int?
    /// Every integer attribute, for the model file's range check (``OperatorLimits/maxAttribute``). Default none.
    var integerAttributes: [Int] { get }
    /// Arena scratch bytes the optimised step needs, or `nil` when the size overflows. Default 0.
    func scratchBytes(inputs: [Shape], output: Shape) -> Int?
    /// Whether the output is the input itself at inference (reshape, dropout): the arena plan gives
    /// both one buffer when the input is not a constant. Default `false`.
    var aliasesInput: Bool { get }
    /// The float32 executor step: the C kernel of `c.table` when there is one, else the reference kernel.
    func compileFloat32(_ c: StepCompiler) throws -> () -> Void
    /// The int8 executor step. Default: throws ``ExecutorError/unsupportedOperator(node:op:reason:)``.
    func compileInt8(_ c: StepCompiler) throws -> () -> Void
    /// Checks the data types of the node's inputs (in order) and output; problems throw via `check`.
    /// Default: the output has the first input's dtype.
    func checkDTypes(inputs: [Value], output: Value, check: DTypeCheck) throws
}

extension OperatorDefinition {
    public func macs(inputs: [Shape], output: Shape) -> Int? { 0 }
    public var integerAttributes: [Int] { [] }
    public func scratchBytes(inputs: [Shape], output: Shape) -> Int? { 0 }
    public var aliasesInput: Bool { false }
    public func checkDTypes(inputs: [Value], output: Value, check: DTypeCheck) throws {
        try check.outputMatchesInput(inputs, output)
    }
    public func compileInt8(_ c: StepCompiler) throws -> () -> Void {
        throw ExecutorError.unsupportedOperator(node: c.node.name, op: kindName, reason: "no int8 kernel yet")
    }

    /// The executor step for the node's data type.
    public func compile(_ c: StepCompiler) throws -> () -> Void {
        switch c.dtype {
        case .float32: return try compileFloat32(c)
        case .int8: return try compileInt8(c)
        default: throw ExecutorError.unsupportedOperator(node: c.node.name, op: kindName, reason: "no \(c.dtype) kernel")
        }
    }
}

/// Data-type rules shared by several operators; errors name the node.
public struct DTypeCheck: Sendable {
    /// The node being checked.
    public let node: String
    public init(node: String) { self.node = node }

    /// A dtype error naming the node.
    public func fail(_ detail: String) -> GraphError { .dtypeMismatch(node: node, detail: detail) }

    /// The output has the first input's dtype (element-wise, layout and pooling operators).
    public func outputMatchesInput(_ inputs: [Value], _ output: Value) throws {
        let x = inputs[0].dtype
        guard output.dtype == x else { throw fail("output is \(output.dtype) but input is \(x)") }
    }

    /// Layers with weights (conv, depthwise, dense): a float32 layer takes float32 weights and bias; a
    /// quantised layer takes quantised weights and an int32 bias.
    public func weightedLayer(_ inputs: [Value], _ output: Value) throws {
        try outputMatchesInput(inputs, output)
        let x = inputs[0].dtype, w = inputs[1].dtype
        let b = inputs.count > 2 ? inputs[2].dtype : nil
        let ok = x == .float32 ? (w == .float32 && (b == nil || b == .float32))
                               : (w.isQuantized && (b == nil || b == .int32))
        guard ok else { throw fail("a \(x) layer cannot take \(w) weights\(b.map { " and \($0) bias" } ?? "")") }
    }

    /// Layers whose parameters (every input after the first) are float32: batch norm, layer norm, attention.
    public func float32Parameters(_ inputs: [Value], _ output: Value) throws {
        try outputMatchesInput(inputs, output)
        for v in inputs.dropFirst() where v.dtype != .float32 {
            throw fail("parameter '\(v.name)' must be float32, is \(v.dtype)")
        }
    }
}

/// Bounds on sizes and attributes read from files, so that every size computation stays exact.
public enum OperatorLimits {
    /// Largest dimension, and largest padded spatial axis. The C kernels index one spatial axis in
    /// 32-bit `int` (`oy·stride − pad + ky·dilation`); that value is at most the padded axis length,
    /// which validation keeps ≤ `Int32.max`, so no per-axis computation can overflow. Flat offsets in
    /// the C kernels are `size_t`.
    public static let maxDimension = Int(Int32.max)
    /// Largest stride, dilation, padding or window (2^24, as the TFLite importer): with dimensions ≤
    /// ``maxDimension`` any `(k − 1)·dilation`, `out·stride` or `in + padding` fits in 64 bits, and the
    /// padded-axis check keeps them within 32.
    public static let maxAttribute = 1 << 24
}

/// Shape inference helpers for one node; errors name the node.
public struct ShapeCheck: Sendable {
    /// The node being checked.
    public let node: String
    public init(node: String) { self.node = node }

    /// A shape error naming the node.
    public func fail(_ detail: String) -> GraphError { .shapeMismatch(node: node, detail: detail) }

    /// Spatial input as (N, H, W, C) from NHWC or NWC.
    public func spatial(_ x: Shape) throws -> (n: Int, h: Int, w: Int, c: Int) {
        switch x.rank {
        case 4, 3: return x.nhwc
        default: throw fail("expects an [N,H,W,C] or [N,W,C] input, got \(x)")
        }
    }

    /// `[n,h,w,c]` or `[n,w,c]`, the same rank as `x`.
    public func rebuild(_ x: Shape, n: Int, h: Int, w: Int, c: Int) -> Shape { x.rank == 4 ? [n, h, w, c] : [n, w, c] }

    /// Checks one window attribute against ``OperatorLimits/maxAttribute``.
    public func attribute(_ v: Int, _ what: String, min: Int) throws {
        guard v >= min, v <= OperatorLimits.maxAttribute else {
            throw fail("\(what) \(v) is outside \(min)…\(OperatorLimits.maxAttribute)")
        }
    }

    /// Output size of a sliding window over one axis; the padded axis must fit in `Int32`.
    public func windowOutput(input: Int, kernel k: Int, stride: Int, dilation: Int, padBefore: Int, padAfter: Int) throws -> Int {
        try attribute(k, "kernel/window", min: 1)
        try attribute(stride, "stride", min: 1)
        try attribute(dilation, "dilation", min: 1)
        try attribute(padBefore, "padding", min: 0)
        try attribute(padAfter, "padding", min: 0)
        // With every term ≤ 2^31 (dimensions) or 2^24 (attributes) none of these can overflow Int64.
        let padded = input + padBefore + padAfter
        let effective = (k - 1) * dilation + 1
        guard padded <= OperatorLimits.maxDimension else { throw fail("padded axis \(padded) exceeds \(OperatorLimits.maxDimension)") }
        guard effective <= padded else { throw fail("window \(effective) is larger than the padded input \(padded)") }
        return (padded - effective) / stride + 1
    }

    /// Output height and width of a 2-D window (kernel `kh`×`kw`) over `h`×`w`: ``windowOutput(input:kernel:stride:dilation:padBefore:padAfter:)`` per axis.
    public func windowOutput(h: Int, w: Int, kernel kh: Int, _ kw: Int, stride: Size2D, dilation: Size2D = .one,
                             padding: Padding) throws -> (h: Int, w: Int) {
        (try windowOutput(input: h, kernel: kh, stride: stride.h, dilation: dilation.h, padBefore: padding.top, padAfter: padding.bottom),
         try windowOutput(input: w, kernel: kw, stride: stride.w, dilation: dilation.w, padBefore: padding.left, padAfter: padding.right))
    }
}

/// Checked products for MAC counts and buffer sizes: `nil` when the product overflows `Int`.
func checkedProduct(_ factors: Int...) -> Int? {
    var p = 1
    for f in factors {
        let (r, o) = p.multipliedReportingOverflow(by: f)
        if o { return nil }
        p = r
    }
    return p
}

/// `shape`'s element count times `factors`, or `nil` on overflow.
func checkedProduct(_ shape: Shape, _ factors: Int...) -> Int? {
    guard var p = shape.checkedElementCount else { return nil }
    for f in factors {
        let (r, o) = p.multipliedReportingOverflow(by: f)
        if o { return nil }
        p = r
    }
    return p
}

/// Checked sum: `nil` when it overflows `Int`.
func checkedSum(_ terms: Int?...) -> Int? {
    var s = 0
    for t in terms {
        guard let t else { return nil }
        let (r, o) = s.addingReportingOverflow(t)
        if o { return nil }
        s = r
    }
    return s
}

/// What an operator needs to compile one node into an executor step: its buffers (inside the arena or
/// the constants), shapes, the C kernel table, the thread split and its scratch. Built by the
/// ``Executor``; only valid during ``OperatorDefinition/compile(_:)``. The buffers it hands out stay
/// valid for the executor's lifetime.
public struct StepCompiler {
    /// The node being compiled.
    public let node: Node
    let graph: Graph
    /// The C kernel table, or `nil` for the reference kernels (`isa: .reference`).
    let table: ew_kernel_table?
    /// How many threads to split the step over (1: the calling thread only).
    let parallel: Int
    /// The step's scratch buffer in the arena (`scratchBytes(...)` bytes), if it asked for any.
    let scratch: UnsafeMutableRawPointer?
    let scratchByteCount: Int
    let resolve: (ValueID) -> UnsafeMutablePointer<Float>

    /// The data type of the node's first input (picks the kernel family).
    public var dtype: DType { graph.values[node.inputs[0]].dtype }
    /// Shapes of the inputs, in order.
    public var inputShapes: [Shape] { node.inputs.map { graph.values[$0].shape } }
    /// Shape of the output.
    public var outputShape: Shape { graph.values[node.output].shape }

    func buffer(_ v: ValueID) -> UnsafeMutableBufferPointer<Float> {
        UnsafeMutableBufferPointer(start: resolve(v), count: graph.values[v].shape.elementCount)
    }
    /// Input `i` as a read-only float buffer.
    func input(_ i: Int) -> UnsafeBufferPointer<Float> { UnsafeBufferPointer(buffer(node.inputs[i])) }
    /// Input `i` if the node has it (optional bias), else `nil`.
    func optionalInput(_ i: Int) -> UnsafeBufferPointer<Float>? { node.inputs.count > i ? input(i) : nil }
    /// The output buffer.
    var output: UnsafeMutableBufferPointer<Float> { buffer(node.output) }
    /// Whether input `i` is a constant.
    func inputIsConstant(_ i: Int) -> Bool { graph.isConstant(node.inputs[i]) }
    /// The scratch as floats.
    var scratchFloats: UnsafeMutableBufferPointer<Float> {
        UnsafeMutableBufferPointer(start: scratch?.assumingMemoryBound(to: Float.self), count: scratchByteCount / 4)
    }

    /// Applies an activation the C kernels cannot fuse (they fuse clamps only) to the output.
    func postActivation(_ act: Activation) -> (() -> Void)? {
        guard act.clampBounds == nil else { return nil }
        let y = output
        return { ReferenceKernels.activation(UnsafeBufferPointer(y), act, into: y) }
    }
}
