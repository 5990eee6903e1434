/// An element-wise activation, applied on its own or fused into the operator before it.
public enum Activation: String, Codable, Sendable, CaseIterable {
    case none
    case relu
    case relu6
    case hardSwish
    case sigmoid
    /// GELU, tanh approximation: `0.5x(1 + tanh(√(2/π)(x + 0.044715x³)))`.
    case gelu

    /// The clamp bounds when this activation is a plain clamp (none, ReLU, ReLU6), else `nil`.
    public var clampBounds: (min: Float, max: Float)? {
        switch self {
        case .none: return (-.infinity, .infinity)
        case .relu: return (0, .infinity)
        case .relu6: return (0, 6)
        case .hardSwish, .sigmoid, .gelu: return nil
        }
    }
}

/// Explicit zero padding of the two spatial dimensions, in elements.
public struct Padding: Hashable, Codable, Sendable {
    public var top: Int, bottom: Int, left: Int, right: Int
    public init(top: Int = 0, bottom: Int = 0, left: Int = 0, right: Int = 0) {
        self.top = top; self.bottom = bottom; self.left = left; self.right = right
    }
    /// No padding.
    public static let valid = Padding()

    /// TFLite/TensorFlow "SAME" padding for one spatial axis: output size `ceil(input / stride)`, with
    /// the odd element of padding at the end.
    public static func same(input: Int, kernel: Int, stride: Int, dilation: Int) -> (before: Int, after: Int) {
        let effective = (kernel - 1) * dilation + 1
        let out = (input + stride - 1) / stride
        let total = max(0, (out - 1) * stride + effective - input)
        return (total / 2, total - total / 2)
    }

    /// "SAME" padding for a 2-D window.
    public static func same(inputHW: (Int, Int), kernelHW: (Int, Int), strideHW: (Int, Int), dilationHW: (Int, Int) = (1, 1)) -> Padding {
        let h = same(input: inputHW.0, kernel: kernelHW.0, stride: strideHW.0, dilation: dilationHW.0)
        let w = same(input: inputHW.1, kernel: kernelHW.1, stride: strideHW.1, dilation: dilationHW.1)
        return Padding(top: h.before, bottom: h.after, left: w.before, right: w.after)
    }
}

/// A pair of spatial sizes (height, width). For 1-D signals the height is 1.
public struct Size2D: Hashable, Codable, Sendable {
    public var h: Int, w: Int
    public init(_ h: Int, _ w: Int) { self.h = h; self.w = w }
    public static let one = Size2D(1, 1)
}

/// Attributes of a 2-D (or, with height 1, 1-D) convolution.
public struct ConvAttributes: Hashable, Codable, Sendable {
    public var stride: Size2D
    public var dilation: Size2D
    public var padding: Padding
    public var activation: Activation
    /// Output channels per input channel; depthwise convolution only.
    public var depthMultiplier: Int

    public init(stride: Size2D = .one, dilation: Size2D = .one, padding: Padding = .valid,
                activation: Activation = .none, depthMultiplier: Int = 1) {
        self.stride = stride; self.dilation = dilation; self.padding = padding
        self.activation = activation; self.depthMultiplier = depthMultiplier
    }
}

/// Attributes of max and average pooling.
public struct PoolAttributes: Hashable, Codable, Sendable {
    public var window: Size2D
    public var stride: Size2D
    public var padding: Padding
    public init(window: Size2D, stride: Size2D, padding: Padding = .valid) {
        self.window = window; self.stride = stride; self.padding = padding
    }
}

