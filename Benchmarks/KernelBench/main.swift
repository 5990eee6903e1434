// edgewise-kernel-bench: GFLOP/s of the fp32 kernels of every ISA table this CPU can run, as a fraction of the
// fp32 FMA peak measured in the same run.
//
//   swift build -c release --product edgewise-kernel-bench && .build/release/edgewise-kernel-bench [--json]
//
// Method: each kernel's output is first checked against the Swift reference kernels (the max relative error is
// printed). Then 5 warm-up samples, followed by 41 timed samples; a sample repeats the call enough times to last
// >= 0.25 ms (clock_gettime(CLOCK_MONOTONIC)), with `ew_escape` on the output after every call so no call can be
// hoisted or dropped. The median time per call is reported (and the best sample). Short samples keep the median
// meaningful on a shared 2-core VM: a sample that other processes preempted is an outlier, not the norm. FLOPs count 1 MAC as 2 (padding taps included for
// convolutions, as the usual "2·OH·OW·Cout·KH·KW·Cin" convention does).
import CEdgewiseKernels
import EdgewiseCore
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

let json = CommandLine.arguments.dropFirst().contains("--json")

// MARK: - Helpers

func now() -> Double {
    var t = timespec()
    clock_gettime(CLOCK_MONOTONIC, &t)
    return Double(t.tv_sec) + 1e-9 * Double(t.tv_nsec)
}

/// 64-byte aligned float buffer filled from a fixed-seed generator.
final class Buffer {
    let count: Int
    let p: UnsafeMutablePointer<Float>
    init(_ count: Int, seed: UInt64) {
        self.count = max(count, 1)
        let raw = UnsafeMutableRawPointer.allocate(byteCount: self.count * 4 + 64, alignment: 64)
        p = raw.bindMemory(to: Float.self, capacity: self.count + 16)
        var s = seed &* 0x9E37_79B9_7F4A_7C15 | 1
        for i in 0..<(self.count + 16) {
            s ^= s << 13; s ^= s >> 7; s ^= s << 17
            p[i] = Float(Int(s % 2001) - 1000) / 1000
        }
    }
    deinit { UnsafeMutableRawPointer(p).deallocate() }
    var ro: UnsafePointer<Float> { UnsafePointer(p) }
    var buffer: UnsafeBufferPointer<Float> { UnsafeBufferPointer(start: ro, count: count) }
}

/// Median and best seconds per call of `body` (5 warm-up samples, then 41 samples of >= 0.25 ms each).
func measure(_ body: () -> Void) -> (median: Double, best: Double) {
    var reps = 1
    while true { // calibrate
        let t0 = now()
        for _ in 0..<reps { body() }
        let t = now() - t0
        if t >= 2.5e-4 { break }
        reps *= t < 2.5e-5 ? 10 : 2
    }
    var samples: [Double] = []
    for i in 0..<46 {
        let t0 = now()
        for _ in 0..<reps { body() }
        let t = (now() - t0) / Double(reps)
        if i >= 5 { samples.append(t) } // samples 0..<5 are the warm-up
    }
    samples.sort()
    return (samples[samples.count / 2], samples[0])
}

func maxRelError(_ got: UnsafePointer<Float>, _ want: UnsafeBufferPointer<Float>) -> Float {
    var worst: Float = 0
    for i in 0..<want.count {
        let d = abs(got[i] - want[i]) / max(1, abs(want[i]))
        worst = max(worst, d)
    }
    return worst
}

// MARK: - Cases

struct GemmCase { let name: String; let m: Int, k: Int, n: Int }
struct ConvCase {
    let name: String
    let depthwise: Bool
    let inH: Int, inW: Int, inC: Int, outC: Int, kh: Int, kw: Int, stride: Int
    var attributes: ConvAttributes {
        ConvAttributes(stride: Size2D(stride, stride),
                       padding: .same(inputHW: (inH, inW), kernelHW: (kh, kw), strideHW: (stride, stride)),
                       activation: .relu)
    }
    var outH: Int { (inH + stride - 1) / stride }
    var outW: Int { (inW + stride - 1) / stride }
    var flops: Double { 2 * Double(outH * outW * outC * kh * kw) * Double(depthwise ? 1 : inC) }
    var params: ew_conv_params {
        let a = attributes
        return ew_conv_params(batch: 1, in_h: Int32(inH), in_w: Int32(inW), in_c: Int32(inC),
                              out_h: Int32(outH), out_w: Int32(outW), out_c: Int32(outC),
                              k_h: Int32(kh), k_w: Int32(kw), stride_h: Int32(stride), stride_w: Int32(stride),
                              dil_h: 1, dil_w: 1, pad_top: Int32(a.padding.top), pad_left: Int32(a.padding.left),
                              depth_multiplier: 1, act_min: 0, act_max: .infinity)
    }
}

