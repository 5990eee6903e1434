// libFuzzer target for `ModelFile.decode` (see Scripts/fuzz-model-loader.sh).
//
// Built with `-sanitize=fuzzer -DEDGEWISE_FUZZ` its `main` hands over to libFuzzer's driver
// (`LLVMFuzzerRunDriver`). In an ordinary `swift build` it is a small tool that decodes the files
// named on its command line the same way, to replay a crash input without the fuzzer.
#if canImport(Glibc)
import Glibc
#endif
import EdgewiseCore
@_spi(Fuzzing) import EdgewiseModel

/// Decodes `bytes` as given (exercising the header and checksum checks) and with its checksums
/// recomputed (so mutations reach the section, JSON, constant and graph checks). Whatever decodes is
/// compiled into an executor and run through every exit (`exerciseExecutor`, Fuzz/Common), and must
/// encode again and decode to the same bytes; anything else is a bug and traps.
///
/// An input starting with `{` is also decoded as the structure JSON of a file whose weights section is
/// `fuzzWeights` (zeros), which lets the fuzzer work on the JSON without shifting section offsets.
func fuzzOne(_ bytes: [UInt8]) {
    var inputs = [bytes, ModelFile.resealed(bytes)]
    if bytes.first == UInt8(ascii: "{") { inputs.append(ModelFile.wrapping(structureJSON: bytes, weights: fuzzWeights)) }
    for input in inputs {
        guard let model = try? ModelFile.decode(input, name: "fuzz-input") else { continue }
        exerciseExecutor(model.graph)
        let encoded: [UInt8]
        do { encoded = try ModelFile.encode(model) } catch { fatalError("decoded model does not encode: \(error)") }
        do {
            let again = try ModelFile.encode(try ModelFile.decode(encoded, name: "re-encoded"))
            precondition(again == encoded, "re-encoding is not stable")
        } catch { fatalError("re-encoded model does not decode: \(error)") }
    }
}

/// The weights section used with a bare structure JSON input.
let fuzzWeights = [UInt8](repeating: 0, count: 8192)

/// The structure section of a model file written by `ModelFile.encode` (entry 0 of its section table).
func structureJSON(of file: [UInt8]) -> [UInt8] {
    func u64(_ o: Int) -> Int { (0..<8).reduce(0) { $0 | Int(file[o + $1]) << (8 * $1) } }
    let offset = u64(64 + 8), length = u64(64 + 16)
    return Array(file[offset..<(offset + length)])
}

/// Deterministic pseudo-random floats in [-1, 1).
func seedFloats(_ n: Int, _ seed: UInt64) -> [Float] {
    var s = seed &* 0x9E37_79B9_7F4A_7C15 | 1
    return (0..<n).map { _ in s ^= s << 13; s ^= s >> 7; s ^= s << 17; return Float(s >> 40) / Float(1 << 23) - 1 }
}

/// Small valid model files covering every section and most operators, to start the corpus.
func seedFiles() throws -> [(name: String, bytes: [UInt8])] {
    // Two exits: conv, depthwise conv, pooling, dense on dequantised per-axis int8 weights, softmax.
    var b = GraphBuilder()
    let x = b.input("x", shape: [1, 6, 6, 2])
    let h = try b.conv2d(x, weights: seedFloats(3 * 3 * 2 * 4, 1), shape: [3, 3, 2, 4], bias: seedFloats(4, 2),
                         .init(padding: Padding(top: 1, bottom: 1, left: 1, right: 1), activation: .relu))
    try b.exitHead("early") { b in
        let p = try b.node(.globalAveragePool, h)
        return try b.node(.softmax, try b.dense(p, weights: seedFloats(12, 3), outputs: 3, bias: seedFloats(3, 4)))
    }
    b.endStage("stem")
    let d = try b.depthwiseConv2d(h, weights: seedFloats(36, 5), shape: [3, 3, 4], .init(stride: .init(2, 2)))
    let m = try b.node(.maxPool2d(PoolAttributes(window: .init(2, 2), stride: .init(1, 1))), d)
    let wq = b.constant("wq", shape: [4, 3], dtype: .int8, quant: QuantParams(scales: [0.1, 0.2, 0.3], zeroPoints: [0, 1, -1], axis: 1),
                        data: TensorData(copying: [Int8](arrayLiteral: 1, -2, 3, -4, 5, -6, 7, -8, 9, -10, 11, -12)))
    try b.exitHead("final") { b in
        let p = try b.node(.averagePool2d(PoolAttributes(window: .init(1, 1), stride: .init(1, 1))), m)
        let g = try b.node(.globalAveragePool, p)
        let w = try b.node(.dequantize, wq)
        return try b.node(.softmax, try b.node(.dense(activation: .none), inputs: [g, w]))
    }
    b.endStage("body")
    let twoExit = Model(graph: try b.build(), labels: ["a", "b", "c"],
                        inputSpec: InputSpec(preprocessing: "image", parameters: ["mean": 0.5, "std": 0.25]),
                        exitCalibration: ["early": ExitCalibration(thresholds: [0.5, 0.9], accuracy: [0.8, 0.95], exitRate: [0.5, 0.2])],
                        metadata: ["dataset": "synthetic", "recipe": "none"])

    // One exit: 1-D signal, quantize/dequantize, reshape, concat, add, batch norm, layer norm.
    var c = GraphBuilder()
    let s = c.input("ecg", shape: [1, 8, 2])
    let q = try c.node(.quantize, s, dtype: .int8, quant: QuantParams(scale: 0.05, zeroPoint: 0))
    let dq = try c.node(.dequantize, q)
    let r = try c.node(.reshape([1, 16]), dq)
    let cat = try c.node(.concat(axis: 1), r, r)
    let ones = c.constant("gamma", shape: [32], floats: [Float](repeating: 1, count: 32))
    let zeros = c.constant("beta", shape: [32], floats: [Float](repeating: 0, count: 32))
    let ln = try c.node(.layerNorm(epsilon: 1e-5), cat, ones, zeros)
    let bn = try c.node(.batchNorm(epsilon: 1e-3), ln, ones, zeros, zeros, ones)
    let sum = try c.node(.add(activation: .gelu), bn, ln)
    try c.exitHead("final") { c in try c.node(.activation(.sigmoid), sum) }
    c.endStage("all")
    let oneExit = Model(graph: try c.build(), labels: ["normal", "af"])

    let files = [("two-exit.edgewise", try ModelFile.encode(twoExit)), ("one-exit.edgewise", try ModelFile.encode(oneExit))]
    return files + files.map { ($0.0.replacingSuffix(".edgewise", with: ".json"), structureJSON(of: $0.1)) }
}

