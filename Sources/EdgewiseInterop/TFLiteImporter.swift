import EdgewiseCore
import EdgewiseModel

/// Imports TensorFlow Lite models (FlatBuffer schema version 3) as Edgewise ``Model``s.
///
/// The whole first subgraph becomes one stage followed by an exit head named `"final"` with no nodes,
/// whose output is the model's output tensor. Weights are copied into Edgewise layouts:
/// - `CONV_2D` weights `[Cout,KH,KW,Cin]` (OHWI) → `[KH,KW,Cin,Cout]` (HWIO),
/// - `DEPTHWISE_CONV_2D` weights `[1,KH,KW,C·M]` → `[KH,KW,C·M]`,
/// - `FULLY_CONNECTED` weights `[Out,In]` → `[In,Out]`;
///
/// per-axis quantisation (`quantized_dimension`) follows the axis into the new layout. `SAME` padding
/// becomes explicit ``Padding`` computed from the shapes; fused NONE/RELU/RELU6 become ``Activation``s.
/// int8/uint8 tensors become quantised values carrying their ``QuantParams``; int32 biases stay int32
/// with theirs. Shapes are taken from each tensor's `shape` (a `-1` in `shape_signature` is ignored),
/// batch dimensions of 1 kept.
///
/// Supported operators: ADD, AVERAGE_POOL_2D, CONCATENATION, CONV_2D, DEPTHWISE_CONV_2D, DEQUANTIZE,
/// FULLY_CONNECTED, HARD_SWISH, LOGISTIC, MAX_POOL_2D, MEAN (over H and W), QUANTIZE (float → int),
/// RELU, RELU6, RESHAPE, SOFTMAX (beta 1), SQUEEZE. Anything else fails with a
/// ``TFLiteImportError`` naming the operator, its index and the file.
///
/// The file is untrusted: it is read with a bounds-checked FlatBuffer reader (`FlatBufferReader`), so a truncated,
/// corrupted or hostile file gives an error, never a crash. The returned graph has passed
/// ``EdgewiseCore/Graph/validate()``.
///
/// ```swift
/// let model = try TFLiteImporter.importModel(path: "ds_cnn_s.tflite")
/// print(model.metadata["source_sha256"]!)
/// ```
public enum TFLiteImporter {
    /// The value written to `metadata["importer"]`.
    public static let importerID = "EdgewiseInterop.TFLiteImporter 1 (TFLite schema 3)"

    /// Reads and imports the `.tflite` file at `path`. Error messages and `metadata["source"]` use `path`.
    public static func importModel(path: String) throws -> Model {
        let bytes: [UInt8]
        do { bytes = try readWholeFile(path) } catch let e as FileReadError {
            throw TFLiteImportError.unreadable(file: path, reason: e.reason)
        }
        return try importModel(bytes: bytes, name: path)
    }

    /// Imports a `.tflite` file already in memory. `name` identifies it in errors and in
    /// `metadata["source"]` (a path or any label).
    ///
    /// Metadata written: `source`, `source_sha256` (of `bytes`), `importer`, `tflite_description`,
    /// `tflite_input` and `tflite_output` (tensor names), `tflite_operators` (operator names in order).
    public static func importModel(bytes: [UInt8], name: String) throws -> Model {
        let (file, graph) = try importGraph(bytes: bytes, name: name)
        var metadata: [String: String] = [
            "source": name,
            "source_sha256": SHA256.hexDigest(bytes),
            "importer": importerID,
            "tflite_operators": file.operators.map(\.name).joined(separator: ","),
        ]
        if let d = file.description, !d.isEmpty { metadata["tflite_description"] = d }
        if let i = file.inputs.first { metadata["tflite_input"] = file.tensors[i].name }
        if let o = file.outputs.first { metadata["tflite_output"] = file.tensors[o].name }
        return Model(graph: graph, metadata: metadata)
    }

    /// Parses and converts without computing metadata (the SHA-256), for the byte-flip tests.
    static func importGraph(bytes: [UInt8], name: String) throws -> (TFLiteModelFile, Graph) {
        let file: TFLiteModelFile
        do { file = try TFLiteModelFile(bytes: bytes) } catch let e as FlatBufferError {
            throw TFLiteImportError.malformed(file: name, detail: e.detail)
        }
        var converter = TFLiteConverter(file: file, name: name)
        return (file, try converter.convert())
    }

    /// The names of the operators in a `.tflite` file, in execution order (e.g. `["RESHAPE", "CONV_2D", …]`),
    /// without converting it. Throws ``TFLiteImportError/malformed(file:detail:)`` on a bad file.
    public static func operatorNames(bytes: [UInt8], name: String) throws -> [String] {
        do { return try TFLiteModelFile(bytes: bytes).operators.map(\.name) } catch let e as FlatBufferError {
            throw TFLiteImportError.malformed(file: name, detail: e.detail)
        }
    }
}

