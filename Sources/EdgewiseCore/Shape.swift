/// The dimensions of a tensor, outermost first.
///
/// Edgewise lays activations out **channels last**: 2-D feature maps are `[N, H, W, C]` (NHWC) and 1-D
/// signals are `[N, W, C]` (NWC, treated by the spatial operators as NHWC with `H = 1`). Channels last
/// makes a 1×1 convolution a plain GEMM over pixels, lets depthwise kernels vectorise across channels,
/// lets a streaming signal grow along `W` without a transpose, and matches TFLite, so imported models
/// need no layout change of their activations.
public struct Shape: Hashable, Codable, Sendable, CustomStringConvertible, ExpressibleByArrayLiteral {
    /// The dimension sizes, outermost first. All are ≥ 0 in a valid shape.
    public var dims: [Int]

    public init(_ dims: [Int]) { self.dims = dims }
    public init(arrayLiteral elements: Int...) { self.dims = elements }

    /// The number of dimensions.
    public var rank: Int { dims.count }

    /// The number of elements, or `nil` when a dimension is negative or the product overflows `Int`.
    public var checkedElementCount: Int? {
        var n = 1
        for d in dims {
            guard d >= 0 else { return nil }
            let (p, o) = n.multipliedReportingOverflow(by: d)
            if o { return nil }
            n = p
        }
        return n
    }

    /// The number of elements. Only call on shapes that passed validation.
    public var elementCount: Int { dims.reduce(1, *) }

    /// The size of dimension `i`; negative `i` counts from the end (`-1` is the last).
    public subscript(i: Int) -> Int {
        get { dims[i < 0 ? dims.count + i : i] }
        set { dims[i < 0 ? dims.count + i : i] = newValue }
    }

    /// The last dimension (channels, for activations).
    public var last: Int { dims.last ?? 1 }

    public var description: String { "[" + dims.map(String.init).joined(separator: ", ") + "]" }
}

extension Shape {
    /// The spatial view of an activation: `[N,H,W,C]` as is, `[N,W,C]` (a 1-D signal) with `H = 1`.
    public var nhwc: (n: Int, h: Int, w: Int, c: Int) {
        rank == 4 ? (dims[0], dims[1], dims[2], dims[3]) : (dims[0], 1, dims[1], dims[2])
    }
}
