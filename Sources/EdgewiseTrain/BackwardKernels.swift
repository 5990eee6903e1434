import EdgewiseCore
import Foundation

/// Plain-loop backward kernels, each the pair of a forward kernel in `ReferenceKernels`. Each
/// operator's backward kernel is declared beside it in `Operators/<Name>+Backward.swift`; this file
/// holds the activation derivatives they share. Pairs (llm.c style:
/// `conv2d` ↔ ``conv2dBackward(x:_:weights:_:dz:_:_:dx:dw:db:)``). They are the oracle for the GEMM
/// paths and are checked against finite differences in the tests.
///
/// Conventions: `dz` is the gradient at the *pre-activation* output (apply
/// ``activationBackward(z:_:dy:into:)`` first for fused activations); every gradient output is
/// **accumulated** (`+=`), so a value read by several nodes collects all of its gradients; `nil`
/// outputs are skipped.
public enum BackwardKernels {

    /// Derivative of `activation` at pre-activation `z`.
    @inline(__always)
    public static func derivative(_ z: Float, _ activation: Activation) -> Float {
        switch activation {
        case .none: return 1
        case .relu: return z > 0 ? 1 : 0
        case .relu6: return z > 0 && z < 6 ? 1 : 0
        case .hardSwish: return z <= -3 ? 0 : (z >= 3 ? 1 : (2 * z + 3) / 6)
        case .sigmoid:
            let s = 1 / (1 + Foundation.exp(-z))
            return s * (1 - s)
        case .gelu:
            let c: Float = 0.7978845608028654
            let u = c * (z + 0.044715 * z * z * z)
            let t = Foundation.tanh(u)
            return 0.5 * (1 + t) + 0.5 * z * (1 - t * t) * c * (1 + 3 * 0.044715 * z * z)
        }
    }

    /// `dx = dy · f'(z)` (overwrites `dx`; `dx` may alias `dy`).
    public static func activationBackward(z: UnsafeBufferPointer<Float>, _ activation: Activation,
                                          dy: UnsafeBufferPointer<Float>, into dx: UnsafeMutableBufferPointer<Float>) {
        let zp = z.baseAddress!, gp = dy.baseAddress!, dp = dx.baseAddress!
        switch activation {
        case .none: if UnsafePointer(dp) != gp { dp.update(from: gp, count: z.count) }
        case .relu: for i in 0..<z.count { let g = gp[i]; dp[i] = zp[i] > 0 ? g : 0 }  // unconditional load: no branch
        default: for i in 0..<z.count { dp[i] = gp[i] * derivative(zp[i], activation) }
        }
    }
}
