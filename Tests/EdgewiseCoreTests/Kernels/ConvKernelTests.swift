// Property tests: every conv2d and depthwise conv2d variant this CPU can run against ReferenceKernels on generated
// geometries (kernel sizes, strides, dilations, asymmetric padding, batches, 1-D signals, channel tails).
import CEdgewiseKernels
@testable import EdgewiseCore
import Testing

/// One generated convolution: shapes, attributes and whether it is depthwise.
struct ConvCase: CustomStringConvertible {
    var depthwise: Bool
    var batch: Int, inH: Int, inW: Int, inC: Int, outC: Int
    var kh: Int, kw: Int
    var attributes: ConvAttributes
    var bias: Bool
    var oneD: Bool // use rank-3 NWC shapes (in_h must be 1)
    var outH: Int, outW: Int

    init?(depthwise: Bool, batch: Int, inH: Int, inW: Int, inC: Int, outC: Int, kh: Int, kw: Int,
          attributes: ConvAttributes, bias: Bool, oneD: Bool = false) {
        let a = attributes
        guard let oh = convOutputExtent(input: inH, kernel: kh, stride: a.stride.h, dilation: a.dilation.h,
                                        padBefore: a.padding.top, padAfter: a.padding.bottom),
              let ow = convOutputExtent(input: inW, kernel: kw, stride: a.stride.w, dilation: a.dilation.w,
                                        padBefore: a.padding.left, padAfter: a.padding.right)
        else { return nil }
        self.depthwise = depthwise; self.batch = batch; self.inH = inH; self.inW = inW; self.inC = inC
        self.outC = depthwise ? inC * a.depthMultiplier : outC
        self.kh = kh; self.kw = kw; self.attributes = a; self.bias = bias
        self.oneD = oneD && inH == 1 && oh == 1
        outH = oh; outW = ow
    }

    var xShape: Shape { oneD ? [batch, inW, inC] : [batch, inH, inW, inC] }
    var yShape: Shape { oneD ? [batch, outW, outC] : [batch, outH, outW, outC] }
    var wShape: Shape { depthwise ? [kh, kw, outC] : [kh, kw, inC, outC] }
    var description: String {
        let a = attributes, p = a.padding
        return "\(depthwise ? "depthwise" : "conv2d") x\(xShape) k\(kh)x\(kw) cout \(outC) m\(a.depthMultiplier) "
            + "s\(a.stride.h),\(a.stride.w) d\(a.dilation.h),\(a.dilation.w) pad t\(p.top) b\(p.bottom) l\(p.left) "
            + "r\(p.right) bias=\(bias) act=\(a.activation)"
    }

