import EdgewiseCore
import Foundation

/// The backward pass of ``Operator/Dense`` (its forward and reference kernel: `Sources/EdgewiseCore/Operators/Dense.swift`).
extension BackwardKernels {
    /// Dense backward: x `[M, In]`, weights `[In, Out]`, dz `[M, Out]`.
    public static func denseBackward(x: UnsafeBufferPointer<Float>, weights w: UnsafeBufferPointer<Float>, _ ws: Shape,
                                     dz: UnsafeBufferPointer<Float>,
                                     dx: UnsafeMutableBufferPointer<Float>?, dw: UnsafeMutableBufferPointer<Float>?,
                                     db: UnsafeMutableBufferPointer<Float>?) {
        let k = ws[0], n = ws[1], m = x.count / k
        for i in 0..<m {
            for j in 0..<n {
                let g = dz[i * n + j]
                if let db { db[j] += g }
                for p in 0..<k {
                    dw?[p * n + j] += x[i * k + p] * g
                    dx?[i * k + p] += w[p * n + j] * g
                }
            }
        }
    }
}
