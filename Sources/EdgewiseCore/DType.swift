/// The element type of a tensor.
///
/// `int4` packs two signed 4-bit values per byte, the element at the even index in the low nibble
/// (the layout ggml and TFLite use). Quantised types carry their scales and zero points in
/// ``QuantParams`` beside the tensor, never inside the element type.
public enum DType: String, Codable, Sendable, CaseIterable {
    case float32
    case int32
    case int8
    case uint8
    case int4

    /// Bytes needed to store `count` elements of this type, or `nil` when that overflows `Int`.
    public func byteCount(for count: Int) -> Int? {
        guard count >= 0 else { return nil }
        switch self {
        case .float32, .int32:
            let (bytes, overflow) = count.multipliedReportingOverflow(by: 4)
            return overflow ? nil : bytes
        case .int8, .uint8: return count
        case .int4: return count / 2 + count % 2
        }
    }

    /// True for the integer types that carry quantisation parameters.
    public var isQuantized: Bool { self == .int8 || self == .uint8 || self == .int4 }
}
