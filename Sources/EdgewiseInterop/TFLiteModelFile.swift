/// A TFLite file's first subgraph, read into plain values by ``FlatBufferReader``: the tensors (shape,
/// type, buffer, quantisation), the operators in execution order, and access to constant buffers.
/// Nothing here trusts the file: every index it hands out has been range-checked.
struct TFLiteModelFile {
    struct Quantization {
        var scales: [Float]
        var zeroPoints: [Int64]
        var quantizedDimension: Int
        /// A `QuantizationDetails` union (custom quantisation) is present.
        var hasCustomDetails: Bool
    }

    struct Tensor {
        var index: Int
        var name: String
        var shape: [Int]
        var type: Int8
        var buffer: Int
        var quantization: Quantization?
        var isVariable: Bool
        var isSparse: Bool
    }

    struct Operator {
        var index: Int
        /// The builtin operator code (max of `deprecated_builtin_code` and `builtin_code`).
        var code: Int32
        var customCode: String?
        var version: Int32
        /// Tensor indices; -1 marks an omitted optional input.
        var inputs: [Int]
        var outputs: [Int]
        var optionsType: UInt8
        var options: FlatTable?

        /// The operator's name for messages: `CONV_2D`, or `CUSTOM(name)`.
        var name: String {
            if code == TFLSchema.BuiltinOperator.custom { return "CUSTOM(\(customCode ?? "?"))" }
            return TFLSchema.BuiltinOperator.name(code)
        }
    }

    let reader: FlatBufferReader
    let version: UInt32
    let description: String?
    let tensors: [Tensor]
    let inputs: [Int]
    let outputs: [Int]
    let operators: [Operator]
    let subgraphCount: Int
    private let buffers: FlatVector?

    /// The largest element count a tensor may declare (TFLite itself sizes tensors in `Int32` bytes).
    static let maxElements = Int(Int32.max)