let gemms = [
    GemmCase(name: "gemm 125x64x64 (DS-CNN-S pointwise)", m: 125, k: 64, n: 64),
    GemmCase(name: "gemm 65x172x172 (DS-CNN-M pointwise)", m: 65, k: 172, n: 172),
    GemmCase(name: "gemm 250x40x172 (DS-CNN-M first conv)", m: 250, k: 40, n: 172),
    GemmCase(name: "gemm 1x64x12 (dense classifier)", m: 1, k: 64, n: 12),
]
let convs = [
    ConvCase(name: "conv2d 49x10x1 k10x4 s2 -> 25x5x64", depthwise: false,
             inH: 49, inW: 10, inC: 1, outC: 64, kh: 10, kw: 4, stride: 2),
    ConvCase(name: "depthwise 3x3 25x5x64", depthwise: true,
             inH: 25, inW: 5, inC: 64, outC: 64, kh: 3, kw: 3, stride: 1),
    ConvCase(name: "depthwise 3x3 13x5x172", depthwise: true,
             inH: 13, inW: 5, inC: 172, outC: 172, kh: 3, kw: 3, stride: 1),
]

// MARK: - Run

func isaName(_ isa: ew_isa) -> String { String(cString: ew_kernel_table_for(isa)!.pointee.name) }
let tables: [(ew_isa, UnsafePointer<ew_kernel_table>)] = [EW_ISA_GENERIC, EW_ISA_AVX2, EW_ISA_AVX512].compactMap { isa in
    ew_kernel_table_for(isa).map { (isa, $0) }
}

// The machine's peak: the best of the available ISAs' FMA loops, measured now.
var peaks: [(String, Double)] = []
for (isa, _) in tables { peaks.append((isaName(isa), ew_bench_peak_f32_gflops(isa))) }
let peak = peaks.map(\.1).max() ?? 1

struct Row { let kernel: String; let isa: String; let seconds: Double; let best: Double; let flops: Double; let maxRelErr: Float }
nonisolated(unsafe) var rows: [Row] = []

#if DEBUG
let buildMode = "debug (C kernels at -O0: numbers are meaningless, use -c release)"
#else
let buildMode = "release"
#endif

if !json {
    print("edgewise-kernel-bench: fp32, single thread, \(buildMode) build")
    print("fp32 FMA peak (12 independent chains, best of 7): "
          + peaks.map { "\($0.0 == "generic" ? "generic (plain C mul+add)" : $0.0) \(fmt($0.1, 1)) GFLOP/s" }
              .joined(separator: ", ")
          + " -> peak = \(fmt(peak, 1)) GFLOP/s")
    print("")
    print(pad("kernel", 40) + pad("isa", 9) + lpad("median us", 11) + lpad("GFLOP/s", 10) + lpad("% peak", 9)
          + lpad("best GFLOP/s", 14) + lpad("max rel err", 14))
}

func fmt(_ v: Double, _ digits: Int) -> String {
    var p: Double = 1
    for _ in 0..<digits { p *= 10 }
    let r = (v * p).rounded() / p
    var s = "\(r)"
    if let dot = s.firstIndex(of: ".") {
        let decimals = s.distance(from: dot, to: s.endIndex) - 1
        if decimals < digits { s += String(repeating: "0", count: digits - decimals) }
    }
    return s
}
func pad(_ s: String, _ w: Int) -> String { s.count >= w ? s + " " : s + String(repeating: " ", count: w - s.count) }
func lpad(_ s: String, _ w: Int) -> String { s.count >= w ? " " + s : String(repeating: " ", count: w - s.count) + s }

