#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import EdgewiseCore

/// Where one constant's bytes sit inside the weights section.
struct ConstantRef: Codable, Equatable {
    /// The ``ValueID`` of the constant.
    var value: Int
    /// Offset from the start of the weights section; a multiple of ``ModelFileLayout/tensorAlignment``.
    var offset: Int
    /// Length in bytes; must equal the value's shape × dtype size.
    var byteCount: Int
}

/// The structure section's JSON document (format 1.x). Newer minor versions may add keys, which
/// older readers ignore; no key is ever removed or changes meaning within a major version.
struct StructureV1: Codable {
    var values: [Value]
    var input: Int
    var stages: [Stage]
    var constants: [ConstantRef]
    var labels: [String]
    var inputSpec: InputSpec
    var exitCalibration: [String: ExitCalibration]
    var metadata: [String: String]
}

enum StructureCodec {
    /// Largest dimension, stride, padding, window, axis or head count accepted (Int32.max). With this
    /// bound every size computation ``Graph/validate()`` does stays far from `Int` overflow.
    static let maxInt = Int(Int32.max)
    /// Largest JSON nesting depth accepted (the schema needs about 10).
    static let maxJSONDepth = 64

    static func encoder() -> JSONEncoder {
        let e = JSONEncoder()
        e.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        e.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        return e
    }

    static func decoder() -> JSONDecoder {
        let d = JSONDecoder()
        d.nonConformingFloatDecodingStrategy = .convertFromString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        return d
    }

    /// The deepest `[`/`{` nesting in `json`, stopping early once it passes `limit` (strings are skipped).
    static func nestingDepthExceeds(_ json: UnsafeRawBufferPointer, limit: Int) -> Bool {
        var depth = 0, inString = false, escaped = false
        for b in json {
            if inString {
                if escaped { escaped = false } else if b == UInt8(ascii: "\\") { escaped = true } else if b == UInt8(ascii: "\"") { inString = false }
                continue
            }
            switch b {
            case UInt8(ascii: "\""): inString = true
            case UInt8(ascii: "["), UInt8(ascii: "{"):
                depth += 1
                if depth > limit { return true }
            case UInt8(ascii: "]"), UInt8(ascii: "}"): depth -= 1
            default: break
            }
        }
        return false
    }

    /// Checks what ``Graph/validate()`` does not, and bounds every integer so that validation cannot
    /// overflow. Returns the first problem, or `nil`. Used by the writer and the reader alike.
    static func problem(values: [Value], stages: [Stage], labels: [String], exitCalibration: [String: ExitCalibration]) -> String? {
        func inRange(_ x: Int) -> Bool { x >= -maxInt && x <= maxInt }
        for (id, v) in values.enumerated() {
            for d in v.shape.dims where d < 0 || d > maxInt {
                return "value \(id) '\(v.name)' has dimension \(d) outside 0…\(maxInt)"
            }
            guard let n = v.shape.checkedElementCount, v.dtype.byteCount(for: n) != nil else {
                return "value \(id) '\(v.name)' of shape \(v.shape) is too large"
            }
            if let p = v.quant?.problem(dtype: v.dtype, shape: v.shape) {
                return "value \(id) '\(v.name)' has \(p)"
            }
        }
        var exitNames = Set<String>()
        for stage in stages {
            var nodes = stage.nodes
            if let e = stage.exit {
                guard exitNames.insert(e.name).inserted else { return "exit name '\(e.name)' is used twice" }
                nodes += e.nodes
            }
            for node in nodes {
                let ints = integers(of: node.op)
                if let bad = ints.first(where: { !inRange($0) }) {
                    return "node '\(node.name)' has attribute \(bad) outside ±\(maxInt)"
                }
            }
        }
        for (name, c) in exitCalibration.sorted(by: { $0.key < $1.key }) {
            guard exitNames.contains(name) else { return "calibration table '\(name)' names no exit of the graph" }
            guard c.thresholds.count == c.accuracy.count, c.thresholds.count == c.exitRate.count else {
                return "calibration table '\(name)' has \(c.thresholds.count) thresholds, \(c.accuracy.count) accuracies and \(c.exitRate.count) exit rates"
            }
        }
        return nil
    }

    /// Every integer attribute of `op` (dimensions of a reshape target included): the operator's own file says.
    static func integers(of op: Operator) -> [Int] { op.definition.integerAttributes }
}