/// One operation of a graph. Inputs are listed in ``Node/inputs`` in the order given here.
///
/// Weight layouts are chosen so the optimised kernels read them in place, with no packing copy:
/// - conv: weights `[KH, KW, Cin, Cout]` (HWIO), so the im2col GEMM's right-hand matrix is the weight
///   tensor itself; bias `[Cout]`.
/// - depthwise conv: weights `[KH, KW, Cin·multiplier]`; bias `[Cin·multiplier]`.
/// - dense: weights `[In, Out]`; bias `[Out]`.
///
/// Average pooling divides by the number of *valid* (non-padding) elements in the window, as TFLite does.
public enum Operator: Hashable, Codable, Sendable {
    /// Inputs: x `[N,H,W,Cin]` or `[N,W,Cin]`, weights `[KH,KW,Cin,Cout]`, optional bias `[Cout]`.
    case conv2d(ConvAttributes)
    /// Inputs: x `[N,H,W,C]` or `[N,W,C]`, weights `[KH,KW,C·M]`, optional bias `[C·M]`.
    case depthwiseConv2d(ConvAttributes)
    /// Inputs: x `[..., In]`, weights `[In, Out]`, optional bias `[Out]`. Output `[..., Out]`.
    case dense(activation: Activation)
    /// Inputs: x (channels last), gamma, beta, mean, variance (each `[C]`). Folded into the preceding
    /// convolution or dense layer by ``Graph/foldingBatchNorms()``.
    case batchNorm(epsilon: Float)
    /// Inputs: x.
    case activation(Activation)
    /// Inputs: x `[N,H,W,C]` or `[N,W,C]`.
    case maxPool2d(PoolAttributes)
    /// Inputs: x `[N,H,W,C]` or `[N,W,C]`.
    case averagePool2d(PoolAttributes)
    /// Inputs: x `[N,H,W,C]` or `[N,W,C]`. Output `[N, C]`.
    case globalAveragePool
    /// Inputs: a, b of the same shape (residual connection).
    case add(activation: Activation)
    /// Inputs: two or more tensors equal in every dimension but `axis`.
    case concat(axis: Int)
    /// Inputs: x. Output has `shape` (same element count); used for flatten too.
    case reshape(Shape)
    /// Inputs: x. Softmax over the last axis.
    case softmax
    /// Inputs: x, gamma `[D]`, beta `[D]`. Normalises over the last axis.
    case layerNorm(epsilon: Float)
    /// Inputs: a `[..., M, K]`, b `[..., K, N]` (or `[..., N, K]` when `transposeB`). Batch dims must match.
    case matmul(transposeB: Bool)
    /// Inputs: x `[N,T,D]`, wq, wk, wv, wo (each `[D,D]`), bq, bk, bv, bo (each `[D]`). Output `[N,T,D]`.
    case multiHeadSelfAttention(heads: Int)
    /// Inputs: x. Zeroes a `rate` fraction of elements while training (scaling the rest by
    /// `1/(1-rate)`); the identity at inference.
    case dropout(rate: Float)
    /// Inputs: x (float32). Output: the node's quantised type with its ``Value/quant``.
    case quantize
    /// Inputs: x (quantised). Output: float32.
    case dequantize

    /// The operator's definition: the one registry that maps each case to the file that implements
    /// it (`Operators/<Name>.swift`). Adding an operator adds one case above and one line here.
    public var definition: any OperatorDefinition {
        switch self {
        case .conv2d(let a): return Operator.Conv2D(a)
        case .depthwiseConv2d(let a): return Operator.DepthwiseConv2D(a)
        case .dense(let act): return Operator.Dense(activation: act)
        case .batchNorm(let eps): return Operator.BatchNorm(epsilon: eps)
        case .activation(let f): return Operator.ActivationLayer(f)
        case .maxPool2d(let a): return Operator.Pool2D(a, isMax: true)
        case .averagePool2d(let a): return Operator.Pool2D(a, isMax: false)
        case .globalAveragePool: return Operator.GlobalAveragePool()
        case .add(let act): return Operator.Add(activation: act)
        case .concat(let axis): return Operator.Concat(axis: axis)
        case .reshape(let s): return Operator.Reshape(s)
        case .softmax: return Operator.Softmax()
        case .layerNorm(let eps): return Operator.LayerNorm(epsilon: eps)
        case .matmul(let tb): return Operator.MatMul(transposeB: tb)
        case .multiHeadSelfAttention(let heads): return Operator.MultiHeadSelfAttention(heads: heads)
        case .dropout(let rate): return Operator.Dropout(rate: rate)
        case .quantize: return Operator.Quantize()
        case .dequantize: return Operator.Dequantize()
        }
    }

    /// A short name for reports (`conv2d`, `dense`, …).
    public var kindName: String { definition.kindName }
}