func report(_ r: Row) {
    rows.append(r)
    if !json {
        let g = r.flops / r.seconds * 1e-9
        print(pad(r.kernel, 40) + pad(r.isa, 9) + lpad(fmt(r.seconds * 1e6, 2), 11) + lpad(fmt(g, 1), 10)
              + lpad(fmt(100 * g / peak, 1), 9) + lpad(fmt(r.flops / r.best * 1e-9, 1), 14)
              + lpad("\(r.maxRelErr)", 14))
    }
}

for g in gemms {
    let a = Buffer(g.m * g.k, seed: 1), b = Buffer(g.k * g.n, seed: 2), bias = Buffer(g.n, seed: 3)
    let c = Buffer(g.m * g.n, seed: 4), want = Buffer(g.m * g.n, seed: 5)
    ReferenceKernels.gemm(m: g.m, n: g.n, k: g.k, a: a.ro, lda: g.k, b: b.ro, ldb: g.n, bias: bias.ro,
                          activation: .relu, c: want.p, ldc: g.n)
    for (isa, t) in tables {
        let gemm = t.pointee.gemm_f32!
        gemm(g.m, g.n, g.k, a.ro, g.k, b.ro, g.n, bias.ro, c.p, g.n, 0, .infinity)
        let err = maxRelError(c.ro, want.buffer)
        let s = measure {
            gemm(g.m, g.n, g.k, a.ro, g.k, b.ro, g.n, bias.ro, c.p, g.n, 0, .infinity)
            ew_escape(c.p)
        }
        report(Row(kernel: g.name, isa: isaName(isa), seconds: s.median, best: s.best, flops: 2 * Double(g.m * g.n * g.k),
                   maxRelErr: err))
    }
}

for cv in convs {
    var params = cv.params
    let x = Buffer(cv.inH * cv.inW * cv.inC, seed: 11)
    let wCount = cv.depthwise ? cv.kh * cv.kw * cv.outC : cv.kh * cv.kw * cv.inC * cv.outC
    let w = Buffer(wCount, seed: 12), bias = Buffer(cv.outC, seed: 13)
    let yCount = cv.outH * cv.outW * cv.outC
    let y = Buffer(yCount, seed: 14), want = Buffer(yCount, seed: 15)
    let xs = Shape([1, cv.inH, cv.inW, cv.inC]), ys = Shape([1, cv.outH, cv.outW, cv.outC])
    let ws = cv.depthwise ? Shape([cv.kh, cv.kw, cv.outC]) : Shape([cv.kh, cv.kw, cv.inC, cv.outC])
    let yOut = UnsafeMutableBufferPointer(start: want.p, count: yCount)
    if cv.depthwise {
        ReferenceKernels.depthwiseConv2d(x.buffer, xs, weights: w.buffer, ws, bias: bias.buffer, cv.attributes,
                                         into: yOut, ys)
    } else {
        ReferenceKernels.conv2d(x.buffer, xs, weights: w.buffer, ws, bias: bias.buffer, cv.attributes,
                                into: yOut, ys)
    }
    let scratchBytes = max(ew_conv2d_f32_scratch_bytes(&params), 64)
    let scratch = UnsafeMutableRawPointer.allocate(byteCount: scratchBytes, alignment: 64)
    defer { scratch.deallocate() }
    for (isa, t) in tables {
        let run: () -> Void
        if cv.depthwise {
            let dw = t.pointee.depthwise_conv2d_f32!
            run = { dw(&params, x.ro, w.ro, bias.ro, y.p) }
        } else {
            let conv = t.pointee.conv2d_f32!
            run = { conv(&params, x.ro, w.ro, bias.ro, y.p, scratch) }
        }
        run()
        let err = maxRelError(y.ro, want.buffer)
        let s = measure {
            run()
            ew_escape(y.p)
        }
        report(Row(kernel: cv.name, isa: isaName(isa), seconds: s.median, best: s.best, flops: cv.flops, maxRelErr: err))
    }
}

// MARK: - int8 (exact TFLite requantisation) against the int8 peak of the same run

let int8Families = Int8KernelISA.allCases.filter(\.isAvailable)
var int8Peaks: [(String, Double)] = []
for f in int8Families where f != .generic { int8Peaks.append((f.rawValue, ew_bench_peak_int8_gops(f == .vnni ? EW_INT8_VNNI : EW_INT8_AVX2))) }
let int8Peak = int8Peaks.map(\.1).max() ?? 1
struct Int8Row { let kernel: String; let isa: String; let seconds: Double; let best: Double; let ops: Double; let exact: Bool }
nonisolated(unsafe) var int8Rows: [Int8Row] = []

