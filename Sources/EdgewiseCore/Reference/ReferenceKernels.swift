import Foundation

/// Plain-loop Swift kernels: the oracle every optimised kernel is tested against, and the path the
/// executor takes with `isa: .reference`. Written for clarity, not speed; they never allocate.
///
/// Tensors are passed as flat buffers plus their ``Shape`` (NHWC / NWC, see ``Shape``). Shapes are
/// assumed valid (the graph was validated at load).
///
/// Each operator's reference kernel is declared in that operator's file (`Operators/<Name>.swift`, as
/// an extension of this enum); this file holds what several share: the activation functions and GEMM.
public enum ReferenceKernels {

    /// Applies `activation` to one value.
    @inline(__always)
    public static func activate(_ v: Float, _ activation: Activation) -> Float {
        switch activation {
        case .none: return v
        case .relu: return max(v, 0)
        case .relu6: return min(max(v, 0), 6)
        case .hardSwish: return v * min(max(v + 3, 0), 6) / 6
        case .sigmoid: return 1 / (1 + Foundation.exp(-v))
        case .gelu:
            let c: Float = 0.7978845608028654 // √(2/π)
            return 0.5 * v * (1 + Foundation.tanh(c * (v + 0.044715 * v * v * v)))
        }
    }

    /// General matrix product: `c[M,N] = activation(a[M,K] · b[K,N] + bias[N])`, row-major with the
    /// given row strides (in elements). The oracle for the optimised GEMM.
    public static func gemm(m: Int, n: Int, k: Int,
                            a: UnsafePointer<Float>, lda: Int,
                            b: UnsafePointer<Float>, ldb: Int,
                            bias: UnsafePointer<Float>?, activation: Activation,
                            c: UnsafeMutablePointer<Float>, ldc: Int) {
        for i in 0..<m {
            for j in 0..<n {
                var acc: Float = bias?[j] ?? 0
                for p in 0..<k { acc += a[i * lda + p] * b[p * ldb + j] }
                c[i * ldc + j] = activate(acc, activation)
            }
        }
    }
}