/// Turns a parsed ``TFLiteModelFile`` into a validated ``Graph``.
struct TFLiteConverter {
    typealias Op = TFLiteModelFile.Operator
    typealias Code = TFLSchema.BuiltinOperator
    typealias OptionsType = TFLSchema.BuiltinOptionsType

    /// How a constant tensor's data is laid out for Edgewise.
    enum Layout: Hashable {
        /// Unchanged.
        case asIs
        /// `[O,H,W,I]` → `[H,W,I,O]`.
        case convOHWIToHWIO
        /// `[1,H,W,C]` → `[H,W,C]` (same bytes).
        case depthwiseDropLeadingOne
        /// `[O,I]` → `[I,O]`.
        case denseOIToIO
    }

    /// Largest kernel, stride, dilation or spatial size accepted, so that no window arithmetic can overflow.
    static let maxSpatial = 1 << 24

    let file: TFLiteModelFile
    let name: String
    var b = GraphBuilder()
    /// Edgewise value holding each TFLite tensor computed so far (or the input).
    var valueOf: [Int: ValueID] = [:]
    var constantCache: [ConstantKey: ValueID] = [:]

    struct ConstantKey: Hashable { var tensor: Int; var layout: Layout }
    /// Copied constant data by buffer and transposition.
    var storageCache: [StorageKey: ByteStorage] = [:]
    var copiedConstantBytes = 0

    struct StorageKey: Hashable { var buffer: Int; var perm: [Int]; var shape: [Int] }

    init(file: TFLiteModelFile, name: String) {
        self.file = file
        self.name = name
    }

    // MARK: Errors

    func invalid(_ op: Op, _ detail: String) -> TFLiteImportError {
        .invalidOperator(file: name, operatorIndex: op.index, op: op.name, detail: detail)
    }

    func unsupportedOption(_ op: Op, _ detail: String) -> TFLiteImportError {
        .unsupportedOption(file: name, operatorIndex: op.index, op: op.name, detail: detail)
    }

    // MARK: Whole graph

    mutating func convert() throws -> Graph {
        guard file.version == 3 else {
            throw TFLiteImportError.unsupportedModel(file: name, detail: "schema version \(file.version) (only 3 is supported)")
        }
        guard file.inputs.count == 1 else {
            throw TFLiteImportError.unsupportedModel(file: name, detail: "the subgraph has \(file.inputs.count) inputs; Edgewise graphs take exactly one")
        }
        guard file.outputs.count == 1 else {
            throw TFLiteImportError.unsupportedModel(file: name, detail: "the subgraph has \(file.outputs.count) outputs; only single-output models are supported")
        }
        let inT = file.tensors[file.inputs[0]]
        guard let inType = edgewiseType(inT.type) else {
            throw TFLiteImportError.unsupportedModel(file: name, detail: "input tensor '\(inT.name)' has unsupported type \(TFLSchema.TensorType.name(inT.type))")
        }
        let inQuant: QuantParams?
        do { inQuant = try quantParams(inT, dtype: inType, axisMap: { $0 }) } catch let e as QuantError {
            throw TFLiteImportError.unsupportedModel(file: name, detail: "input tensor '\(inT.name)': \(e.detail)")
        }
        let x = b.input(inT.name.isEmpty ? "input" : inT.name, shape: Shape(inT.shape), dtype: inType, quant: inQuant)
        valueOf[file.inputs[0]] = x

        for op in file.operators {
            do {
                try convert(op)
            } catch let e as FlatBufferError {
                throw TFLiteImportError.malformed(file: name, detail: "operator #\(op.index) \(op.name): \(e.detail)")
            } catch let e as GraphError {
                throw invalid(op, e.description)
            } catch let e as QuantError {
                throw invalid(op, e.detail)
            }
        }

        let outIndex = file.outputs[0]
        guard let out = valueOf[outIndex] else {
            throw TFLiteImportError.unsupportedModel(file: name, detail: "the output tensor '\(file.tensors[outIndex].name)' is not computed by any operator")
        }
        b.exitHead("final") { _ in out }
        b.endStage("main")
        do {
            return try b.build()
        } catch {
            throw TFLiteImportError.invalidGraph(file: name, detail: "\(error)")
        }
    }

    // MARK: One operator

