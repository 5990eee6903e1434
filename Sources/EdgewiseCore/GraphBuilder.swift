/// Builds a ``Graph`` node by node, inferring every output shape.
///
/// ```swift
/// var b = GraphBuilder()
/// let x = b.input("mfcc", shape: [1, 49, 10, 1])
/// var h = try b.conv2d(x, weights: w0, shape: [10, 4, 1, 64], bias: b0, .init(stride: .init(2, 2), activation: .relu))
/// try b.exitHead("early") { b in try b.dense(b.node(.globalAveragePool, h), weights: we, outputs: 12) }
/// b.endStage("stem")
/// ...
/// let graph = try b.build()
/// ```
public struct GraphBuilder {
    public private(set) var values: [Value] = []
    public private(set) var constants: [ValueID: TensorData] = [:]
    private var stages: [Stage] = []
    private var trunk: [Node] = []
    private var head: [Node]? = nil
    private var pendingExit: ExitHead? = nil
    private var inputID: ValueID? = nil
    private var names: [String: Int] = [:]

    public init() {}

    private mutating func unique(_ base: String) -> String {
        let n = names[base, default: 0]
        names[base] = n + 1
        return n == 0 ? base : "\(base)_\(n)"
    }

    /// Declares the model input.
    public mutating func input(_ name: String, shape: Shape, dtype: DType = .float32, quant: QuantParams? = nil) -> ValueID {
        values.append(Value(name: unique(name), shape: shape, dtype: dtype, quant: quant))
        inputID = values.count - 1
        return values.count - 1
    }

    /// Adds a constant tensor backed by `data`.
    public mutating func constant(_ name: String, shape: Shape, dtype: DType = .float32, quant: QuantParams? = nil, data: TensorData) -> ValueID {
        values.append(Value(name: unique(name), shape: shape, dtype: dtype, quant: quant))
        constants[values.count - 1] = data
        return values.count - 1
    }

    /// Adds a float32 constant. `floats.count` must equal the shape's element count.
    public mutating func constant(_ name: String, shape: Shape, floats: [Float]) -> ValueID {
        precondition(floats.count == shape.elementCount, "constant '\(name)': \(floats.count) values for shape \(shape)")
        return constant(name, shape: shape, data: TensorData(copying: floats))
    }

    /// Appends a node computing `op` on `inputs`; returns its output value.
    @discardableResult
    public mutating func node(_ op: Operator, _ inputs: ValueID..., name: String? = nil, dtype: DType? = nil, quant: QuantParams? = nil) throws -> ValueID {
        try node(op, inputs: inputs, name: name, dtype: dtype, quant: quant)
    }

    /// Appends a node computing `op` on `inputs`; returns its output value.
    @discardableResult
    public mutating func node(_ op: Operator, inputs: [ValueID], name: String? = nil, dtype: DType? = nil, quant: QuantParams? = nil) throws -> ValueID {
        let nodeName = unique(name ?? op.kindName)
        for i in inputs where !values.indices.contains(i) { throw GraphError.invalidValue(node: nodeName, id: i) }
        let shape = try op.outputShape(inputs: inputs.map { values[$0].shape }, node: nodeName)
        let outType: DType
        switch op {
        case .dequantize: outType = .float32
        default: outType = dtype ?? values[inputs[0]].dtype
        }
        values.append(Value(name: nodeName, shape: shape, dtype: outType, quant: quant))
        let n = Node(name: nodeName, op: op, inputs: inputs, output: values.count - 1)
        if head != nil { head!.append(n) } else { trunk.append(n) }
        return values.count - 1
    }

    /// A convolution with float32 weights `[KH,KW,Cin,Cout]` and optional bias `[Cout]`.
    public mutating func conv2d(_ x: ValueID, weights: [Float], shape: Shape, bias: [Float]? = nil, _ a: ConvAttributes = .init(), name: String = "conv") throws -> ValueID {
        let w = constant("\(name).weights", shape: shape, floats: weights)
        var ins = [x, w]
        if let bias { ins.append(constant("\(name).bias", shape: [shape[3]], floats: bias)) }
        return try node(.conv2d(a), inputs: ins, name: name)
    }

    /// A depthwise convolution with float32 weights `[KH,KW,C·M]` and optional bias.
    public mutating func depthwiseConv2d(_ x: ValueID, weights: [Float], shape: Shape, bias: [Float]? = nil, _ a: ConvAttributes = .init(), name: String = "dwconv") throws -> ValueID {
        let w = constant("\(name).weights", shape: shape, floats: weights)
        var ins = [x, w]
        if let bias { ins.append(constant("\(name).bias", shape: [shape[2]], floats: bias)) }
        return try node(.depthwiseConv2d(a), inputs: ins, name: name)
    }

    /// A dense layer with float32 weights `[In, Out]` and optional bias `[Out]`.
    public mutating func dense(_ x: ValueID, weights: [Float], outputs: Int, bias: [Float]? = nil, activation: Activation = .none, name: String = "dense") throws -> ValueID {
        let inputs = values[x].shape.last
        let w = constant("\(name).weights", shape: [inputs, outputs], floats: weights)
        var ins = [x, w]
        if let bias { ins.append(constant("\(name).bias", shape: [outputs], floats: bias)) }
        return try node(.dense(activation: activation), inputs: ins, name: name)
    }

    /// Builds an exit head: nodes added inside `body` belong to the head, whose output `body` returns.
    /// The head is attached to the stage closed by the next ``endStage(_:)``.
    public mutating func exitHead(_ name: String, _ body: (inout GraphBuilder) throws -> ValueID) rethrows {
        precondition(head == nil && pendingExit == nil, "one exit head per stage")
        head = []
        let out = try body(&self)
        pendingExit = ExitHead(name: name, nodes: head!, output: out)
        head = nil
    }

    /// Closes the current stage (trunk nodes since the previous stage, plus the pending exit head).
    public mutating func endStage(_ name: String) {
        stages.append(Stage(name: name, nodes: trunk, exit: pendingExit))
        trunk = []
        pendingExit = nil
    }

    /// The finished, validated graph. Trunk nodes added after the last ``endStage(_:)`` are an error.
    public func build() throws -> Graph {
        guard let inputID else { throw GraphError.emptyGraph }
        guard trunk.isEmpty, pendingExit == nil else { throw GraphError.noFinalExit }
        let g = Graph(values: values, constants: constants, input: inputID, stages: stages)
        try g.validate()
        return g
    }
}
