// Shared helpers for the optimised-kernel property tests: a seeded generator, guarded buffers, the named error bound,
// the ISA list and the Swift→C parameter mapping.
import CEdgewiseKernels
@testable import EdgewiseCore
import Testing

/// Tests draw shapes and data from the project's one seeded generator.

extension SeededGenerator {
    /// A float in [-1, 1].
    mutating func unit() -> Float { Float(Int(next() % 2_000_001) - 1_000_000) / 1_000_000 }
    mutating func pick<T>(_ xs: [T]) -> T { xs[Int(next() % UInt64(xs.count))] }
    mutating func int(_ r: ClosedRange<Int>) -> Int { r.lowerBound + Int(next() % UInt64(r.count)) }
    mutating func bool() -> Bool { next() & 1 == 1 }
}

/// The C kernel tables and whether this CPU (and build) can run them.
enum CKernelTables {
    static let all: [ew_isa] = [EW_ISA_GENERIC, EW_ISA_AVX2, EW_ISA_AVX512]
    static func available(_ isa: ew_isa) -> Bool { ew_kernel_table_for(isa) != nil }
    static func table(_ isa: ew_isa) -> ew_kernel_table { ew_kernel_table_for(isa)!.pointee }
    static func name(_ isa: ew_isa) -> String {
        switch isa {
        case EW_ISA_GENERIC: return "generic"
        case EW_ISA_AVX2: return "avx2"
        case EW_ISA_AVX512: return "avx512"
        default: return "isa\(isa.rawValue)"
        }
    }
}

/// The fp32 error bound every optimised kernel must meet against the Swift reference.
///
/// Both results are sums of `terms` products (plus the bias) rounded in different orders (and the kernels fuse the
/// multiply-add); the standard bound for such a sum is `terms · u · Σ|aᵢ·bᵢ|` with `u = ε/2`, so two of them differ
/// by at most `terms · ε · Σ|aᵢ·bᵢ|`. With two extra terms of slack for the bias addition and the final rounding:
///
///     |kernel − reference| ≤ (terms + 2) · ε_f32 · (|bias| + Σ|aᵢ·bᵢ|)     (ε_f32 = 2⁻²³ ≈ 1.19e-7)
///
/// e.g. 2.1e-5 relative to the magnitude sum for K = 172. The clamps (none, ReLU, ReLU6) are 1-Lipschitz, so the bound
/// holds after the activation too.
enum KernelTolerance {
    static func bound(terms: Int, magnitude: Double) -> Double {
        Double(terms + 2) * Double(Float.ulpOfOne) * magnitude
    }
}

/// A float buffer with a guard zone after `count` elements, filled with a sentinel the kernels must not touch.
final class GuardedBuffer {
    static let guardCount = 32
    static let sentinel: Float = -12345.5
    let count: Int
    let base: UnsafeMutablePointer<Float>
    init(count: Int, fill: Float = GuardedBuffer.sentinel) {
        self.count = count
        let raw = UnsafeMutableRawPointer.allocate(byteCount: (count + Self.guardCount) * 4, alignment: 64)
        base = raw.bindMemory(to: Float.self, capacity: count + Self.guardCount)
        base.initialize(repeating: fill, count: count + Self.guardCount)
    }
    deinit { UnsafeMutableRawPointer(base).deallocate() }
    var ro: UnsafePointer<Float> { UnsafePointer(base) }
    var buffer: UnsafeBufferPointer<Float> { UnsafeBufferPointer(start: ro, count: count) }
    var mutableBuffer: UnsafeMutableBufferPointer<Float> { UnsafeMutableBufferPointer(start: base, count: count) }
    func randomize(_ rng: inout SeededGenerator) { for i in 0..<count { base[i] = rng.unit() } }
    /// The guard zone still holds the sentinel.
    var guardIntact: Bool { (count..<(count + Self.guardCount)).allSatisfy { base[$0] == Self.sentinel } }
}

extension Activation {
    /// The clamp bounds this activation fuses into a kernel (only none, ReLU, ReLU6 are clamps).
    var kernelClamp: (lo: Float, hi: Float) { let b = clampBounds!; return (b.min, b.max) }
}

/// The C geometry of a convolution given its Swift shapes (rank-4 NHWC or rank-3 NWC) and attributes.
func convParams(x xs: Shape, y ys: Shape, kernel: (h: Int, w: Int), _ a: ConvAttributes) -> ew_conv_params {
    let clamp = a.activation.kernelClamp
    return Executor.convParams(xs, ys, kernel: Size2D(kernel.h, kernel.w), a, clamp: (clamp.lo, clamp.hi))
}

/// Output extent of one spatial axis, or nil when the window does not fit.
func convOutputExtent(input: Int, kernel: Int, stride: Int, dilation: Int, padBefore: Int, padAfter: Int) -> Int? {
    let span = input + padBefore + padAfter - ((kernel - 1) * dilation + 1)
    return span < 0 ? nil : span / stride + 1
}