    mutating func convert(_ op: Op) throws {
        switch op.code {
        case Code.conv2d: try convertConv(op)
        case Code.depthwiseConv2d: try convertDepthwise(op)
        case Code.fullyConnected: try convertFullyConnected(op)
        case Code.averagePool2d, Code.maxPool2d: try convertPool(op)
        case Code.reshape, Code.squeeze:
            let x = try input(op, 0)
            try emit(op, .reshape(Shape(try outputTensor(op).shape)), [x])
        case Code.softmax:
            let x = try input(op, 0)
            let opts = try options(op, OptionsType.softmax)
            let beta = try opts?.f32(TFLSchema.SoftmaxOptions.beta) ?? 0
            guard beta == 1 else { throw unsupportedOption(op, "beta \(beta) (only beta = 1 is supported)") }
            try emit(op, .softmax, [x])
        case Code.add:
            let a = try input(op, 0), c = try input(op, 1)
            let opts = try options(op, OptionsType.add)
            let act = try activation(op, try opts?.i8(TFLSchema.AddOptions.activation) ?? 0)
            let sa = b.values[a].shape, sc = b.values[c].shape
            guard sa == sc else { throw unsupportedOption(op, "broadcasting ADD of \(sa) and \(sc) (shapes must be equal)") }
            try emit(op, .add(activation: act), [a, c])
        case Code.concatenation:
            guard op.inputs.count >= 2 else { throw invalid(op, "needs at least 2 inputs, has \(op.inputs.count)") }
            let xs = try (0..<op.inputs.count).map { try input(op, $0) }
            let opts = try options(op, OptionsType.concatenation)
            let axis = Int(try opts?.i32(TFLSchema.ConcatenationOptions.axis) ?? 0)
            let act = try activation(op, try opts?.i8(TFLSchema.ConcatenationOptions.activation) ?? 0)
            try emit(op, .concat(axis: axis), xs, fusedActivation: act)
        case Code.quantize:
            let x = try input(op, 0)
            guard b.values[x].dtype == .float32 else {
                throw unsupportedOption(op, "requantisation from \(b.values[x].dtype) (only float32 → int8/uint8 is supported)")
            }
            try emit(op, .quantize, [x])
        case Code.dequantize:
            let x = try input(op, 0)
            guard b.values[x].dtype.isQuantized else {
                throw unsupportedOption(op, "dequantisation of \(b.values[x].dtype) (only int8/uint8 → float32 is supported)")
            }
            try emit(op, .dequantize, [x])
        case Code.relu: try emit(op, .activation(.relu), [try input(op, 0)])
        case Code.relu6: try emit(op, .activation(.relu6), [try input(op, 0)])
        case Code.logistic: try emit(op, .activation(.sigmoid), [try input(op, 0)])
        case Code.hardSwish: try emit(op, .activation(.hardSwish), [try input(op, 0)])
        case Code.mean: try convertMean(op)
        case Code.pad, Code.padV2: try convertPad(op)
        default:
            throw TFLiteImportError.unsupportedOperator(file: name, operatorIndex: op.index, op: op.name)
        }
    }

    mutating func convertConv(_ op: Op) throws {
        let x = try input(op, 0)
        let xs = try spatialInput(op, x)
        let wt = try weightTensor(op, 1, rank: 4, what: "CONV_2D weights [Cout,KH,KW,Cin]")
        let o = try options(op, OptionsType.conv2d)
        let stride = try size2D(op, "stride", o?.i32(TFLSchema.Conv2DOptions.strideH) ?? 0, o?.i32(TFLSchema.Conv2DOptions.strideW) ?? 0)
        let dilation = try size2D(op, "dilation", o?.i32(TFLSchema.Conv2DOptions.dilationH, default: 1) ?? 1,
                                  o?.i32(TFLSchema.Conv2DOptions.dilationW, default: 1) ?? 1)
        let kernel = try size2D(op, "kernel", Int32(clamping: wt.shape[1]), Int32(clamping: wt.shape[2]))
        let pad = try padding(op, o?.i8(TFLSchema.Conv2DOptions.padding) ?? 0, input: xs, kernel: kernel, stride: stride, dilation: dilation)
        let act = try activation(op, o?.i8(TFLSchema.Conv2DOptions.activation) ?? 0)
        var ins = [x, try constant(op, op.inputs[1], .convOHWIToHWIO, role: "weights")]
        try checkNotHybrid(op, x, ins[1])
        if let bias = optionalInputIndex(op, 2) { ins.append(try constant(op, bias, .asIs, role: "bias")) }
        let attrs = ConvAttributes(stride: stride, dilation: dilation, padding: pad, activation: act)
        try emit(op, .conv2d(attrs), ins)
    }

