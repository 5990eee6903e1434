import EdgewiseCore
import Foundation

/// The backward pass of ``Operator/MatMul`` (its forward and reference kernel: `Sources/EdgewiseCore/Operators/MatMul.swift`).
extension BackwardKernels {
    /// Batched matmul backward: `dA += dY·op(B)ᵀ`, `dB += …` for a `[B…,M,K]` × `[B…,K,N]` (or `[B…,N,K]`).
    public static func matmulBackward(a: UnsafeBufferPointer<Float>, _ as_: Shape, b: UnsafeBufferPointer<Float>, _ bs: Shape,
                                      transposeB: Bool, dy: UnsafeBufferPointer<Float>,
                                      da: UnsafeMutableBufferPointer<Float>?, db: UnsafeMutableBufferPointer<Float>?) {
        let m = as_[-2], k = as_[-1]
        let n = transposeB ? bs[-2] : bs[-1]
        let batches = as_.elementCount / (m * k)
        for bt in 0..<batches {
            let ao = bt * m * k, bo = bt * k * n, yo = bt * m * n
            for i in 0..<m {
                for j in 0..<n {
                    let g = dy[yo + i * n + j]
                    for p in 0..<k {
                        let bi = transposeB ? bo + j * k + p : bo + p * n + j
                        da?[ao + i * k + p] += g * b[bi]
                        db?[bi] += g * a[ao + i * k + p]
                    }
                }
            }
        }
    }
}
