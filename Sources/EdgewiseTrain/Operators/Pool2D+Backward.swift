import EdgewiseCore
import Foundation

/// The backward pass of ``Operator/Pool2D`` (its forward and reference kernel: `Sources/EdgewiseCore/Operators/Pool2D.swift`).
extension BackwardKernels {
    /// Max or average pooling backward (max routes to the first maximum in scan order).
    public static func pool2dBackward(x: UnsafeBufferPointer<Float>, _ xs: Shape, _ a: PoolAttributes, max isMax: Bool,
                                      dy: UnsafeBufferPointer<Float>, _ ys: Shape, dx: UnsafeMutableBufferPointer<Float>) {
        let (n, h, w, c) = xs.nhwc
        let (_, oh, ow, _) = ys.nhwc
        for b in 0..<n {
            for oy in 0..<oh {
                for ox in 0..<ow {
                    for ch in 0..<c {
                        let g = dy[((b * oh + oy) * ow + ox) * c + ch]
                        var best = -Float.infinity, bestIndex = -1, count = 0
                        for ky in 0..<a.window.h {
                            let iy = oy * a.stride.h - a.padding.top + ky
                            if iy < 0 || iy >= h { continue }
                            for kx in 0..<a.window.w {
                                let ix = ox * a.stride.w - a.padding.left + kx
                                if ix < 0 || ix >= w { continue }
                                let i = ((b * h + iy) * w + ix) * c + ch
                                if x[i] > best || bestIndex < 0 { best = x[i]; bestIndex = i }
                                count += 1
                            }
                        }
                        if isMax {
                            if bestIndex >= 0 { dx[bestIndex] += g }
                        } else if count > 0 {
                            let share = g / Float(count)
                            for ky in 0..<a.window.h {
                                let iy = oy * a.stride.h - a.padding.top + ky
                                if iy < 0 || iy >= h { continue }
                                for kx in 0..<a.window.w {
                                    let ix = ox * a.stride.w - a.padding.left + kx
                                    if ix < 0 || ix >= w { continue }
                                    dx[((b * h + iy) * w + ix) * c + ch] += share
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}

extension Operator.Pool2D: DifferentiableOperator {
    public func trainingForward(_ inputs: [UnsafeBufferPointer<Float>], _ shapes: [Shape],
                                into y: UnsafeMutableBufferPointer<Float>, _ ys: Shape) {
        ReferenceKernels.pool2d(inputs[0], shapes[0], attributes, max: isMax, into: y, ys)
    }

    public func backward(_ inputs: [UnsafeBufferPointer<Float>], _ shapes: [Shape], output y: UnsafeBufferPointer<Float>, _ ys: Shape,
                         dy: UnsafeBufferPointer<Float>, dx: [UnsafeMutableBufferPointer<Float>?]) {
        guard let dx = dx[0] else { return }
        BackwardKernels.pool2dBackward(x: inputs[0], shapes[0], attributes, max: isMax, dy: dy, ys, dx: dx)
    }
}
