// Property tests: every int8 C kernel family this CPU runs (generic, AVX2, AVX-512 VNNI) equals the Swift
// Int8Reference kernels bit for bit over random shapes, zero points, biases and per-channel requantisation.
// `EDGEWISE_MAX_ISA=avx2 swift test -c release --filter Int8KernelTests` exercises the AVX2 family on a VNNI CPU.
import CEdgewiseKernels
@testable import EdgewiseCore
import Testing

@Suite("int8 C kernels equal the Swift reference")
struct Int8KernelTests {
    static let families = Int8KernelISA.allCases.filter(\.isAvailable)

    /// Random per-channel requantisation: real multipliers from 2⁻¹⁶ to 4 (so both right and left shifts
    /// occur), random zero points and activation clamps.
    static func requant(_ g: inout SeededGenerator, channels: Int, perChannel: Bool) -> Int8Requant {
        var ms: [Int32] = [], ss: [Int] = []
        for _ in 0..<(perChannel ? channels : 1) {
            let real = Double.pow2(Double(g.int(-16...2))) * (1 + Double(g.int(0...999)) / 1000)
            let (m, s) = FixedPoint.quantizeMultiplier(real)
            ms.append(m); ss.append(s)
        }
        let lo = Int32(g.pick([-128, -128, -20, 0])), hi = Int32(g.pick([127, 127, 90]))
        return Int8Requant(multipliers: ms, shifts: ss, inputZeroPoint: Int32(g.int(-128...127)),
                           outputZeroPoint: Int32(g.int(-128...127)), activationMin: lo, activationMax: hi)
    }

    static func int8s(_ g: inout SeededGenerator, _ n: Int) -> [Int8] { (0..<n).map { _ in Int8(truncatingIfNeeded: g.int(-128...127)) } }
    static func biases(_ g: inout SeededGenerator, _ n: Int) -> [Int32] { (0..<n).map { _ in Int32(g.int(-70_000...70_000)) } }

    @Test("GEMM / fully connected: random M, K, N", arguments: families)
    func gemm(isa: Int8KernelISA) {
        var g = SeededGenerator(seed: 11)
        for trial in 0..<60 {
            let m = g.int(1...23), k = g.int(1...300), n = g.int(1...150)
            let q = Self.requant(&g, channels: n, perChannel: trial % 3 != 0)
            let a = Self.int8s(&g, m * k), w = Self.int8s(&g, k * n), bias = Self.biases(&g, n)
            let useBias = trial % 5 != 0
            var ref = [Int8](repeating: 0, count: m * n), got = [Int8](repeating: 1, count: m * n)
            a.withUnsafeBufferPointer { ap in
                w.withUnsafeBufferPointer { wp in
                    bias.withUnsafeBufferPointer { bp in
                        let b = useBias ? bp.baseAddress : nil
                        ref.withUnsafeMutableBufferPointer {
                            Int8Reference.dense(x: ap.baseAddress!, rows: m, inFeatures: k, weights: wp.baseAddress!, outFeatures: n, bias: b, q, y: $0.baseAddress!)
                        }
                        let packed = Int8PackedGEMM(isa: isa, k: k, n: n, weights: wp.baseAddress!, ldw: n, bias: b, requant: q)
                        got.withUnsafeMutableBufferPointer { packed.run(m: m, a: ap.baseAddress!, lda: k, y: $0.baseAddress!, ldy: n) }
                    }
                }
            }
            let bad = zip(ref, got).filter { $0 != $1 }.count
            #expect(bad == 0, "\(isa) trial \(trial): M \(m) K \(k) N \(n): \(bad) of \(m * n) outputs differ")
            if bad > 0 { return }
        }
    }

    @Test("conv 2-D and 1-D: random windows, strides, dilations, paddings", arguments: families)
    func conv(isa: Int8KernelISA) {
        var g = SeededGenerator(seed: 23)
        for trial in 0..<50 {
            let oneD = trial % 4 == 0
            let kh = oneD ? 1 : g.pick([1, 1, 3, 5, 10]), kw = g.pick([1, 1, 3, 4])
            let sh = oneD ? 1 : g.int(1...2), sw = g.int(1...2), dh = oneD ? 1 : g.pick([1, 1, 2]), dw = g.pick([1, 1, 2])
            let cin = g.int(1...40), cout = g.int(1...70), batch = g.int(1...2)
            let h = oneD ? 1 : g.int(((kh - 1) * dh + 1)...((kh - 1) * dh + 9)), w = g.int(((kw - 1) * dw + 1)...((kw - 1) * dw + 12))
            let same = g.bool()
            let pad = same ? Padding.same(inputHW: (h, w), kernelHW: (kh, kw), strideHW: (sh, sw), dilationHW: (dh, dw)) : .valid
            let a = ConvAttributes(stride: Size2D(sh, sw), dilation: Size2D(dh, dw), padding: pad)
            let oh = Int8Reference.outputSize(input: h, kernel: kh, stride: sh, dilation: dh, padBefore: pad.top, padAfter: pad.bottom)
            let ow = Int8Reference.outputSize(input: w, kernel: kw, stride: sw, dilation: dw, padBefore: pad.left, padAfter: pad.right)
            let xs = Int8Reference.NHWC(batch, h, w, cin), ys = Int8Reference.NHWC(batch, oh, ow, cout)
            let q = Self.requant(&g, channels: cout, perChannel: true)
            let x = Self.int8s(&g, xs.count), wt = Self.int8s(&g, kh * kw * cin * cout), bias = Self.biases(&g, cout)
            var ref = [Int8](repeating: 0, count: ys.count), got = [Int8](repeating: 1, count: ys.count)
            let p = q.convParams(xs, ys, kernel: Size2D(kh, kw), a)
            var pp = p
            let scratch = UnsafeMutableRawPointer.allocate(byteCount: max(ew_int8_conv2d_scratch_bytes(&pp), 1), alignment: 64)
            defer { scratch.deallocate() }
            x.withUnsafeBufferPointer { xp in
                wt.withUnsafeBufferPointer { wp in
                    bias.withUnsafeBufferPointer { bp in
                        ref.withUnsafeMutableBufferPointer {
                            Int8Reference.conv2d(x: xp.baseAddress!, xs, weights: wp.baseAddress!, kernel: Size2D(kh, kw), outChannels: cout,
                                                 bias: bp.baseAddress, a, q, y: $0.baseAddress!, ys)
                        }
                        let packed = Int8PackedGEMM(isa: isa, k: kh * kw * cin, n: cout, weights: wp.baseAddress!, ldw: cout, bias: bp.baseAddress, requant: q)
                        got.withUnsafeMutableBufferPointer { packed.conv2d(p, x: xp.baseAddress!, y: $0.baseAddress!, scratch: scratch) }
                    }
                }
            }
            let bad = zip(ref, got).filter { $0 != $1 }.count
            #expect(bad == 0, "\(isa) trial \(trial): x \(xs) k \(kh)x\(kw) s \(sh),\(sw) d \(dh),\(dw) pad \(pad) cout \(cout): \(bad) differ")
            if bad > 0 { return }
        }
    }