    init(bytes: [UInt8]) throws {
        let r = FlatBufferReader(bytes: bytes)
        guard bytes.count >= 8 else { throw FlatBufferError("file has \(bytes.count) bytes, too short for a FlatBuffer header") }
        guard r.fileIdentifier == TFLSchema.fileIdentifier else {
            throw FlatBufferError("file identifier is \(String(reflecting: r.fileIdentifier ?? "")), not \"TFL3\": not a TFLite file")
        }
        reader = r
        let root = try r.root()
        version = try root.u32(TFLSchema.Model.version)
        description = try root.string(TFLSchema.Model.description)
        buffers = try root.vector(TFLSchema.Model.buffers, elementSize: 4)

        // Operator codes.
        var codes: [(code: Int32, custom: String?, version: Int32)] = []
        for oc in try root.tables(TFLSchema.Model.operatorCodes) {
            let deprecated = Int32(try oc.i8(TFLSchema.OperatorCode.deprecatedBuiltinCode))
            let extended = try oc.i32(TFLSchema.OperatorCode.builtinCode)
            let custom = try oc.string(TFLSchema.OperatorCode.customCode)
            let v = try oc.i32(TFLSchema.OperatorCode.version, default: 1)
            codes.append((max(deprecated, extended), custom, v))
        }

        let subgraphs = try root.tables(TFLSchema.Model.subgraphs)
        subgraphCount = subgraphs.count
        guard let sg = subgraphs.first else { throw FlatBufferError("the model has no subgraph") }

        // Tensors.
        var tensors: [Tensor] = []
        for (i, t) in try sg.tables(TFLSchema.SubGraph.tensors).enumerated() {
            let dims = try t.int32s(TFLSchema.Tensor.shape)
            var shape: [Int] = []
            shape.reserveCapacity(dims.count)
            var elements = 1
            for d in dims {
                guard d >= 0 else { throw FlatBufferError("tensor \(i) has a negative dimension \(d) in its shape \(dims)") }
                let (p, o) = elements.multipliedReportingOverflow(by: Int(d))
                guard !o, p <= Self.maxElements else { throw FlatBufferError("tensor \(i) shape \(dims) has more than \(Self.maxElements) elements") }
                elements = p
                shape.append(Int(d))
            }
            var quant: Quantization? = nil
            if let q = try t.table(TFLSchema.Tensor.quantization) {
                let scales = try q.floats(TFLSchema.Quantization.scale)
                let zps = try q.int64s(TFLSchema.Quantization.zeroPoint)
                let dim = Int(try q.i32(TFLSchema.Quantization.quantizedDimension))
                let details = try q.u8(TFLSchema.Quantization.detailsType) != 0
                if !scales.isEmpty || !zps.isEmpty || details {
                    quant = Quantization(scales: scales, zeroPoints: zps, quantizedDimension: dim, hasCustomDetails: details)
                }
            }
            tensors.append(Tensor(
                index: i,
                name: try t.string(TFLSchema.Tensor.name) ?? "",
                shape: shape,
                type: try t.i8(TFLSchema.Tensor.type),
                buffer: Int(try t.u32(TFLSchema.Tensor.buffer)),
                quantization: quant,
                isVariable: try t.bool(TFLSchema.Tensor.isVariable),
                isSparse: try t.has(TFLSchema.Tensor.sparsity)))
        }
        self.tensors = tensors

        func tensorIndices(_ raw: [Int32], what: String, optional: Bool) throws -> [Int] {
            try raw.map { v in
                if optional && v == -1 { return -1 }
                guard v >= 0, Int(v) < tensors.count else {
                    throw FlatBufferError("\(what) refers to tensor \(v), but the subgraph has \(tensors.count) tensors")
                }
                return Int(v)
            }
        }
        inputs = try tensorIndices(try sg.int32s(TFLSchema.SubGraph.inputs), what: "subgraph input", optional: false)
        outputs = try tensorIndices(try sg.int32s(TFLSchema.SubGraph.outputs), what: "subgraph output", optional: false)

        // Operators.
        var ops: [Operator] = []
        for (i, o) in try sg.tables(TFLSchema.SubGraph.operators).enumerated() {
            let ci = Int(try o.u32(TFLSchema.Operator.opcodeIndex))
            guard ci < codes.count else {
                throw FlatBufferError("operator \(i) uses opcode index \(ci), but the model has \(codes.count) operator codes")
            }
            let optionsType = try o.u8(TFLSchema.Operator.builtinOptionsType)
            ops.append(Operator(
                index: i,
                code: codes[ci].code,
                customCode: codes[ci].custom,
                version: codes[ci].version,
                inputs: try tensorIndices(try o.int32s(TFLSchema.Operator.inputs), what: "operator \(i) input", optional: true),
                outputs: try tensorIndices(try o.int32s(TFLSchema.Operator.outputs), what: "operator \(i) output", optional: false),
                optionsType: optionsType,
                options: optionsType == 0 ? nil : try o.table(TFLSchema.Operator.builtinOptions)))
        }
        operators = ops
    }

    /// The byte range of buffer `index`'s data inside the file: empty when the buffer has no data.
    /// Supports both in-FlatBuffer `data` and the `offset`/`size` form of large models.
    func bufferRange(_ index: Int) throws -> Range<Int> {
        guard let buffers, index >= 0, index < buffers.count else {
            throw FlatBufferError("buffer index \(index) is out of range (the model has \(buffers?.count ?? 0) buffers)")
        }
        let b = try buffers.table(index)
        if let v = try b.vector(TFLSchema.Buffer.data, elementSize: 1), v.count > 0 {
            return v.byteRange
        }
        let offset = try b.u64(TFLSchema.Buffer.offset)
        let size = try b.u64(TFLSchema.Buffer.size)
        if offset > 1 {
            guard offset < UInt64(Int32.max) * 1024, size < UInt64(Int32.max) * 1024 else {
                throw FlatBufferError("buffer \(index): external data offset \(offset) / size \(size) is out of range")
            }
            try reader.check(Int(offset), Int(size), "external data of buffer \(index)")
            return Int(offset)..<(Int(offset) + Int(size))
        }
        return 0..<0
    }
}
