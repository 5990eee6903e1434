/// Requantisation parameters of one int8 operator output, derived from the tensors' scales exactly as
/// TFLite's kernels derive them at prepare time (same float/double steps, same `QuantizeMultiplier`).
public struct Int8Requant: Hashable, Sendable {
    /// Q0.31 multiplier per output channel (one entry for per-tensor).
    public var multipliers: [Int32]
    /// Power-of-two exponent per output channel (`real = multiplier · 2^(shift−31)`).
    public var shifts: [Int]
    public var inputZeroPoint: Int32
    public var outputZeroPoint: Int32
    /// The fused activation as an int8 clamp.
    public var activationMin: Int32
    public var activationMax: Int32

    public init(multipliers: [Int32], shifts: [Int], inputZeroPoint: Int32, outputZeroPoint: Int32,
                activationMin: Int32 = -128, activationMax: Int32 = 127) {
        self.multipliers = multipliers; self.shifts = shifts
        self.inputZeroPoint = inputZeroPoint; self.outputZeroPoint = outputZeroPoint
        self.activationMin = activationMin; self.activationMax = activationMax
    }

    /// The multiplier and shift for output channel `c` (per-tensor parameters broadcast).
    @inlinable
    public func channel(_ c: Int) -> (Int32, Int) {
        multipliers.count == 1 ? (multipliers[0], shifts[0]) : (multipliers[c], shifts[c])
    }

    /// Conv / depthwise / per-channel FC: TFLite `PopulateConvolutionQuantizationParams`, effective
    /// scale `double(inputScale) · double(weightScale[c]) / double(outputScale)`.
    public static func convolution(inputScale: Float, inputZeroPoint: Int32, weightScales: [Float], channels: Int,
                                   outputScale: Float, outputZeroPoint: Int32, activation: Activation) -> Int8Requant {
        var ms: [Int32] = [], ss: [Int] = []
        for c in 0..<channels {
            let ws = weightScales.count == 1 ? weightScales[0] : weightScales[c]
            let (m, s) = FixedPoint.quantizeMultiplier(Double(inputScale) * Double(ws) / Double(outputScale))
            ms.append(m); ss.append(s)
        }
        let (lo, hi) = activationRange(activation, scale: outputScale, zeroPoint: outputZeroPoint)
        return Int8Requant(multipliers: ms, shifts: ss, inputZeroPoint: inputZeroPoint, outputZeroPoint: outputZeroPoint,
                           activationMin: lo, activationMax: hi)
    }

    /// Per-tensor FULLY_CONNECTED: TFLite `GetQuantizedConvolutionMultipler`, which multiplies the
    /// input and weight scales in float before widening to double.
    public static func fullyConnectedPerTensor(inputScale: Float, inputZeroPoint: Int32, weightScale: Float,
                                               outputScale: Float, outputZeroPoint: Int32, activation: Activation) -> Int8Requant {
        let (m, s) = FixedPoint.quantizeMultiplier(Double(inputScale * weightScale) / Double(outputScale))
        let (lo, hi) = activationRange(activation, scale: outputScale, zeroPoint: outputZeroPoint)
        return Int8Requant(multipliers: [m], shifts: [s], inputZeroPoint: inputZeroPoint, outputZeroPoint: outputZeroPoint,
                           activationMin: lo, activationMax: hi)
    }

    /// TFLite `CalculateActivationRangeQuantized` for int8: `zp + round(f / scale)` in float.
    public static func activationRange(_ a: Activation, scale: Float, zeroPoint: Int32) -> (Int32, Int32) {
        func q(_ f: Float) -> Int32 {
            let r = FixedPoint.round(f / scale)
            return zeroPoint &+ Int32(max(-2.0e9, min(2.0e9, r)))
        }
        switch a {
        case .relu: return (max(-128, q(0)), 127)
        case .relu6: return (max(-128, q(0)), min(127, q(6)))
        default: return (-128, 127)
        }
    }
}

/// Parameters of TFLite's int8 ADD (`left_shift` 20, each input rescaled to twice the larger input
/// scale, then the sum to the output scale).
public struct Int8AddParams: Hashable, Sendable {
    public var leftShift: Int = 20
    public var input1Offset: Int32, input2Offset: Int32, outputOffset: Int32
    public var input1Multiplier: Int32, input1Shift: Int
    public var input2Multiplier: Int32, input2Shift: Int
    public var outputMultiplier: Int32, outputShift: Int
    public var activationMin: Int32, activationMax: Int32

    public init(scale1: Float, zeroPoint1: Int32, scale2: Float, zeroPoint2: Int32,
                outputScale: Float, outputZeroPoint: Int32, activation: Activation) {
        input1Offset = -zeroPoint1; input2Offset = -zeroPoint2; outputOffset = outputZeroPoint
        let twiceMax = 2 * Double(max(scale1, scale2))
        (input1Multiplier, input1Shift) = FixedPoint.quantizeMultiplier(Double(scale1) / twiceMax)
        (input2Multiplier, input2Shift) = FixedPoint.quantizeMultiplier(Double(scale2) / twiceMax)
        (outputMultiplier, outputShift) = FixedPoint.quantizeMultiplier(twiceMax / (Double(1 << 20) * Double(outputScale)))
        (activationMin, activationMax) = Int8Requant.activationRange(activation, scale: outputScale, zeroPoint: outputZeroPoint)
    }
}

/// Parameters of TFLite's reference int8 softmax (`PreprocessSoftmaxScaling` with 5 integer bits for
/// the scaled difference, `CalculateInputRadius` for the cut-off).
public struct Int8SoftmaxParams: Hashable, Sendable {
    public var inputMultiplier: Int32
    public var inputLeftShift: Int
    public var diffMin: Int32

    public init(inputScale: Float, beta: Float = 1) {
        let scaledDiffIntegerBits = 5
        let real = min(Double(beta) * Double(inputScale) * Double(1 << (31 - scaledDiffIntegerBits)), Double((Int64(1) << 31) - 1))
        (inputMultiplier, inputLeftShift) = FixedPoint.quantizeMultiplier(real)
        let radius = (Double((1 << scaledDiffIntegerBits) - 1) * Double(Int64(1) << (31 - scaledDiffIntegerBits))
            / Double(Int64(1) << inputLeftShift)).rounded(.down)
        diffMin = -Int32(radius)
    }
}
