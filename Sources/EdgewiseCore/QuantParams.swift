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
}