extension String {
    func replacingSuffix(_ suffix: String, with new: String) -> String {
        hasSuffix(suffix) ? String(dropLast(suffix.count)) + new : self
    }
}

func writeSeeds(to dir: String) throws {
    for (name, bytes) in try seedFiles() {
        let path = "\(dir)/\(name)"
        guard let f = fopen(path, "wb") else { fatalError("cannot write \(path)") }
        _ = bytes.withUnsafeBytes { fwrite($0.baseAddress, 1, $0.count, f) }
        fclose(f)
        print("wrote \(path) (\(bytes.count) bytes)")
    }
}

#if EDGEWISE_FUZZ
/// libFuzzer's entry for a program that has its own `main` (SwiftPM names every executable's entry
/// point itself, so libFuzzer's `main` cannot be used). Declared by symbol name: its arguments are
/// plain pointers and integers, which Swift passes as C does.
@_silgen_name("LLVMFuzzerRunDriver")
func LLVMFuzzerRunDriver(_ argc: UnsafeMutablePointer<CInt>,
                         _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>>,
                         _ callback: @convention(c) (UnsafePointer<UInt8>?, Int) -> CInt) -> CInt

@main
struct FuzzModelLoaderFuzzer {
    /// Runs libFuzzer (its usual flags and corpus folders). With `EDGEWISE_FUZZ_WRITE_SEEDS=DIR` set it
    /// writes the seed files into DIR and exits instead.
    static func main() throws {
        if let dir = getenv("EDGEWISE_FUZZ_WRITE_SEEDS") {
            try writeSeeds(to: String(cString: dir))
            return
        }
        var argc = CommandLine.argc
        var argv = CommandLine.unsafeArgv
        exit(LLVMFuzzerRunDriver(&argc, &argv) { data, size in
            fuzzOne(data.map { Array(UnsafeBufferPointer(start: $0, count: size)) } ?? [])
            return 0
        })
    }
}
#else
@main
struct FuzzModelLoaderTool {
    /// `edgewise-fuzz-model FILE...` decodes each file as the fuzzer would and prints the outcome;
    /// `edgewise-fuzz-model --write-seeds DIR` writes the seed corpus.
    static func main() throws {
        let args = Array(CommandLine.arguments.dropFirst())
        if args.first == "--write-seeds", args.count == 2 { try writeSeeds(to: args[1]); return }
        guard !args.isEmpty else {
            print("usage: edgewise-fuzz-model FILE... | --write-seeds DIR")
            exit(2)
        }
        for path in args {
            guard let f = fopen(path, "rb") else { print("\(path): cannot open"); continue }
            var bytes: [UInt8] = []
            var buf = [UInt8](repeating: 0, count: 65536)
            while true {
                let n = fread(&buf, 1, buf.count, f)
                if n <= 0 { break }
                bytes += buf[0..<n]
            }
            fclose(f)
            var variants = [("as given", bytes), ("resealed", ModelFile.resealed(bytes))]
            if bytes.first == UInt8(ascii: "{") { variants.append(("as JSON", ModelFile.wrapping(structureJSON: bytes, weights: fuzzWeights))) }
            for (how, input) in variants {
                do { _ = try ModelFile.decode(input, name: path); print("\(how): \(path): decodes") } catch { print("\(how): \(error)") }
            }
            fuzzOne(bytes)
        }
    }
}
#endif