    /// Runs `isa`'s kernel and the reference; returns a failure description or nil.
    func run(_ isa: ew_isa, _ rng: inout SeededGenerator) -> String? {
        let table = CKernelTables.table(isa)
        let x = GuardedBuffer(count: xShape.elementCount), w = GuardedBuffer(count: wShape.elementCount)
        x.randomize(&rng)
        w.randomize(&rng)
        let b = bias ? GuardedBuffer(count: outC) : nil
        if let b { b.randomize(&rng) }
        let y = GuardedBuffer(count: yShape.elementCount), want = GuardedBuffer(count: yShape.elementCount)
        var params = convParams(x: xShape, y: yShape, kernel: (kh, kw), attributes)
        if depthwise {
            ReferenceKernels.depthwiseConv2d(x.buffer, xShape, weights: w.buffer, wShape, bias: b?.buffer, attributes,
                                             into: want.mutableBuffer, yShape)
            table.depthwise_conv2d_f32(&params, x.ro, w.ro, b?.ro, y.base)
        } else {
            ReferenceKernels.conv2d(x.buffer, xShape, weights: w.buffer, wShape, bias: b?.buffer, attributes,
                                    into: want.mutableBuffer, yShape)
            let bytes = ew_conv2d_f32_scratch_bytes(&params)
            // The scratch gets its own guard zone: the kernel must stay within the size it asked for.
            let scratch = GuardedBuffer(count: (bytes + 3) / 4)
            table.conv2d_f32(&params, x.ro, w.ro, b?.ro, y.base, bytes == 0 ? nil : UnsafeMutableRawPointer(scratch.base))
            if !scratch.guardIntact { return "wrote past the \(bytes) scratch bytes it asked for" }
        }
        if !y.guardIntact { return "wrote past the end of y" }
        // Per-output magnitude Σ|x·w| + |bias| over the valid taps, for the error bound.
        let (n, h, wd, cin) = (batch, inH, inW, inC)
        let a = attributes, m = a.depthMultiplier
        let terms = depthwise ? kh * kw : kh * kw * cin
        var bad = 0, first = ""
        for bi in 0..<n {
            for oy in 0..<outH {
                for ox in 0..<outW {
                    for co in 0..<outC {
                        var mag = Double(abs(b?.base[co] ?? 0))
                        for ky in 0..<kh {
                            let iy = oy * a.stride.h - a.padding.top + ky * a.dilation.h
                            if iy < 0 || iy >= h { continue }
                            for kx in 0..<kw {
                                let ix = ox * a.stride.w - a.padding.left + kx * a.dilation.w
                                if ix < 0 || ix >= wd { continue }
                                let xb = ((bi * h + iy) * wd + ix) * cin
                                if depthwise {
                                    mag += Double(abs(x.base[xb + co / m] * w.base[(ky * kw + kx) * outC + co]))
                                } else {
                                    for ci in 0..<cin {
                                        mag += Double(abs(x.base[xb + ci] * w.base[((ky * kw + kx) * cin + ci) * outC + co]))
                                    }
                                }
                            }
                        }
                        let i = ((bi * outH + oy) * outW + ox) * outC + co
                        let err = abs(Double(y.base[i]) - Double(want.base[i]))
                        if !(err <= KernelTolerance.bound(terms: terms, magnitude: mag)) {
                            bad += 1
                            if first.isEmpty {
                                first = "(n\(bi),y\(oy),x\(ox),c\(co)) got \(y.base[i]) want \(want.base[i])"
                            }
                        }
                    }
                }
            }
        }
        return bad == 0 ? nil : "\(bad) bad outputs, first \(first)"
    }
}

enum ConvCases {
    static let activations: [Activation] = [.none, .relu, .relu6]

    static func randomAttributes(_ rng: inout SeededGenerator, maxStride: Int = 3, multiplier: Int = 1) -> ConvAttributes {
        ConvAttributes(stride: Size2D(rng.int(1...maxStride), rng.int(1...maxStride)),
                       dilation: Size2D(rng.int(1...2), rng.int(1...2)),
                       padding: Padding(top: rng.int(0...2), bottom: rng.int(0...2),
                                        left: rng.int(0...2), right: rng.int(0...2)),
                       activation: rng.pick(activations), depthMultiplier: multiplier)
    }

    /// Random conv2d geometries (kernels 1..5 x 1..5, strides 1..3, dilation 1..2, asymmetric padding, batch 1..2,
    /// some 1-D) plus fixed edge cases: the 1x1 GEMM fast path, 1x1 with padding/stride (not the fast path), SAME
    /// padding, the DS-CNN first layer.
    static func conv2d(seed: UInt64) -> [ConvCase] {
        var rng = SeededGenerator(seed: seed)
        var out: [ConvCase] = []
        while out.count < 48 {
            let oneD = out.count % 6 == 0
            var a = randomAttributes(&rng)
            if oneD { a.stride.h = 1; a.dilation.h = 1; a.padding.top = 0; a.padding.bottom = 0 }
            if let c = ConvCase(depthwise: false, batch: rng.int(1...2), inH: oneD ? 1 : rng.int(1...9),
                                inW: rng.int(1...11), inC: rng.pick([1, 2, 3, 5, 8, 13, 17]),
                                outC: rng.pick([1, 3, 8, 9, 16, 17, 33]), kh: oneD ? 1 : rng.int(1...5),
                                kw: rng.int(1...5), attributes: a, bias: rng.bool(), oneD: oneD) {
                out.append(c)
            }
        }
        let pointwise = ConvAttributes(activation: .relu)
        out.append(ConvCase(depthwise: false, batch: 2, inH: 5, inW: 7, inC: 13, outC: 17, kh: 1, kw: 1,
                            attributes: pointwise, bias: true)!)
        out.append(ConvCase(depthwise: false, batch: 1, inH: 1, inW: 9, inC: 8, outC: 16, kh: 1, kw: 1,
                            attributes: ConvAttributes(activation: .relu6), bias: false, oneD: true)!)
        out.append(ConvCase(depthwise: false, batch: 1, inH: 4, inW: 4, inC: 3, outC: 5, kh: 1, kw: 1,
                            attributes: ConvAttributes(padding: Padding(bottom: 1, right: 2)), bias: true)!)
        out.append(ConvCase(depthwise: false, batch: 2, inH: 6, inW: 5, inC: 4, outC: 9, kh: 1, kw: 1,
                            attributes: ConvAttributes(stride: Size2D(2, 2)), bias: true)!)
        out.append(ConvCase(depthwise: false, batch: 1, inH: 7, inW: 6, inC: 3, outC: 8, kh: 3, kw: 3,
                            attributes: ConvAttributes(padding: .same(inputHW: (7, 6), kernelHW: (3, 3),
                                                                      strideHW: (1, 1)), activation: .relu),
                            bias: true)!)
        let dscnn = ConvAttributes(stride: Size2D(2, 2),
                                   padding: .same(inputHW: (49, 10), kernelHW: (10, 4), strideHW: (2, 2)),
                                   activation: .relu)
        out.append(ConvCase(depthwise: false, batch: 1, inH: 49, inW: 10, inC: 1, outC: 64, kh: 10, kw: 4,
                            attributes: dscnn, bias: true)!)
        return out
    }

