import CEdgewiseKernels

/// The int8 C kernel families (``Sources/CEdgewiseKernels/include/edgewise_int8.h``), lowest first.
public enum Int8KernelISA: String, CaseIterable, Sendable {
    case generic, avx2, vnni

    var c: ew_int8_isa {
        switch self {
        case .generic: return EW_INT8_GENERIC
        case .avx2: return EW_INT8_AVX2
        case .vnni: return EW_INT8_VNNI
        }
    }

    /// Whether this CPU runs the family (after the `EDGEWISE_MAX_ISA` cap).
    public var isAvailable: Bool { ew_int8_isa_available(c) != 0 }

    /// The best family this CPU runs.
    public static var best: Int8KernelISA {
        let b = ew_int8_best_isa()
        return b == EW_INT8_VNNI ? .vnni : b == EW_INT8_AVX2 ? .avx2 : .generic
    }

    /// The int8 family matching an fp32 ``KernelISA`` choice (`avx512` → VNNI when the CPU has it).
    public static func matching(_ isa: KernelISA) -> Int8KernelISA {
        switch isa {
        case .reference, .generic: return .generic
        case .avx2: return Int8KernelISA.avx2.isAvailable ? .avx2 : .generic
        case .avx512: return best
        }
    }
}

/// 64-byte aligned bytes owned by a packed kernel operand.
final class AlignedBytes: @unchecked Sendable {
    let pointer: UnsafeMutableRawPointer
    let count: Int
    init(_ count: Int) {
        self.count = max(count, 1)
        pointer = UnsafeMutableRawPointer.allocate(byteCount: self.count, alignment: 64)
        pointer.initializeMemory(as: UInt8.self, repeating: 0, count: self.count)
    }
    deinit { pointer.deallocate() }
}

/// GEMM weights packed once for one int8 kernel family, with the bias (zero-point compensation folded
/// in) and the per-column requantisation: `Y = clamp(requant(Σ (A − zpIn)·W + bias) + zpOut)`.
public final class Int8PackedGEMM: @unchecked Sendable {
    public let isa: Int8KernelISA
    public let k: Int, n: Int
    public let requant: Int8Requant
    let storage: AlignedBytes

    /// Packs `weights[K][N]` (row stride `ldw`), an optional int32 `bias[N]` and `requant` (one
    /// multiplier per column, or one for all).
    public init(isa: Int8KernelISA, k: Int, n: Int, weights: UnsafePointer<Int8>, ldw: Int, bias: UnsafePointer<Int32>?, requant: Int8Requant) {
        self.isa = isa; self.k = k; self.n = n; self.requant = requant
        storage = AlignedBytes(ew_int8_gemm_packed_bytes(isa.c, k, n))
        var mult = [Int32](repeating: 0, count: n), shift = [Int32](repeating: 0, count: n)
        for j in 0..<n { let (m, s) = requant.channel(j); mult[j] = m; shift[j] = Int32(s) }
        ew_int8_gemm_pack(isa.c, k, n, weights, ldw, bias, requant.inputZeroPoint, mult, shift, storage.pointer)
    }

    /// `y[m][n]` (row stride `ldy`) from `a[m][k]` (row stride `lda`).
    @inlinable
    public func run(m: Int, a: UnsafePointer<Int8>, lda: Int, y: UnsafeMutablePointer<Int8>, ldy: Int) {
        runC(m: m, a: a, lda: lda, y: y, ldy: ldy)
    }

    @usableFromInline
    func runC(m: Int, a: UnsafePointer<Int8>, lda: Int, y: UnsafeMutablePointer<Int8>, ldy: Int) {
        ew_int8_gemm(isa.c, m, a, lda, storage.pointer, y, ldy, requant.outputZeroPoint, requant.activationMin, requant.activationMax)
    }

    /// Convolution over NHWC `x` with this packing of `[KH,KW,Cin,Cout]` weights (K = KH·KW·Cin).
    public func conv2d(_ p: ew_int8_conv_params, x: UnsafePointer<Int8>, y: UnsafeMutablePointer<Int8>, scratch: UnsafeMutableRawPointer?) {
        var p = p
        ew_int8_conv2d(isa.c, &p, x, storage.pointer, y, scratch)
    }
}

/// Depthwise weights `[KH,KW,C·M]`, bias and per-channel requantisation packed for the int8 kernels.
public final class Int8PackedDepthwise: @unchecked Sendable {
    public let isa: Int8KernelISA
    public let requant: Int8Requant
    let storage: AlignedBytes

    public init(isa: Int8KernelISA, channels: Int, kernel: Size2D, weights: UnsafePointer<Int8>, bias: UnsafePointer<Int32>?, requant: Int8Requant) {
        self.isa = isa; self.requant = requant
        storage = AlignedBytes(ew_int8_depthwise_packed_bytes(channels, kernel.h, kernel.w))
        var mult = [Int32](repeating: 0, count: channels), shift = [Int32](repeating: 0, count: channels)
        for j in 0..<channels { let (m, s) = requant.channel(j); mult[j] = m; shift[j] = Int32(s) }
        ew_int8_depthwise_pack(channels, kernel.h, kernel.w, weights, bias, mult, shift, storage.pointer)
    }

    public func run(_ p: ew_int8_conv_params, x: UnsafePointer<Int8>, y: UnsafeMutablePointer<Int8>) {
        var p = p
        ew_int8_depthwise_conv2d(isa.c, &p, x, storage.pointer, y)
    }
}

extension Int8Requant {
    /// The C kernels' geometry and output parameters for a convolution from `xs` to `ys`.
    public func convParams(_ xs: Int8Reference.NHWC, _ ys: Int8Reference.NHWC, kernel: Size2D, _ a: ConvAttributes) -> ew_int8_conv_params {
        ew_int8_conv_params(batch: Int32(xs.n), in_h: Int32(xs.h), in_w: Int32(xs.w), in_c: Int32(xs.c),
                            out_h: Int32(ys.h), out_w: Int32(ys.w), out_c: Int32(ys.c),
                            k_h: Int32(kernel.h), k_w: Int32(kernel.w), stride_h: Int32(a.stride.h), stride_w: Int32(a.stride.w),
                            dil_h: Int32(a.dilation.h), dil_w: Int32(a.dilation.w),
                            pad_top: Int32(a.padding.top), pad_left: Int32(a.padding.left), depth_multiplier: Int32(a.depthMultiplier),
                            input_zero_point: inputZeroPoint, output_zero_point: outputZeroPoint,
                            act_min: activationMin, act_max: activationMax)
    }
}
