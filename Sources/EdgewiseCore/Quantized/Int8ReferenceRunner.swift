/// Why the int8 reference runner cannot run a graph, naming the node and what is wrong.
public enum Int8RunnerError: Error, Equatable, CustomStringConvertible {
    case unsupported(node: String, detail: String)
    case missingQuantization(node: String, value: String)
    case badInput(detail: String)

    public var description: String {
        switch self {
        case .unsupported(let n, let d): return "node '\(n)': \(d)"
        case .missingQuantization(let n, let v): return "node '\(n)': value '\(v)' has no quantisation parameters"
        case .badInput(let d): return "input: \(d)"
        }
    }
}

/// Runs a quantised graph (as imported from an int8 TFLite file) node by node with the plain Swift
/// ``Int8Reference`` kernels, keeping every value. This is the oracle for the optimised int8 path and
/// what the LiteRT fixture tests compare tensor by tensor; it allocates freely and is not fast.
///
/// Values are held as raw little-endian bytes (`Int8` for int8 values, `Float` for float32 ones).
public struct Int8ReferenceRunner {
    public let graph: Graph

    public init(graph: Graph) { self.graph = graph }

    /// Runs every node in execution order on `input` (raw bytes of the graph input's dtype) and
    /// returns every computed value (input included) by value id.
    public func run(input: [UInt8]) throws -> [ValueID: [UInt8]] {
        var values: [ValueID: [UInt8]] = [:]
        let inV = graph.values[graph.input]
        guard let need = inV.dtype.byteCount(for: inV.shape.elementCount), need == input.count else {
            throw Int8RunnerError.badInput(detail: "expected \(inV.shape) \(inV.dtype), got \(input.count) bytes")
        }
        values[graph.input] = input
        for (node, _, _) in graph.nodesInExecutionOrder {
            values[node.output] = try runNode(node, values)
        }
        return values
    }

    func quant(_ node: Node, _ id: ValueID) throws -> QuantParams {
        guard let q = graph.values[id].quant, !q.scales.isEmpty else {
            throw Int8RunnerError.missingQuantization(node: node.name, value: graph.values[id].name)
        }
        return q
    }

    func bytes(_ id: ValueID, _ values: [ValueID: [UInt8]]) -> [UInt8] {
        if let v = values[id] { return v }
        if let c = graph.constants[id] { return Array(c.bytes) }
        return []
    }

    static func nhwc(_ s: Shape) -> Int8Reference.NHWC {
        switch s.rank {
        case 4: return .init(s[0], s[1], s[2], s[3])
        case 3: return .init(s[0], 1, s[1], s[2])
        case 2: return .init(s[0], 1, 1, s[1])
        default: return .init(1, 1, 1, s.elementCount)
        }
    }