    /// Random depthwise geometries: channels not multiples of 8/16 (and some that are), multiplier 1..3, kernels
    /// 1..5 with 3x3 over-represented (its register path), strides, dilation, asymmetric padding, batches, 1-D.
    static func depthwise(seed: UInt64) -> [ConvCase] {
        var rng = SeededGenerator(seed: seed)
        var out: [ConvCase] = []
        while out.count < 60 {
            let oneD = out.count % 7 == 0
            var a = randomAttributes(&rng, maxStride: 2, multiplier: rng.int(1...3))
            if oneD { a.stride.h = 1; a.dilation.h = 1; a.padding.top = 0; a.padding.bottom = 0 }
            let k3 = out.count % 2 == 0
            if let c = ConvCase(depthwise: true, batch: rng.int(1...2), inH: oneD ? 1 : rng.int(1...8),
                                inW: rng.int(1...9), inC: rng.pick([1, 3, 5, 7, 8, 9, 15, 16, 17, 24, 31, 33, 40]),
                                outC: 0, kh: oneD ? 1 : (k3 ? 3 : rng.int(1...5)), kw: k3 ? 3 : rng.int(1...5),
                                attributes: a, bias: rng.bool(), oneD: oneD) {
                out.append(c)
            }
        }
        // Row pairing (3x3, stride 1) with a depth multiplier and a channel tail, and with dilated columns.
        for (m, dil) in [(2, 1), (3, 2)] {
            let a = ConvAttributes(dilation: Size2D(1, dil),
                                   padding: .same(inputHW: (7, 6), kernelHW: (3, 3), strideHW: (1, 1),
                                                  dilationHW: (1, dil)),
                                   activation: .relu6, depthMultiplier: m)
            out.append(ConvCase(depthwise: true, batch: 2, inH: 7, inW: 6, inC: 13, outC: 0, kh: 3, kw: 3,
                                attributes: a, bias: true)!)
        }
        for (h, w, c) in [(25, 5, 64), (13, 5, 172)] { // the DS-CNN layers, SAME padding
            let a = ConvAttributes(padding: .same(inputHW: (h, w), kernelHW: (3, 3), strideHW: (1, 1)),
                                   activation: .relu)
            out.append(ConvCase(depthwise: true, batch: 1, inH: h, inW: w, inC: c, outC: 0, kh: 3, kw: 3,
                                attributes: a, bias: true)!)
        }
        return out
    }

    static func check(_ cases: [ConvCase], _ isa: ew_isa, seed: UInt64) {
        var rng = SeededGenerator(seed: seed)
        for c in cases {
            let failure = c.run(isa, &rng)
            #expect(failure == nil, "\(CKernelTables.name(isa)) \(c): \(failure ?? "")")
        }
    }
}

@Suite("conv2d_f32 kernels vs ReferenceKernels.conv2d")
struct Conv2DKernelTests {
    static let cases = ConvCases.conv2d(seed: 0xC0_2D)

    @Test("generic: generated geometries")
    func generic() { ConvCases.check(Self.cases, EW_ISA_GENERIC, seed: 1) }

