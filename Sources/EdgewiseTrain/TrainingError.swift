/// Why a training call was rejected, with a message naming what is wrong.
public enum TrainingError: Error, Equatable, CustomStringConvertible {
    /// An argument is out of range or inconsistent (a message says which).
    case invalidArgument(String)
    /// The graph uses an operator the trainer cannot differentiate.
    case unsupportedOperator(node: String, op: String)
    /// A value in the graph is not float32.
    case notFloat32(value: String)
    /// The dataset's feature vectors do not match the model input.
    case featureSizeMismatch(expected: Int, got: Int, sample: Int)
    /// A label is outside `0..<classes`.
    case labelOutOfRange(label: Int, classes: Int, sample: Int)
    /// A checkpoint could not be read or does not fit this run.
    case badCheckpoint(String)
    /// A recipe field is missing or invalid.
    case badRecipe(String)
    /// The loss became NaN or infinite.
    case diverged(step: Int)

    public var description: String {
        switch self {
        case .invalidArgument(let m): return "invalid argument: \(m)"
        case .unsupportedOperator(let n, let op): return "node '\(n)': the trainer cannot differentiate '\(op)'"
        case .notFloat32(let v): return "value '\(v)' is not float32; only float32 graphs can be trained"
        case .featureSizeMismatch(let e, let g, let s): return "sample \(s) has \(g) features, the model input takes \(e)"
        case .labelOutOfRange(let l, let c, let s): return "sample \(s) has label \(l), outside 0..<\(c)"
        case .badCheckpoint(let m): return "bad checkpoint: \(m)"
        case .badRecipe(let m): return "bad recipe: \(m)"
        case .diverged(let s): return "the loss is not finite at step \(s) (lower the learning rate or clip gradients)"
        }
    }
}