    mutating func convertDepthwise(_ op: Op) throws {
        let x = try input(op, 0)
        let xs = try spatialInput(op, x)
        let wt = try weightTensor(op, 1, rank: 4, what: "DEPTHWISE_CONV_2D weights [1,KH,KW,C·M]")
        guard wt.shape[0] == 1 else { throw invalid(op, "depthwise weights must be [1,KH,KW,C·M], got \(wt.shape)") }
        let c = b.values[x].shape[3], cm = wt.shape[3]
        guard c > 0, cm % c == 0, cm > 0 else {
            throw invalid(op, "depthwise weights have \(cm) channels, not a positive multiple of the input's \(c)")
        }
        let o = try options(op, OptionsType.depthwiseConv2d)
        let stride = try size2D(op, "stride", o?.i32(TFLSchema.DepthwiseConv2DOptions.strideH) ?? 0, o?.i32(TFLSchema.DepthwiseConv2DOptions.strideW) ?? 0)
        let dilation = try size2D(op, "dilation", o?.i32(TFLSchema.DepthwiseConv2DOptions.dilationH, default: 1) ?? 1,
                                  o?.i32(TFLSchema.DepthwiseConv2DOptions.dilationW, default: 1) ?? 1)
        let kernel = try size2D(op, "kernel", Int32(clamping: wt.shape[1]), Int32(clamping: wt.shape[2]))
        let pad = try padding(op, o?.i8(TFLSchema.DepthwiseConv2DOptions.padding) ?? 0, input: xs, kernel: kernel, stride: stride, dilation: dilation)
        let act = try activation(op, o?.i8(TFLSchema.DepthwiseConv2DOptions.activation) ?? 0)
        // `depth_multiplier` in the options is redundant (schema.fbs: ignored by newer kernels); the
        // weights' channel count decides.
        var ins = [x, try constant(op, op.inputs[1], .depthwiseDropLeadingOne, role: "weights")]
        try checkNotHybrid(op, x, ins[1])
        if let bias = optionalInputIndex(op, 2) { ins.append(try constant(op, bias, .asIs, role: "bias")) }
        let attrs = ConvAttributes(stride: stride, dilation: dilation, padding: pad, activation: act, depthMultiplier: cm / c)
        try emit(op, .depthwiseConv2d(attrs), ins)
    }

    mutating func convertFullyConnected(_ op: Op) throws {
        var x = try input(op, 0)
        let wt = try weightTensor(op, 1, rank: 2, what: "FULLY_CONNECTED weights [Out,In]")
        let o = try options(op, OptionsType.fullyConnected)
        let act = try activation(op, o?.i8(TFLSchema.FullyConnectedOptions.activation) ?? 0)
        let format = try o?.i8(TFLSchema.FullyConnectedOptions.weightsFormat) ?? 0
        guard format == 0 else { throw unsupportedOption(op, "weights_format \(format) (only DEFAULT is supported)") }
        let keepNumDims = try o?.bool(TFLSchema.FullyConnectedOptions.keepNumDims) ?? false
        let inFeatures = wt.shape[1]
        let xs = b.values[x].shape
        if keepNumDims {
            guard xs.rank >= 1, xs.last == inFeatures else {
                throw invalid(op, "input \(xs) does not end in the weights' \(inFeatures) input features")
            }
        } else if xs.rank != 2 || xs.last != inFeatures {
            // keep_num_dims = false: TFLite flattens the input to [N, In].
            guard inFeatures > 0, let n = xs.checkedElementCount, n % inFeatures == 0 else {
                throw invalid(op, "input \(xs) cannot be flattened to [N, \(inFeatures)]")
            }
            let v = b.values[x]
            x = try b.node(.reshape([n / inFeatures, inFeatures]), inputs: [x], name: "op\(op.index).flatten", dtype: v.dtype, quant: v.quant)
        }
        var ins = [x, try constant(op, op.inputs[1], .denseOIToIO, role: "weights")]
        try checkNotHybrid(op, x, ins[1])
        if let bias = optionalInputIndex(op, 2) { ins.append(try constant(op, bias, .asIs, role: "bias")) }
        try emit(op, .dense(activation: act), ins)
    }

    mutating func convertPool(_ op: Op) throws {
        let x = try input(op, 0)
        let xs = try spatialInput(op, x)
        let o = try options(op, OptionsType.pool2d)
        let window = try size2D(op, "filter", o?.i32(TFLSchema.Pool2DOptions.filterH) ?? 0, o?.i32(TFLSchema.Pool2DOptions.filterW) ?? 0)
        let stride = try size2D(op, "stride", o?.i32(TFLSchema.Pool2DOptions.strideH) ?? 0, o?.i32(TFLSchema.Pool2DOptions.strideW) ?? 0)
        let pad = try padding(op, o?.i8(TFLSchema.Pool2DOptions.padding) ?? 0, input: xs, kernel: window, stride: stride, dilation: .one)
        let act = try activation(op, o?.i8(TFLSchema.Pool2DOptions.activation) ?? 0)
        let attrs = PoolAttributes(window: window, stride: stride, padding: pad)
        try emit(op, op.code == Code.maxPool2d ? .maxPool2d(attrs) : .averagePool2d(attrs), [x], fusedActivation: act)
    }