    func runNode(_ node: Node, _ values: [ValueID: [UInt8]]) throws -> [UInt8] {
        let outV = graph.values[node.output]
        let count = outV.shape.elementCount
        let x = bytes(node.inputs[0], values)
        let xV = graph.values[node.inputs[0]]
        func int8Out(_ body: (UnsafeMutablePointer<Int8>) throws -> Void) rethrows -> [UInt8] {
            var out = [UInt8](repeating: 0, count: count)
            try out.withUnsafeMutableBytes { try body($0.baseAddress!.assumingMemoryBound(to: Int8.self)) }
            return out
        }
        func ptr<T>(_ a: [UInt8], _: T.Type, _ body: (UnsafePointer<T>) throws -> Void) rethrows {
            try a.withUnsafeBytes { try body($0.baseAddress!.assumingMemoryBound(to: T.self)) }
        }
        func optionalBias(_ k: Int, _ body: (UnsafePointer<Int32>?) -> Void) {
            if node.inputs.count > k {
                let b = bytes(node.inputs[k], values)
                b.withUnsafeBytes { body($0.baseAddress!.assumingMemoryBound(to: Int32.self)) }
            } else { body(nil) }
        }
        if outV.dtype != .int8 && !(node.op == .dequantize) {
            throw Int8RunnerError.unsupported(node: node.name, detail: "output dtype \(outV.dtype) (the int8 runner handles int8 graphs)")
        }

        switch node.op {
        case .conv2d(let a), .depthwiseConv2d(let a):
            let qx = try quant(node, node.inputs[0]), qw = try quant(node, node.inputs[1]), qy = try quant(node, node.output)
            let wV = graph.values[node.inputs[1]]
            let isDepthwise: Bool
            if case .depthwiseConv2d = node.op { isDepthwise = true } else { isDepthwise = false }
            let channels = wV.shape.dims.last ?? 0
            let rq = Int8Requant.convolution(inputScale: qx.scales[0], inputZeroPoint: qx.zeroPoints[0], weightScales: qw.scales,
                                             channels: channels, outputScale: qy.scales[0], outputZeroPoint: qy.zeroPoints[0],
                                             activation: a.activation)
            let xs = Self.nhwc(xV.shape), ys = Self.nhwc(outV.shape)
            let kernel = Size2D(wV.shape[0], wV.shape[1])
            let w = bytes(node.inputs[1], values)
            return int8Out { y in
                ptr(x, Int8.self) { xp in
                    ptr(w, Int8.self) { wp in
                        optionalBias(2) { bp in
                            if isDepthwise {
                                Int8Reference.depthwiseConv2d(x: xp, xs, weights: wp, kernel: kernel, bias: bp, a, rq, y: y, ys)
                            } else {
                                Int8Reference.conv2d(x: xp, xs, weights: wp, kernel: kernel, outChannels: channels, bias: bp, a, rq, y: y, ys)
                            }
                        }
                    }
                }
            }

        case .dense(let act):
            let qx = try quant(node, node.inputs[0]), qw = try quant(node, node.inputs[1]), qy = try quant(node, node.output)
            let wV = graph.values[node.inputs[1]]
            let inF = wV.shape[0], outF = wV.shape[1]
            let rq = qw.scales.count == 1
                ? Int8Requant.fullyConnectedPerTensor(inputScale: qx.scales[0], inputZeroPoint: qx.zeroPoints[0], weightScale: qw.scales[0],
                                                      outputScale: qy.scales[0], outputZeroPoint: qy.zeroPoints[0], activation: act)
                : Int8Requant.convolution(inputScale: qx.scales[0], inputZeroPoint: qx.zeroPoints[0], weightScales: qw.scales,
                                          channels: outF, outputScale: qy.scales[0], outputZeroPoint: qy.zeroPoints[0], activation: act)
            let w = bytes(node.inputs[1], values)
            return int8Out { y in
                ptr(x, Int8.self) { xp in
                    ptr(w, Int8.self) { wp in
                        optionalBias(2) { bp in
                            Int8Reference.dense(x: xp, rows: xV.shape.elementCount / inF, inFeatures: inF, weights: wp, outFeatures: outF,
                                                bias: bp, rq, y: y)
                        }
                    }
                }
            }

        case .averagePool2d(let p), .maxPool2d(let p):
            let xs = Self.nhwc(xV.shape), ys = Self.nhwc(outV.shape)
            return int8Out { y in
                ptr(x, Int8.self) { xp in
                    if case .maxPool2d = node.op {
                        Int8Reference.maxPool(x: xp, xs, p, activationMin: -128, activationMax: 127, y: y, ys)
                    } else {
                        Int8Reference.averagePool(x: xp, xs, p, activationMin: -128, activationMax: 127, y: y, ys)
                    }
                }
            }

        case .globalAveragePool:
            let qx = try quant(node, node.inputs[0]), qy = try quant(node, node.output)
            let xs = Self.nhwc(xV.shape)
            return int8Out { y in
                ptr(x, Int8.self) { xp in
                    Int8Reference.mean(x: xp, xs, inputScale: qx.scales[0], inputZeroPoint: qx.zeroPoints[0],
                                       outputScale: qy.scales[0], outputZeroPoint: qy.zeroPoints[0], y: y)
                }
            }

        case .activation(let act):
            guard act == .relu || act == .relu6 || act == .none else {
                throw Int8RunnerError.unsupported(node: node.name, detail: "int8 \(act.rawValue) (only clamp activations)")
            }
            let qy = try quant(node, node.output)
            let (lo, hi) = Int8Requant.activationRange(act, scale: qy.scales[0], zeroPoint: qy.zeroPoints[0])
            return int8Out { y in ptr(x, Int8.self) { Int8Reference.clampActivation($0, count: count, min: lo, max: hi, y: y) } }

        case .add(let act):
            let q1 = try quant(node, node.inputs[0]), q2 = try quant(node, node.inputs[1]), qy = try quant(node, node.output)
            let p = Int8AddParams(scale1: q1.scales[0], zeroPoint1: q1.zeroPoints[0], scale2: q2.scales[0], zeroPoint2: q2.zeroPoints[0],
                                  outputScale: qy.scales[0], outputZeroPoint: qy.zeroPoints[0], activation: act)
            let b = bytes(node.inputs[1], values)
            return int8Out { y in ptr(x, Int8.self) { ap in ptr(b, Int8.self) { bp in Int8Reference.add(ap, bp, count: count, p, y: y) } } }

        case .concat(let axisIn):
            let qy = try quant(node, node.output)
            let rank = outV.shape.rank
            let axis = axisIn < 0 ? axisIn + rank : axisIn
            let outer = outV.shape.dims[..<axis].reduce(1, *)
            let arrays = node.inputs.map { bytes($0, values) }
            let qs = try node.inputs.map { try quant(node, $0) }
            let all = arrays.flatMap { $0 }
            return int8Out { y in
                all.withUnsafeBytes { raw in
                    let base = raw.baseAddress!.assumingMemoryBound(to: Int8.self)
                    var ptrs: [(ptr: UnsafePointer<Int8>, inner: Int, scale: Float, zeroPoint: Int32)] = []
                    var offset = 0
                    for (i, a) in arrays.enumerated() {
                        ptrs.append((base + offset, a.count / max(outer, 1), qs[i].scales[0], qs[i].zeroPoints[0]))
                        offset += a.count
                    }
                    Int8Reference.concat(ptrs, outer: outer, outputScale: qy.scales[0], outputZeroPoint: qy.zeroPoints[0], y: y)
                }
            }

        case .reshape:
            return x

        case .softmax:
            let qx = try quant(node, node.inputs[0])
            let depth = outV.shape.last
            let p = Int8SoftmaxParams(inputScale: qx.scales[0])
            return int8Out { y in ptr(x, Int8.self) { Int8Reference.softmax(x: $0, rows: count / depth, depth: depth, p, y: y) } }

        case .quantize:
            let qy = try quant(node, node.output)
            if xV.dtype == .float32 {
                return int8Out { y in ptr(x, Float.self) { Int8Reference.quantize($0, count: count, scale: qy.scales[0], zeroPoint: qy.zeroPoints[0], y: y) } }
            }
            let qx = try quant(node, node.inputs[0])
            return int8Out { y in
                ptr(x, Int8.self) {
                    Int8Reference.requantize($0, count: count, inputScale: qx.scales[0], inputZeroPoint: qx.zeroPoints[0],
                                             outputScale: qy.scales[0], outputZeroPoint: qy.zeroPoints[0], y: y)
                }
            }

        case .dequantize:
            let qx = try quant(node, node.inputs[0])
            var out = [UInt8](repeating: 0, count: count * 4)
            out.withUnsafeMutableBytes { o in
                ptr(x, Int8.self) {
                    Int8Reference.dequantize($0, count: count, scale: qx.scales[0], zeroPoint: qx.zeroPoints[0],
                                             y: o.baseAddress!.assumingMemoryBound(to: Float.self))
                }
            }
            return out

        default:
            throw Int8RunnerError.unsupported(node: node.name, detail: "\(node.op.kindName) has no int8 kernel")
        }
    }
}
