/// Why an executor could not be built for a graph.
public enum ExecutorError: Error, Equatable, CustomStringConvertible {
    case invalidGraph(GraphError)
    case unsupportedOperator(node: String, op: String, reason: String)
    case unsupportedDType(value: String, dtype: DType)
    case unknownISA(String)
    case isaUnavailable(KernelISA)
    case inputSize(expected: Int, got: Int)
    case arenaTooLarge(bytes: Int, limit: Int)

    public var description: String {
        switch self {
        case .invalidGraph(let e): return "invalid graph: \(e)"
        case .unsupportedOperator(let n, let op, let r): return "node '\(n)' (\(op)) cannot run: \(r)"
        case .unsupportedDType(let v, let t): return "value '\(v)' is \(t); the executor runs float32 and int8 graphs (int32 only as constants)"
        case .unknownISA(let s): return "unknown kernel family '\(s)' (choose auto, reference, generic, avx2 or avx512)"
        case .isaUnavailable(let i): return "this CPU cannot run the \(i) kernels (best here: \(KernelISA.best))"
        case .inputSize(let e, let g): return "input has \(g) values, the model takes \(e)"
        case .arenaTooLarge(let b, let l): return "the model needs a \(b)-byte activation arena, more than the \(l)-byte limit"
        }
    }
}