    /// MEAN over the two spatial axes of an NHWC tensor: a global average pool (plus a reshape with
    /// keep_dims); MEAN over the last axis: a channel mean.
    mutating func convertMean(_ op: Op) throws {
        let x = try input(op, 0)
        let xs = b.values[x].shape
        let keepDims = try options(op, OptionsType.reducer)?.bool(TFLSchema.ReducerOptions.keepDims) ?? false
        let axes = Set(try constantInt32s(op, 1, what: "axes").map { $0 < 0 ? $0 + xs.rank : $0 })
        if xs.rank >= 1, axes == [xs.rank - 1] {
            try emit(op, .channelMean(keepDims: keepDims), [x])
            return
        }
        guard xs.rank == 4 else { throw unsupportedOption(op, "MEAN of a rank-\(xs.rank) tensor over axes \(axes.sorted()) (only NHWC over H and W, or the last axis)") }
        guard axes == [1, 2] else { throw unsupportedOption(op, "MEAN over axes \(axes.sorted()) (only [1, 2] or the last axis is supported)") }
        if keepDims {
            let out = try outputTensor(op)
            let q = try quantParams(out, dtype: try dtype(op, out), axisMap: { $0 })
            let pooled = try b.node(.globalAveragePool, inputs: [x], name: "op\(op.index).global_average_pool", dtype: b.values[x].dtype, quant: q)
            try emit(op, .reshape(Shape(out.shape)), [pooled])
        } else {
            try emit(op, .globalAveragePool, [x])
        }
    }

    /// PAD / PADV2 with constant paddings `[rank, 2]` (int32) and, for PADV2, a constant float32 scalar value.
    mutating func convertPad(_ op: Op) throws {
        let x = try input(op, 0)
        let rank = b.values[x].shape.rank
        let amounts = try constantInt32s(op, 1, what: "paddings")
        guard amounts.count == 2 * rank else { throw invalid(op, "paddings hold \(amounts.count) values, expected [\(rank), 2]") }
        guard amounts.allSatisfy({ $0 >= 0 && $0 <= Self.maxSpatial }) else { throw invalid(op, "paddings \(amounts) are outside 0…\(Self.maxSpatial)") }
        var value: Float = 0
        if op.code == Code.padV2, let k = optionalInputIndex(op, 2) {
            let t = file.tensors[k]
            guard t.type == TFLSchema.TensorType.float32.rawValue else {
                throw unsupportedOption(op, "PADV2 constant of type \(TFLSchema.TensorType.name(t.type)) (only float32)")
            }
            let range = try file.bufferRange(t.buffer)
            guard range.count == 4 else { throw invalid(op, "PADV2 constant must be one float32") }
            value = Float(bitPattern: UInt32(bitPattern: try file.reader.i32(at: range.lowerBound)))
        }
        let attrs = PadAttributes(before: stride(from: 0, to: amounts.count, by: 2).map { amounts[$0] },
                                  after: stride(from: 1, to: amounts.count, by: 2).map { amounts[$0] }, value: value)
        try emit(op, .pad(attrs), [x])
    }

    /// A small constant int32 tensor input (axes, paddings), as Ints.
    func constantInt32s(_ op: Op, _ k: Int, what: String) throws -> [Int] {
        guard k < op.inputs.count, op.inputs[k] >= 0 else { throw invalid(op, "missing the \(what) input") }
        let t = file.tensors[op.inputs[k]]
        guard t.type == TFLSchema.TensorType.int32.rawValue else { throw unsupportedOption(op, "\(what) tensor of type \(TFLSchema.TensorType.name(t.type))") }
        let range = try file.bufferRange(t.buffer)
        guard !range.isEmpty, range.count % 4 == 0, range.count <= 256 else { throw unsupportedOption(op, "\(what) must be a small constant int32 tensor") }
        return try stride(from: range.lowerBound, to: range.upperBound, by: 4).map { Int(try file.reader.i32(at: $0)) }
    }

    // MARK: Helpers

    /// The Edgewise value for required input `k`.
    mutating func input(_ op: Op, _ k: Int) throws -> ValueID {
        guard k < op.inputs.count, op.inputs[k] >= 0 else { throw invalid(op, "missing required input \(k)") }
        return try value(op, op.inputs[k])
    }

    func optionalInputIndex(_ op: Op, _ k: Int) -> Int? {
        guard k < op.inputs.count, op.inputs[k] >= 0 else { return nil }
        return op.inputs[k]
    }

    /// The value of TFLite tensor `index`: computed earlier, or a constant.
    mutating func value(_ op: Op, _ index: Int) throws -> ValueID {
        if let v = valueOf[index] { return v }
        let t = file.tensors[index]
        if t.buffer != 0, !(try file.bufferRange(t.buffer)).isEmpty {
            return try constant(op, index, .asIs, role: "const")
        }
        throw invalid(op, "reads tensor '\(t.name)' (#\(index)) before any operator writes it")
    }

