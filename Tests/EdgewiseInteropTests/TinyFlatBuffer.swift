@testable import EdgewiseInterop

/// A minimal FlatBuffer writer for tests: builds small synthetic TFLite models (front to back, children
/// after their parents so every uoffset is positive). Written for these tests; not a general builder.
indirect enum FBValue {
    case u8(UInt8)
    case i8(Int8)
    case bool(Bool)
    case i32(Int32)
    case u32(UInt32)
    case f32(Float)
    case u64(UInt64)
    case table(FBTable)
    case ints([Int32])
    case longs([Int64])
    case floats([Float])
    case bytes([UInt8])
    case tables([FBTable])
    case string(String)

    var inlineSize: Int {
        switch self {
        case .u8, .i8, .bool: return 1
        case .i32, .u32, .f32: return 4
        case .u64: return 8
        default: return 4  // uoffset
        }
    }
}

/// A table: field id → value.
struct FBTable {
    var fields: [Int: FBValue]
    init(_ fields: [Int: FBValue]) { self.fields = fields }
}

struct FBWriter {
    private(set) var out: [UInt8] = []

    private mutating func align(_ n: Int, plus offset: Int = 0) {
        while (out.count + offset) % n != 0 { out.append(0) }
    }

    private mutating func put<T: FixedWidthInteger>(_ v: T) {
        withUnsafeBytes(of: v.littleEndian) { out.append(contentsOf: $0) }
    }

    private mutating func patch32(_ at: Int, _ v: UInt32) {
        for i in 0..<4 { out[at + i] = UInt8(truncatingIfNeeded: v >> (8 * UInt32(i))) }
    }

    /// A whole buffer: root uoffset, the 4-byte identifier, then the root table.
    static func finish(_ root: FBTable, identifier: String = "TFL3") -> [UInt8] {
        var w = FBWriter()
        w.put(UInt32(0))
        w.out.append(contentsOf: Array(identifier.utf8))
        let r = w.write(root)
        w.patch32(0, UInt32(r))
        return w.out
    }

    /// Writes `t` (vtable first, then the table, then its children); returns the table's position.
    mutating func write(_ t: FBTable) -> Int {
        let ids = t.fields.keys.sorted()
        let maxID = ids.last ?? -1
        // Inline layout: soffset, then fields in id order, each aligned to its size.
        var layout: [Int: Int] = [:]
        var size = 4
        for id in ids {
            let s = t.fields[id]!.inlineSize
            while size % s != 0 { size += 1 }
            layout[id] = size
            size += s
        }
        while size % 4 != 0 { size += 1 }
        align(2)
        let vtable = out.count
        put(UInt16(4 + 2 * (maxID + 1)))
        put(UInt16(size))
        for id in 0...max(maxID, 0) where maxID >= 0 { put(UInt16(layout[id] ?? 0)) }
        align(8, plus: 0)
        let table = out.count
        out.append(contentsOf: [UInt8](repeating: 0, count: size))
        let soffset = Int32(table - vtable)
        withUnsafeBytes(of: soffset.littleEndian) { for i in 0..<4 { out[table + i] = $0[i] } }
        for id in ids {
            let at = table + layout[id]!
            func set(_ bytes: [UInt8]) { for (i, b) in bytes.enumerated() { out[at + i] = b } }
            switch t.fields[id]! {
            case .u8(let v): set([v])
            case .i8(let v): set([UInt8(bitPattern: v)])
            case .bool(let v): set([v ? 1 : 0])
            case .i32(let v): set(withUnsafeBytes(of: v.littleEndian, Array.init))
            case .u32(let v): set(withUnsafeBytes(of: v.littleEndian, Array.init))
            case .f32(let v): set(withUnsafeBytes(of: v.bitPattern.littleEndian, Array.init))
            case .u64(let v): set(withUnsafeBytes(of: v.littleEndian, Array.init))
            case .table(let sub):
                let p = write(sub)
                patch32(at, UInt32(p - at))
            case .ints(let v): let p = vector(v.count, 4) { for x in v { $0.put(x) } }; patch32(at, UInt32(p - at))
            case .longs(let v): let p = vector(v.count, 8) { for x in v { $0.put(x) } }; patch32(at, UInt32(p - at))
            case .floats(let v): let p = vector(v.count, 4) { for x in v { $0.put(x.bitPattern) } }; patch32(at, UInt32(p - at))
            case .bytes(let v): let p = vector(v.count, 16) { $0.out.append(contentsOf: v) }; patch32(at, UInt32(p - at))
            case .string(let s):
                let u = Array(s.utf8)
                let p = vector(u.count, 4) { $0.out.append(contentsOf: u); $0.out.append(0) }
                patch32(at, UInt32(p - at))
            case .tables(let ts):
                let p = vector(ts.count, 4) { w in for _ in ts { w.put(UInt32(0)) } }
                for (i, sub) in ts.enumerated() {
                    let slot = p + 4 + 4 * i
                    let q = write(sub)
                    patch32(slot, UInt32(q - slot))
                }
                patch32(at, UInt32(p - at))
            }
        }
        return table
    }

