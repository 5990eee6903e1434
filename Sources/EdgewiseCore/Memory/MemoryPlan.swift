/// Where every activation and scratch buffer of a graph lives in the executor's single arena.
///
/// Built once at load by liveness analysis over the execution order: a value is alive from the step
/// that writes it to the last step that reads it; exit outputs stay alive to the end of a run so the
/// caller can read every exit it passed. Reshapes and (inference-mode) dropouts alias their input:
/// no copy, no extra bytes.
public struct MemoryPlan: Sendable {
    /// One planned buffer.
    public struct Buffer: Sendable {
        /// The value's name, or `"<node>.scratch"` for a kernel's scratch space.
        public var name: String
        public var offset: Int
        public var bytes: Int
        /// First and last execution step (inclusive) during which the buffer is alive.
        public var firstStep: Int
        public var lastStep: Int
        public var isScratch: Bool
    }

    public private(set) var buffers: [Buffer] = []
    /// Bytes of the arena.
    public private(set) var arenaBytes = 0
    /// Bytes that giving every buffer its own region would take (the linear planner's peak).
    public private(set) var unsharedBytes = 0
    /// Arena offset of each activation value (aliases share their root's offset).
    public private(set) var valueOffsets: [ValueID: Int] = [:]
    /// Arena offset of each step's scratch buffer.
    public private(set) var scratchOffsets: [Int: Int] = [:]

    /// Plans `graph` (already validated). `scratchBytes[step]` is the scratch each step needs.
    public init<P: ArenaPlanner>(graph: Graph, scratchBytes: [Int], planner: P) {
        var planner = planner
        let order = graph.nodesInExecutionOrder
        let lastStep = max(order.count - 1, 0)
        // Reshape outputs alias their (non-constant) input.
        var root: [ValueID: ValueID] = [:]
        func find(_ v: ValueID) -> ValueID { var v = v; while let r = root[v] { v = r }; return v }
        for (n, _, _) in order {
            if n.op.definition.aliasesInput, !graph.isConstant(n.inputs[0]) { root[n.output] = find(n.inputs[0]) }
        }
        var first: [ValueID: Int] = [graph.input: 0]
        var last: [ValueID: Int] = [graph.input: 0]
        func touch(_ v: ValueID, _ s: Int) {
            let r = find(v)
            first[r] = min(first[r] ?? s, s)
            last[r] = max(last[r] ?? s, s)
        }
        for (s, (n, _, _)) in order.enumerated() {
            for i in n.inputs where !graph.isConstant(i) { touch(i, s) }
            touch(n.output, s)
        }
        for (_, h) in graph.exits where !graph.isConstant(h.output) { touch(h.output, lastStep) }

        var ids: [(index: Int, value: ValueID?, step: Int?)] = []
        for v in first.keys.sorted() {
            let bytes = graph.values[v].shape.checkedElementCount.flatMap { graph.values[v].dtype.byteCount(for: $0) } ?? .max
            let i = planner.addBuffer(size: bytes, firstUse: first[v]!, lastUse: last[v]!)
            ids.append((i, v, nil))
            buffers.append(Buffer(name: graph.values[v].name, offset: 0, bytes: bytes, firstStep: first[v]!, lastStep: last[v]!, isScratch: false))
        }
        for (s, bytes) in scratchBytes.enumerated() where bytes > 0 {
            let i = planner.addBuffer(size: bytes, firstUse: s, lastUse: s)
            ids.append((i, nil, s))
            buffers.append(Buffer(name: order[s].node.name + ".scratch", offset: 0, bytes: bytes, firstStep: s, lastStep: s, isScratch: true))
        }
        planner.plan()
        arenaBytes = planner.peakBytes
        for (k, id) in ids.enumerated() {
            let off = planner.offset(ofBuffer: id.index)
            buffers[k].offset = off
            if let v = id.value { valueOffsets[v] = off }
            if let s = id.step { scratchOffsets[s] = off }
        }
        for (alias, _) in root { valueOffsets[alias] = valueOffsets[find(alias)] }
        unsharedBytes = buffers.reduce(0) { saturatingSum($0, alignUp($1.bytes)) }
    }
}