    func outputTensor(_ op: Op) throws -> TFLiteModelFile.Tensor {
        guard op.outputs.count == 1 else { throw invalid(op, "has \(op.outputs.count) outputs, expected 1") }
        return file.tensors[op.outputs[0]]
    }

    func weightTensor(_ op: Op, _ k: Int, rank: Int, what: String) throws -> TFLiteModelFile.Tensor {
        guard k < op.inputs.count, op.inputs[k] >= 0 else { throw invalid(op, "missing \(what)") }
        let t = file.tensors[op.inputs[k]]
        guard t.shape.count == rank else { throw invalid(op, "\(what) must have rank \(rank), got \(t.shape)") }
        return t
    }

    /// Checks that `x` is an NHWC tensor of sane size; returns (H, W).
    func spatialInput(_ op: Op, _ x: ValueID) throws -> (Int, Int) {
        let s = b.values[x].shape
        guard s.rank == 4 else { throw invalid(op, "input must be NHWC (rank 4), got \(s)") }
        guard s[1] <= Self.maxSpatial, s[2] <= Self.maxSpatial else { throw unsupportedOption(op, "spatial size \(s) is too large") }
        return (s[1], s[2])
    }

    func size2D(_ op: Op, _ what: String, _ h: Int32, _ w: Int32) throws -> Size2D {
        guard h >= 1, w >= 1, Int(h) <= Self.maxSpatial, Int(w) <= Self.maxSpatial else {
            throw invalid(op, "\(what) \(h)x\(w) is out of range (1…\(Self.maxSpatial))")
        }
        return Size2D(Int(h), Int(w))
    }

    func padding(_ op: Op, _ raw: Int8, input: (Int, Int), kernel: Size2D, stride: Size2D, dilation: Size2D) throws -> Padding {
        switch raw {
        case TFLSchema.Padding.same:
            return Padding.same(inputHW: input, kernelHW: (kernel.h, kernel.w), strideHW: (stride.h, stride.w), dilationHW: (dilation.h, dilation.w))
        case TFLSchema.Padding.valid:
            return .valid
        default:
            throw unsupportedOption(op, "padding \(raw)")
        }
    }

    func activation(_ op: Op, _ raw: Int8) throws -> Activation {
        switch raw {
        case 0: return .none
        case 1: return .relu
        case 3: return .relu6
        default: throw unsupportedOption(op, "fused activation \(TFLSchema.ActivationFunction.name(raw))")
        }
    }

    /// The operator's builtin options table when it has the expected type; `nil` (schema defaults) when absent.
    func options(_ op: Op, _ expected: UInt8) throws -> FlatTable? {
        if op.optionsType == 0 { return nil }
        guard op.optionsType == expected else {
            throw invalid(op, "builtin options of union type \(op.optionsType), expected \(expected)")
        }
        return op.options
    }

    func checkNotHybrid(_ op: Op, _ x: ValueID, _ w: ValueID) throws {
        let xt = b.values[x].dtype, wt = b.values[w].dtype
        if xt == .float32 && wt != .float32 {
            throw unsupportedOption(op, "hybrid weight-only quantisation (float32 input, \(wt) weights)")
        }
        if xt != .float32 && wt == .float32 {
            throw unsupportedOption(op, "\(xt) input with float32 weights")
        }
    }

    func edgewiseType(_ raw: Int8) -> DType? {
        switch TFLSchema.TensorType(rawValue: raw) {
        case .float32: return .float32
        case .int32: return .int32
        case .int8: return .int8
        case .uint8: return .uint8
        case .int4: return .int4
        default: return nil
        }
    }

    func dtype(_ op: Op, _ t: TFLiteModelFile.Tensor) throws -> DType {
        guard let d = edgewiseType(t.type) else {
            throw TFLiteImportError.unsupportedTensorType(file: name, operatorIndex: op.index, op: op.name, tensor: t.name, type: TFLSchema.TensorType.name(t.type))
        }
        if t.isSparse {
            throw TFLiteImportError.unsupportedTensorType(file: name, operatorIndex: op.index, op: op.name, tensor: t.name, type: "sparse \(TFLSchema.TensorType.name(t.type))")
        }
        if t.isVariable {
            throw TFLiteImportError.unsupportedTensorType(file: name, operatorIndex: op.index, op: op.name, tensor: t.name, type: "variable \(TFLSchema.TensorType.name(t.type))")
        }
        return d
    }

    struct QuantError: Error { var detail: String }