func int8Bytes(_ n: Int, seed: UInt64) -> [Int8] {
    var g = SeededGenerator(seed: seed)
    return (0..<max(n, 1)).map { _ in Int8(truncatingIfNeeded: Int(g.next() % 256) - 128) }
}
func int8Requant(_ channels: Int) -> Int8Requant {
    let (m, s) = FixedPoint.quantizeMultiplier(0.0037)
    return Int8Requant(multipliers: [Int32](repeating: m, count: channels), shifts: [Int](repeating: s, count: channels),
                       inputZeroPoint: -128, outputZeroPoint: -128, activationMin: -128, activationMax: 127)
}
func int8Report(_ r: Int8Row) {
    int8Rows.append(r)
    if !json {
        let g = r.ops / r.seconds * 1e-9
        print(pad(r.kernel, 40) + pad(r.isa, 9) + lpad(fmt(r.seconds * 1e6, 2), 11) + lpad(fmt(g, 1), 10)
              + lpad(fmt(100 * g / int8Peak, 1), 9) + lpad(fmt(r.ops / r.best * 1e-9, 1), 14) + lpad(r.exact ? "exact" : "DIFFERS", 14))
    }
}

if !json {
    print("")
    print("int8 (TFLite-exact requantisation): peak " + int8Peaks.map { "\($0.0) \(fmt($0.1, 1)) GOP/s" }.joined(separator: ", ")
          + " (vnni: vpdpbusd zmm; avx2: vpmaddwd+vpaddd ymm; 12 chains, best of 7) -> int8 peak = \(fmt(int8Peak, 1)) GOP/s")
    print(pad("kernel", 40) + pad("isa", 9) + lpad("median us", 11) + lpad("GOP/s", 10) + lpad("% peak", 9)
          + lpad("best GOP/s", 14) + lpad("vs reference", 14))
}

let int8Gemms = gemms + [GemmCase(name: "gemm 784x96x576 (MobileNetV2 pointwise)", m: 784, k: 96, n: 576),
                         GemmCase(name: "gemm 196x576x160 (MobileNetV2 pointwise)", m: 196, k: 576, n: 160)]
for g in int8Gemms {
    let a = int8Bytes(g.m * g.k, seed: 1), w = int8Bytes(g.k * g.n, seed: 2)
    let bias = (0..<g.n).map { Int32($0 * 37 % 2001) - 1000 }
    let q = int8Requant(g.n)
    var want = [Int8](repeating: 0, count: g.m * g.n), y = [Int8](repeating: 0, count: g.m * g.n)
    a.withUnsafeBufferPointer { ap in w.withUnsafeBufferPointer { wp in bias.withUnsafeBufferPointer { bp in
        want.withUnsafeMutableBufferPointer {
            Int8Reference.dense(x: ap.baseAddress!, rows: g.m, inFeatures: g.k, weights: wp.baseAddress!, outFeatures: g.n, bias: bp.baseAddress, q, y: $0.baseAddress!)
        }
        for f in int8Families {
            let packed = Int8PackedGEMM(isa: f, k: g.k, n: g.n, weights: wp.baseAddress!, ldw: g.n, bias: bp.baseAddress, requant: q)
            y.withUnsafeMutableBufferPointer { yp in
                packed.run(m: g.m, a: ap.baseAddress!, lda: g.k, y: yp.baseAddress!, ldy: g.n)
                let exact = Array(yp) == want
                let s = measure {
                    packed.run(m: g.m, a: ap.baseAddress!, lda: g.k, y: yp.baseAddress!, ldy: g.n)
                    ew_escape(yp.baseAddress!)
                }
                int8Report(Int8Row(kernel: g.name, isa: f.rawValue, seconds: s.median, best: s.best, ops: 2 * Double(g.m * g.n * g.k), exact: exact))
            }
        }
    } } }
}

