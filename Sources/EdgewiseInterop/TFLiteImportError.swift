/// Why a TFLite file could not be imported. Every case names the file; errors about one operator also
/// name the operator (e.g. `CONV_2D`) and its index in the subgraph's execution order.
public enum TFLiteImportError: Error, Equatable, CustomStringConvertible, Sendable {
    /// The file could not be read from disk.
    case unreadable(file: String, reason: String)
    /// The bytes are not a well-formed TFLite FlatBuffer (truncated, corrupted, out-of-range offsets…).
    case malformed(file: String, detail: String)
    /// The model as a whole uses something the importer does not handle (schema version, several inputs…).
    case unsupportedModel(file: String, detail: String)
    /// An operator the importer has no mapping for.
    case unsupportedOperator(file: String, operatorIndex: Int, op: String)
    /// A supported operator with an option value the importer cannot map (fused TANH, beta ≠ 1, …).
    case unsupportedOption(file: String, operatorIndex: Int, op: String, detail: String)
    /// A supported operator reading or writing a tensor of a type Edgewise does not have.
    case unsupportedTensorType(file: String, operatorIndex: Int, op: String, tensor: String, type: String)
    /// An operator whose inputs, outputs, shapes or constants are inconsistent.
    case invalidOperator(file: String, operatorIndex: Int, op: String, detail: String)
    /// The assembled graph failed ``EdgewiseCore/Graph/validate()``.
    case invalidGraph(file: String, detail: String)

    /// The file the error is about.
    public var file: String {
        switch self {
        case .unreadable(let f, _), .malformed(let f, _), .unsupportedModel(let f, _),
             .unsupportedOperator(let f, _, _), .unsupportedOption(let f, _, _, _),
             .unsupportedTensorType(let f, _, _, _, _), .invalidOperator(let f, _, _, _), .invalidGraph(let f, _):
            return f
        }
    }

    public var description: String {
        switch self {
        case .unreadable(let f, let r):
            return "\(f): cannot read the file: \(r)"
        case .malformed(let f, let d):
            return "\(f): malformed TFLite file: \(d)"
        case .unsupportedModel(let f, let d):
            return "\(f): unsupported model: \(d)"
        case .unsupportedOperator(let f, let i, let op):
            return "\(f): operator #\(i) \(op) is not supported by the Edgewise TFLite importer"
        case .unsupportedOption(let f, let i, let op, let d):
            return "\(f): operator #\(i) \(op): unsupported option: \(d)"
        case .unsupportedTensorType(let f, let i, let op, let t, let ty):
            return "\(f): operator #\(i) \(op): tensor '\(t)' has unsupported type \(ty)"
        case .invalidOperator(let f, let i, let op, let d):
            return "\(f): operator #\(i) \(op): \(d)"
        case .invalidGraph(let f, let d):
            return "\(f): the imported graph is invalid: \(d)"
        }
    }
}
