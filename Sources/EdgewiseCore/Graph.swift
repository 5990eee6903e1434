/// Index of a ``Value`` in ``Graph/values``.
public typealias ValueID = Int

/// A tensor in a graph: a model input, an activation computed by a node, or a constant (weights).
public struct Value: Hashable, Codable, Sendable {
    public var name: String
    public var shape: Shape
    public var dtype: DType
    /// Quantisation parameters for quantised values, else `nil`.
    public var quant: QuantParams?

    public init(name: String, shape: Shape, dtype: DType = .float32, quant: QuantParams? = nil) {
        self.name = name; self.shape = shape; self.dtype = dtype; self.quant = quant
    }
}

/// One operation: reads `inputs`, writes `output`.
public struct Node: Hashable, Codable, Sendable {
    public var name: String
    public var op: Operator
    public var inputs: [ValueID]
    public var output: ValueID

    public init(name: String, op: Operator, inputs: [ValueID], output: ValueID) {
        self.name = name; self.op = op; self.inputs = inputs; self.output = output
    }
}

/// A classifier head attached after a stage. Its nodes run only when the executor reaches the exit.
public struct ExitHead: Hashable, Codable, Sendable {
    /// The exit's name (`early1`, `final`, …).
    public var name: String
    public var nodes: [Node]
    /// The value holding the exit's output (usually probabilities or logits).
    public var output: ValueID

    public init(name: String, nodes: [Node], output: ValueID) {
        self.name = name; self.nodes = nodes; self.output = output
    }
}

/// A run of trunk nodes, optionally followed by an exit head.
public struct Stage: Hashable, Codable, Sendable {
    public var name: String
    public var nodes: [Node]
    public var exit: ExitHead?

    public init(name: String, nodes: [Node], exit: ExitHead? = nil) {
        self.name = name; self.nodes = nodes; self.exit = exit
    }
}

/// A multi-exit model graph: a sequence of stages, each optionally followed by an exit head.
///
/// Execution order is stage 0's nodes, stage 0's exit head, stage 1's nodes, and so on. The last stage
/// must have an exit (the final output). Nodes are in topological order: a node reads only the input,
/// constants, and values written earlier in that order. Exit heads may read trunk values; the trunk
/// never reads a head's values, so stopping at an exit skips everything after it.
public struct Graph: Sendable {
    /// Every tensor of the graph; ``ValueID`` indexes this array.
    public var values: [Value]
    /// Constant data by value; a value with an entry here is a weight, never written by a node.
    public var constants: [ValueID: TensorData]
    /// The model input.
    public var input: ValueID
    public var stages: [Stage]

    public init(values: [Value], constants: [ValueID: TensorData], input: ValueID, stages: [Stage]) {
        self.values = values; self.constants = constants; self.input = input; self.stages = stages
    }

    /// The exits in execution order, with the index of the stage each follows.
    public var exits: [(stage: Int, head: ExitHead)] {
        stages.enumerated().compactMap { i, s in s.exit.map { (i, $0) } }
    }

    /// Every node in execution order, with where it sits.
    public var nodesInExecutionOrder: [(node: Node, stage: Int, inHead: Bool)] {
        var out: [(Node, Int, Bool)] = []
        for (i, s) in stages.enumerated() {
            for n in s.nodes { out.append((n, i, false)) }
            if let e = s.exit { for n in e.nodes { out.append((n, i, true)) } }
        }
        return out
    }

    /// Whether `id` is a constant (weight) value.
    public func isConstant(_ id: ValueID) -> Bool { constants[id] != nil }
}

/// Why a graph was rejected, naming the node and what is wrong.
public enum GraphError: Error, Equatable, CustomStringConvertible {
    case invalidValue(node: String, id: ValueID)
    case notTopological(node: String, reads: String)
    case writtenTwice(value: String)
    case wrongInputCount(node: String, op: String, expected: String, got: Int)
    case shapeMismatch(node: String, detail: String)
    case dtypeMismatch(node: String, detail: String)
    case constantSizeMismatch(value: String, expectedBytes: Int, gotBytes: Int)
    case noFinalExit
    case emptyGraph
    case unsupported(node: String, detail: String)

    public var description: String {
        switch self {
        case .invalidValue(let n, let id): return "node '\(n)': value id \(id) does not exist"
        case .notTopological(let n, let r): return "node '\(n)' reads '\(r)' before any node writes it"
        case .writtenTwice(let v): return "value '\(v)' is written by more than one node (or is a constant/input)"
        case .wrongInputCount(let n, let op, let e, let g): return "node '\(n)' (\(op)) takes \(e) inputs, got \(g)"
        case .shapeMismatch(let n, let d): return "node '\(n)': \(d)"
        case .dtypeMismatch(let n, let d): return "node '\(n)': \(d)"
        case .constantSizeMismatch(let v, let e, let g): return "constant '\(v)' should hold \(e) bytes, holds \(g)"
        case .noFinalExit: return "the last stage has no exit head, so the graph has no final output"
        case .emptyGraph: return "the graph has no stages"
        case .unsupported(let n, let d): return "node '\(n)': \(d)"
        }
    }
}
