/// Affine quantisation parameters: `real = scale * (q - zeroPoint)`.
///
/// Per-tensor when `axis` is `nil` (one scale and zero point); per-axis (per-channel) otherwise, with
/// one scale and zero point for each index along `axis`. These are carried unchanged from imported
/// models and produced by the quantiser.
public struct QuantParams: Hashable, Codable, Sendable {
    public var scales: [Float]
    public var zeroPoints: [Int32]
    /// The quantised axis for per-channel parameters, or `nil` for per-tensor.
    public var axis: Int?

    public init(scales: [Float], zeroPoints: [Int32], axis: Int? = nil) {
        self.scales = scales
        self.zeroPoints = zeroPoints
        self.axis = axis
    }

    /// Per-tensor parameters.
    public init(scale: Float, zeroPoint: Int32) {
        self.init(scales: [scale], zeroPoints: [zeroPoint], axis: nil)
    }

    public var isPerTensor: Bool { axis == nil }

    /// What is wrong with these parameters on a value of `dtype` and `shape`, or `nil` when they are
    /// usable: one scale and zero point per tensor, or one per index along an axis of the shape; every
    /// scale finite and positive; every zero point representable in `dtype` (int8, uint8, int4). Models
    /// come from untrusted files, so the executor's requantisation never sees a zero, negative, NaN or
    /// infinite scale. The model-file codec and graph validation both call this (one check).
    public func problem(dtype: DType, shape: Shape) -> String? {
        guard !scales.isEmpty, scales.count == zeroPoints.count else {
            return "\(scales.count) quantisation scales and \(zeroPoints.count) zero points"
        }
        if let axis {
            guard axis >= 0, axis < shape.rank else { return "quantisation axis \(axis) outside its rank \(shape.rank)" }
            guard scales.count == shape.dims[axis] else {
                return "\(scales.count) per-axis scales for dimension \(axis) of size \(shape.dims[axis])"
            }
        } else if scales.count != 1 {
            return "\(scales.count) scales but per-tensor quantisation (no axis)"
        }
        if let bad = scales.first(where: { !($0.isFinite && $0 > 0) }) {
            return "quantisation scale \(bad) is not finite and positive"
        }
        let range: ClosedRange<Int32>?
        switch dtype {
        case .int8: range = -128...127
        case .uint8: range = 0...255
        case .int4: range = -8...7
        default: range = nil
        }
        if let range, let bad = zeroPoints.first(where: { !range.contains($0) }) {
            return "zero point \(bad) outside the \(dtype) range \(range.lowerBound)…\(range.upperBound)"
        }
        return nil
    }
}