    @Test("depthwise: random windows, strides, multipliers, channel counts", arguments: families)
    func depthwise(isa: Int8KernelISA) {
        var g = SeededGenerator(seed: 37)
        for trial in 0..<60 {
            let kh = g.pick([1, 3, 3, 5]), kw = g.pick([1, 3, 3, 5]), sh = g.int(1...2), sw = g.int(1...2)
            let dh = g.pick([1, 1, 2]), dw = g.pick([1, 1, 2]), mult = trial % 4 == 0 ? g.int(2...3) : 1
            let c = g.int(1...70), batch = g.int(1...2)
            let h = g.int(((kh - 1) * dh + 1)...((kh - 1) * dh + 8)), w = g.int(((kw - 1) * dw + 1)...((kw - 1) * dw + 8))
            let same = g.bool()
            let pad = same ? Padding.same(inputHW: (h, w), kernelHW: (kh, kw), strideHW: (sh, sw), dilationHW: (dh, dw)) : .valid
            let a = ConvAttributes(stride: Size2D(sh, sw), dilation: Size2D(dh, dw), padding: pad, depthMultiplier: mult)
            let oh = Int8Reference.outputSize(input: h, kernel: kh, stride: sh, dilation: dh, padBefore: pad.top, padAfter: pad.bottom)
            let ow = Int8Reference.outputSize(input: w, kernel: kw, stride: sw, dilation: dw, padBefore: pad.left, padAfter: pad.right)
            let cm = c * mult
            let xs = Int8Reference.NHWC(batch, h, w, c), ys = Int8Reference.NHWC(batch, oh, ow, cm)
            let q = Self.requant(&g, channels: cm, perChannel: true)
            let x = Self.int8s(&g, xs.count), wt = Self.int8s(&g, kh * kw * cm), bias = Self.biases(&g, cm)
            var ref = [Int8](repeating: 0, count: ys.count), got = [Int8](repeating: 1, count: ys.count)
            x.withUnsafeBufferPointer { xp in
                wt.withUnsafeBufferPointer { wp in
                    bias.withUnsafeBufferPointer { bp in
                        ref.withUnsafeMutableBufferPointer {
                            Int8Reference.depthwiseConv2d(x: xp.baseAddress!, xs, weights: wp.baseAddress!, kernel: Size2D(kh, kw),
                                                          bias: bp.baseAddress, a, q, y: $0.baseAddress!, ys)
                        }
                        let packed = Int8PackedDepthwise(isa: isa, channels: cm, kernel: Size2D(kh, kw), weights: wp.baseAddress!, bias: bp.baseAddress, requant: q)
                        got.withUnsafeMutableBufferPointer { packed.run(q.convParams(xs, ys, kernel: Size2D(kh, kw), a), x: xp.baseAddress!, y: $0.baseAddress!) }
                    }
                }
            }
            let bad = zip(ref, got).filter { $0 != $1 }.count
            #expect(bad == 0, "\(isa) trial \(trial): x \(xs) k \(kh)x\(kw) s \(sh),\(sw) d \(dh),\(dw) M \(mult): \(bad) differ")
            if bad > 0 { return }
        }
    }

    @Test("the probe honours EDGEWISE_MAX_ISA and reports a consistent best family")
    func probe() {
        #expect(Int8KernelISA.best.isAvailable)
        #expect(Int8KernelISA.generic.isAvailable)
        for f in Int8KernelISA.allCases where f.isAvailable { #expect(Int8KernelISA.allCases.firstIndex(of: f)! <= Int8KernelISA.allCases.firstIndex(of: .best)!) }
    }
}

extension Double {
    static func pow2(_ e: Double) -> Double { e >= 0 ? Double(1 << Int(e)) : 1 / Double(1 << Int(-e)) }
}