    /// The tensor's quantisation as Edgewise ``QuantParams`` (quantised and int32 tensors with scales),
    /// with the per-axis dimension mapped through `axisMap` into the Edgewise layout.
    func quantParams(_ t: TFLiteModelFile.Tensor, dtype: DType, axisMap: (Int) -> Int?) throws -> QuantParams? {
        guard dtype.isQuantized || dtype == .int32, let q = t.quantization else { return nil }
        if q.hasCustomDetails { throw QuantError(detail: "tensor '\(t.name)' uses custom quantisation details") }
        if q.scales.isEmpty { return nil }
        let zps: [Int64]
        if q.zeroPoints.isEmpty {
            zps = [Int64](repeating: 0, count: q.scales.count)
        } else {
            guard q.zeroPoints.count == q.scales.count else {
                throw QuantError(detail: "tensor '\(t.name)' has \(q.scales.count) scales but \(q.zeroPoints.count) zero points")
            }
            zps = q.zeroPoints
        }
        var zp32: [Int32] = []
        zp32.reserveCapacity(zps.count)
        for z in zps {
            guard let v = Int32(exactly: z) else { throw QuantError(detail: "tensor '\(t.name)' has zero point \(z) outside Int32") }
            zp32.append(v)
        }
        guard q.scales.count > 1 else { return QuantParams(scales: q.scales, zeroPoints: zp32, axis: nil) }
        let d = q.quantizedDimension
        guard d >= 0, d < t.shape.count, t.shape[d] == q.scales.count, let axis = axisMap(d) else {
            throw QuantError(detail: "tensor '\(t.name)' \(t.shape) has \(q.scales.count) scales along quantized_dimension \(d)")
        }
        return QuantParams(scales: q.scales, zeroPoints: zp32, axis: axis)
    }

    /// Adds TFLite tensor `index` as a constant in the Edgewise layout (cached per tensor and layout).
    mutating func constant(_ op: Op, _ index: Int, _ layout: Layout, role: String) throws -> ValueID {
        let key = ConstantKey(tensor: index, layout: layout)
        if let v = constantCache[key] { return v }
        let t = file.tensors[index]
        let dt = try dtype(op, t)
        let range = t.buffer == 0 ? 0..<0 : try file.bufferRange(t.buffer)
        guard !range.isEmpty else { throw invalid(op, "\(role) tensor '\(t.name)' (#\(index)) has no constant data") }
        // The tensor's element count was bounded when the file was read, so this cannot overflow.
        let count = t.shape.reduce(1, *)
        guard let bytes = dt.byteCount(for: count), bytes == range.count else {
            throw invalid(op, "\(role) tensor '\(t.name)' \(t.shape) \(dt) needs \(dt.byteCount(for: count) ?? -1) bytes, its buffer holds \(range.count)")
        }
        let shape: [Int], perm: [Int]
        switch layout {
        case .asIs:
            shape = t.shape; perm = Array(0..<t.shape.count)
        case .convOHWIToHWIO:
            guard t.shape.count == 4 else { throw invalid(op, "conv weights must have rank 4, got \(t.shape)") }
            perm = [1, 2, 3, 0]; shape = perm.map { t.shape[$0] }
        case .depthwiseDropLeadingOne:
            guard t.shape.count == 4, t.shape[0] == 1 else { throw invalid(op, "depthwise weights must be [1,KH,KW,C·M], got \(t.shape)") }
            // Dropping a leading 1 keeps the bytes; old axis a (≥ 1) becomes a - 1.
            shape = Array(t.shape.dropFirst()); perm = [0, 1, 2, 3]
        case .denseOIToIO:
            guard t.shape.count == 2 else { throw invalid(op, "dense weights must have rank 2, got \(t.shape)") }
            perm = [1, 0]; shape = [t.shape[1], t.shape[0]]
        }
        let identity = perm == Array(0..<perm.count)
        let axisMap: (Int) -> Int? = { old in
            if layout == .depthwiseDropLeadingOne { return old >= 1 ? old - 1 : nil }
            return perm.firstIndex(of: old)
        }
        let quant = try quantParams(t, dtype: dt, axisMap: axisMap)
        if !identity && dt == .int4 {
            throw TFLiteImportError.unsupportedTensorType(file: name, operatorIndex: op.index, op: op.name, tensor: t.name, type: "INT4 weights that need a transpose")
        }
        // Tensors sharing a buffer share its copy (identity layouts by buffer alone). The total copied
        // is capped so a hostile file cannot make many tensors re-copy one big buffer.
        let storageKey = StorageKey(buffer: t.buffer, perm: identity ? [] : perm, shape: identity ? [] : t.shape)
        if let storage = storageCache[storageKey] {
            let v = b.constant("op\(op.index).\(role)", shape: Shape(shape), dtype: dt, quant: quant,
                               data: TensorData(storage: storage, offset: 0, byteCount: storage.bytes.count))
            constantCache[key] = v
            return v
        }
        copiedConstantBytes += range.count
        guard copiedConstantBytes <= 4 * file.reader.count + 65_536 else {
            throw invalid(op, "constants would need more than 4x the file size in copies (buffers reused by too many tensors)")
        }
        // Copied straight into a 64-byte-aligned block (not through `TensorData(copying:)`: see the
        // note on `alignedStorage`).
        let storage = alignedStorage(byteCount: range.count) { dst in
            file.reader.bytes[range].withUnsafeBytes { src in
                if identity {
                    dst.copyMemory(from: src)
                } else {
                    permute(src, into: dst, shape: t.shape, perm: perm, elementSize: dt == .float32 || dt == .int32 ? 4 : 1)
                }
            }
        }
        storageCache[storageKey] = storage
        let data = TensorData(storage: storage, offset: 0, byteCount: range.count)
        let v = b.constant("op\(op.index).\(role)", shape: Shape(shape), dtype: dt, quant: quant, data: data)
        constantCache[key] = v
        return v
    }