for cv in convs {
    let xs = Int8Reference.NHWC(1, cv.inH, cv.inW, cv.inC), ys = Int8Reference.NHWC(1, cv.outH, cv.outW, cv.outC)
    let x = int8Bytes(xs.count, seed: 11)
    let w = int8Bytes(cv.depthwise ? cv.kh * cv.kw * cv.outC : cv.kh * cv.kw * cv.inC * cv.outC, seed: 12)
    let bias = (0..<cv.outC).map { Int32($0 * 37 % 2001) - 1000 }
    let q = int8Requant(cv.outC), a = cv.attributes, kernel = Size2D(cv.kh, cv.kw)
    var want = [Int8](repeating: 0, count: ys.count), y = [Int8](repeating: 0, count: ys.count)
    var p = q.convParams(xs, ys, kernel: kernel, a)
    let scratch = UnsafeMutableRawPointer.allocate(byteCount: max(ew_int8_conv2d_scratch_bytes(&p), 64), alignment: 64)
    defer { scratch.deallocate() }
    x.withUnsafeBufferPointer { xp in w.withUnsafeBufferPointer { wp in bias.withUnsafeBufferPointer { bp in
        want.withUnsafeMutableBufferPointer {
            if cv.depthwise {
                Int8Reference.depthwiseConv2d(x: xp.baseAddress!, xs, weights: wp.baseAddress!, kernel: kernel, bias: bp.baseAddress, a, q, y: $0.baseAddress!, ys)
            } else {
                Int8Reference.conv2d(x: xp.baseAddress!, xs, weights: wp.baseAddress!, kernel: kernel, outChannels: cv.outC, bias: bp.baseAddress, a, q, y: $0.baseAddress!, ys)
            }
        }
        for f in int8Families {
            let run: (UnsafeMutablePointer<Int8>) -> Void
            if cv.depthwise {
                let packed = Int8PackedDepthwise(isa: f, channels: cv.outC, kernel: kernel, weights: wp.baseAddress!, bias: bp.baseAddress, requant: q)
                run = { packed.run(p, x: xp.baseAddress!, y: $0) }
            } else {
                let packed = Int8PackedGEMM(isa: f, k: cv.kh * cv.kw * cv.inC, n: cv.outC, weights: wp.baseAddress!, ldw: cv.outC, bias: bp.baseAddress, requant: q)
                run = { packed.conv2d(p, x: xp.baseAddress!, y: $0, scratch: scratch) }
            }
            y.withUnsafeMutableBufferPointer { yp in
                run(yp.baseAddress!)
                let exact = Array(yp) == want
                let s = measure {
                    run(yp.baseAddress!)
                    ew_escape(yp.baseAddress!)
                }
                int8Report(Int8Row(kernel: cv.name, isa: f.rawValue, seconds: s.median, best: s.best, ops: cv.flops, exact: exact))
            }
        }
    } } }
}

if json {
    var out = "{\n  \"build\": \"\(buildMode)\",\n  \"peak_gflops\": \(peak),\n  \"peaks\": {"
    out += peaks.map { "\"\($0.0)\": \($0.1)" }.joined(separator: ", ") + "},\n  \"results\": [\n"
    out += rows.map { r in
        let g = r.flops / r.seconds * 1e-9
        return "    {\"kernel\": \"\(r.kernel)\", \"isa\": \"\(r.isa)\", \"median_us\": \(r.seconds * 1e6), "
            + "\"gflops\": \(g), \"fraction_of_peak\": \(g / peak), \"best_gflops\": \(r.flops / r.best * 1e-9), "
            + "\"max_rel_err\": \(r.maxRelErr)}"
    }.joined(separator: ",\n")
    out += "\n  ],\n  \"int8_peak_gops\": \(int8Peak),\n  \"int8_results\": [\n"
    out += int8Rows.map { r in
        let g = r.ops / r.seconds * 1e-9
        return "    {\"kernel\": \"\(r.kernel)\", \"isa\": \"\(r.isa)\", \"median_us\": \(r.seconds * 1e6), "
            + "\"gops\": \(g), \"fraction_of_int8_peak\": \(g / int8Peak), \"exact\": \(r.exact)}"
    }.joined(separator: ",\n")
    out += "\n  ]\n}"
    print(out)
} else {
    print("")
    print("GFLOP/s and % peak from the median sample; best = fastest sample. FLOPs count 1 MAC as 2;")
    print("% peak is against the best ISA's FMA peak above (same run). max rel err: vs ReferenceKernels.")
    print("int8 rows: GOP/s (1 MAC = 2 ops) and % of the int8 peak above (same run); 'exact': equal to Int8Reference byte for byte.")
}