    /// Writes a vector header (count) aligned so the elements are `elementAlign`-aligned; returns its position.
    private mutating func vector(_ count: Int, _ elementAlign: Int, _ body: (inout FBWriter) -> Void) -> Int {
        align(max(elementAlign, 4), plus: 4)
        let p = out.count
        put(UInt32(count))
        body(&self)
        return p
    }
}

/// A synthetic single-subgraph TFLite model.
struct TinyTFLite {
    struct Tensor {
        var shape: [Int32]
        var type: Int8 = 0
        var buffer: UInt32 = 0
        var name: String
        var quant: (scales: [Float], zeroPoints: [Int64], dimension: Int32)? = nil
    }
    struct Op {
        var opcode: UInt32
        var inputs: [Int32]
        var outputs: [Int32]
        var optionsType: UInt8 = 0
        var options: FBTable? = nil
    }

    var tensors: [Tensor] = []
    /// Buffer 0 is the empty sentinel; `addBuffer` appends.
    var buffers: [[UInt8]] = [[]]
    /// (builtin code, custom code).
    var opcodes: [(Int32, String?)] = []
    var ops: [Op] = []
    var inputs: [Int32] = []
    var outputs: [Int32] = []
    var version: UInt32 = 3

    mutating func addBuffer(_ b: [UInt8]) -> UInt32 { buffers.append(b); return UInt32(buffers.count - 1) }

    mutating func addFloatBuffer(_ f: [Float]) -> UInt32 {
        addBuffer(f.flatMap { withUnsafeBytes(of: $0.bitPattern.littleEndian, Array.init) })
    }

    /// Adds a tensor; returns its index.
    @discardableResult
    mutating func tensor(_ name: String, _ shape: [Int32], type: Int8 = 0, buffer: UInt32 = 0,
                         quant: (scales: [Float], zeroPoints: [Int64], dimension: Int32)? = nil) -> Int32 {
        tensors.append(Tensor(shape: shape, type: type, buffer: buffer, name: name, quant: quant))
        return Int32(tensors.count - 1)
    }

    /// Adds an operator with builtin `code` (and custom name for CUSTOM), registering the opcode once.
    mutating func op(_ code: Int32, custom: String? = nil, _ inputs: [Int32], _ outputs: [Int32],
                     optionsType: UInt8 = 0, options: [Int: FBValue]? = nil) {
        let ci: Int
        if let i = opcodes.firstIndex(where: { $0.0 == code && $0.1 == custom }) { ci = i } else { opcodes.append((code, custom)); ci = opcodes.count - 1 }
        ops.append(Op(opcode: UInt32(ci), inputs: inputs, outputs: outputs, optionsType: optionsType, options: options.map(FBTable.init)))
    }

    func bytes() -> [UInt8] {
        let S = TFLSchema.self
        let tensorTables = tensors.map { t -> FBTable in
            var f: [Int: FBValue] = [S.Tensor.shape: .ints(t.shape), S.Tensor.type: .i8(t.type),
                                     S.Tensor.buffer: .u32(t.buffer), S.Tensor.name: .string(t.name)]
            if let q = t.quant {
                f[S.Tensor.quantization] = .table(FBTable([S.Quantization.scale: .floats(q.scales),
                                                           S.Quantization.zeroPoint: .longs(q.zeroPoints),
                                                           S.Quantization.quantizedDimension: .i32(q.dimension)]))
            }
            return FBTable(f)
        }
        let opTables = ops.map { o -> FBTable in
            var f: [Int: FBValue] = [S.Operator.opcodeIndex: .u32(o.opcode), S.Operator.inputs: .ints(o.inputs),
                                     S.Operator.outputs: .ints(o.outputs)]
            if let opts = o.options {
                f[S.Operator.builtinOptionsType] = .u8(o.optionsType)
                f[S.Operator.builtinOptions] = .table(opts)
            }
            return FBTable(f)
        }
        let codeTables = opcodes.map { c -> FBTable in
            var f: [Int: FBValue] = [S.OperatorCode.deprecatedBuiltinCode: .i8(Int8(clamping: min(c.0, 127))),
                                     S.OperatorCode.builtinCode: .i32(c.0), S.OperatorCode.version: .i32(1)]
            if let name = c.1 { f[S.OperatorCode.customCode] = .string(name) }
            return FBTable(f)
        }
        let subgraph = FBTable([S.SubGraph.tensors: .tables(tensorTables), S.SubGraph.inputs: .ints(inputs),
                                S.SubGraph.outputs: .ints(outputs), S.SubGraph.operators: .tables(opTables),
                                S.SubGraph.name: .string("main")])
        let root = FBTable([S.Model.version: .u32(version), S.Model.operatorCodes: .tables(codeTables),
                            S.Model.subgraphs: .tables([subgraph]), S.Model.description: .string("tiny test model"),
                            S.Model.buffers: .tables(buffers.map { FBTable($0.isEmpty ? [:] : [S.Buffer.data: .bytes($0)]) })])
        return FBWriter.finish(root)
    }
}