    /// Appends the Edgewise node for `op` writing its single output tensor, checking the inferred shape
    /// against the shape the file declares. A fused activation other than `.none` becomes a second node.
    mutating func emit(_ op: Op, _ edgeOp: Operator, _ inputs: [ValueID], fusedActivation: Activation = .none) throws {
        let outIndex = try outputTensor(op).index
        let t = file.tensors[outIndex]
        let dt = try dtype(op, t)
        let q = try quantParams(t, dtype: dt, axisMap: { $0 })
        guard valueOf[outIndex] == nil else { throw invalid(op, "writes tensor '\(t.name)' (#\(outIndex)), which is already written") }
        let base = "op\(op.index).\(edgeOp.kindName)"
        var v = try b.node(edgeOp, inputs: inputs, name: base, dtype: dt, quant: q)
        if fusedActivation != .none {
            v = try b.node(.activation(fusedActivation), inputs: [v], name: "op\(op.index).\(fusedActivation.rawValue)", dtype: dt, quant: q)
        }
        let inferred = b.values[v].shape
        guard inferred == Shape(t.shape) else {
            throw invalid(op, "output '\(t.name)' is declared \(Shape(t.shape)) in the file but the operator gives \(inferred)")
        }
        guard b.values[v].dtype == dt else {
            throw invalid(op, "output '\(t.name)' is \(dt) in the file but the operator gives \(b.values[v].dtype)")
        }
        valueOf[outIndex] = v
    }
}

/// A new 64-byte-aligned ``ByteStorage`` of `byteCount` bytes, every byte written by `fill`.
///
/// Built by hand rather than with `ByteStorage(copying: [T])` / `TensorData(copying:)`: that
/// initialiser lets the array's pointer escape `withUnsafeBytes`, which AddressSanitizer reports as a
/// heap use-after-free in optimised builds (reported to the EdgewiseCore owner).
func alignedStorage(byteCount: Int, _ fill: (UnsafeMutableRawBufferPointer) -> Void) -> ByteStorage {
    let p = UnsafeMutableRawPointer.allocate(byteCount: max(byteCount, 1), alignment: 64)
    let buffer = UnsafeMutableRawBufferPointer(start: p, count: byteCount)
    fill(buffer)
    return ByteStorage(bytes: UnsafeRawBufferPointer(buffer)) { b in b.baseAddress?.deallocate() }
}

/// Copies a row-major tensor of `shape` from `src` into `dst` in the axis order `perm` (output axis i
/// is input axis `perm[i]`). Both buffers hold exactly the tensor's bytes.
func permute(_ src: UnsafeRawBufferPointer, into dst: UnsafeMutableRawBufferPointer, shape: [Int], perm: [Int], elementSize: Int) {
    let rank = shape.count
    let total = shape.reduce(1, *)
    precondition(src.count == total * elementSize && dst.count == src.count && perm.count == rank)
    guard total > 0 else { return }
    var srcStrides = [Int](repeating: 1, count: rank)
    if rank >= 2 {
        for d in stride(from: rank - 2, through: 0, by: -1) { srcStrides[d] = srcStrides[d + 1] * shape[d + 1] }
    }
    let outDims = perm.map { shape[$0] }
    let step = perm.map { srcStrides[$0] * elementSize }
    var idx = [Int](repeating: 0, count: rank)
    var sp = 0
    var op = 0
    for _ in 0..<total {
        for k in 0..<elementSize { dst[op + k] = src[sp + k] }
        op += elementSize
        var d = rank - 1
        while d >= 0 {
            idx[d] += 1
            sp += step[d]
            if idx[d] < outDims[d] { break }
            sp -= step[d] * outDims[d]
            idx[d] = 0
            d -= 1
        }
    }
}