    @Test("avx2: generated geometries",
          .enabled(if: CKernelTables.available(EW_ISA_AVX2), "this CPU, build or EDGEWISE_MAX_ISA excludes AVX2+FMA"))
    func avx2() { ConvCases.check(Self.cases, EW_ISA_AVX2, seed: 2) }

    @Test("avx512: generated geometries",
          .enabled(if: CKernelTables.available(EW_ISA_AVX512), "this CPU, build or EDGEWISE_MAX_ISA excludes AVX-512"))
    func avx512() { ConvCases.check(Self.cases, EW_ISA_AVX512, seed: 3) }

    @Test("the generated geometries cover the required ranges")
    func coverage() {
        let cs = Self.cases
        #expect(Set(cs.map(\.kh)).isSuperset(of: 1...5) && Set(cs.map(\.kw)).isSuperset(of: 1...5))
        #expect(Set(cs.map(\.attributes.stride.w)).isSuperset(of: 1...3))
        #expect(Set(cs.map(\.attributes.dilation.w)).isSuperset(of: 1...2))
        #expect(cs.contains { $0.attributes.padding.top != $0.attributes.padding.bottom })
        #expect(cs.contains { $0.attributes.padding.left != $0.attributes.padding.right })
        #expect(Set(cs.map(\.batch)) == [1, 2])
        #expect(cs.contains { $0.oneD } && cs.contains { $0.inH == 1 })
        #expect(cs.contains { $0.bias } && cs.contains { !$0.bias })
        #expect(Set(cs.map(\.attributes.activation)) == Set(ConvCases.activations))
    }

    @Test("scratch: none for the 1x1 stride-1 unpadded fast path, some otherwise")
    func scratch() {
        func bytes(_ c: ConvCase) -> Int {
            var p = convParams(x: c.xShape, y: c.yShape, kernel: (c.kh, c.kw), c.attributes)
            return ew_conv2d_f32_scratch_bytes(&p)
        }
        let cs = Self.cases.filter { $0.kh == 1 && $0.kw == 1 }
        for c in cs {
            let fast = c.attributes.stride == .one && c.attributes.padding == .valid
            #expect((bytes(c) == 0) == fast, "\(c)")
        }
        #expect(cs.contains { $0.attributes.padding != .valid } && cs.contains { $0.attributes.stride != .one })
    }
}

@Suite("depthwise_conv2d_f32 kernels vs ReferenceKernels.depthwiseConv2d")
struct DepthwiseConv2DKernelTests {
    static let cases = ConvCases.depthwise(seed: 0xD3_97)

    @Test("generic: generated geometries")
    func generic() { ConvCases.check(Self.cases, EW_ISA_GENERIC, seed: 4) }

    @Test("avx2: generated geometries",
          .enabled(if: CKernelTables.available(EW_ISA_AVX2), "this CPU, build or EDGEWISE_MAX_ISA excludes AVX2+FMA"))
    func avx2() { ConvCases.check(Self.cases, EW_ISA_AVX2, seed: 5) }

    @Test("avx512: generated geometries",
          .enabled(if: CKernelTables.available(EW_ISA_AVX512), "this CPU, build or EDGEWISE_MAX_ISA excludes AVX-512"))
    func avx512() { ConvCases.check(Self.cases, EW_ISA_AVX512, seed: 6) }

    @Test("the generated geometries cover the required ranges")
    func coverage() {
        let cs = Self.cases
        #expect(Set(cs.map(\.attributes.depthMultiplier)) == [1, 2, 3])
        #expect(cs.contains { $0.inC % 8 != 0 } && cs.contains { $0.outC % 16 != 0 && $0.outC > 16 })
        #expect(cs.contains { $0.kh == 3 && $0.kw == 3 && $0.attributes.depthMultiplier > 1 })
        #expect(cs.contains { $0.kh != 3 || $0.kw != 3 })
        #expect(Set(cs.map(\.attributes.stride.w)).isSuperset(of: 1...2))
        #expect(Set(cs.map(\.attributes.dilation.h)).isSuperset(of: 1...2))
        #expect(cs.contains { $0.attributes.padding.top != $0.attributes.padding.bottom })
        #expect(Set(cs.map(\.batch)) == [1, 2] && cs.contains { $0.oneD })
    }
}
