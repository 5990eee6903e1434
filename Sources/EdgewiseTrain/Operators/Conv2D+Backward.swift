import EdgewiseCore
import Foundation

/// The backward pass of ``Operator/Conv2D`` (its forward and reference kernel: `Sources/EdgewiseCore/Operators/Conv2D.swift`).
extension BackwardKernels {
    /// Convolution backward: x `[N,H,W,Cin]`, weights `[KH,KW,Cin,Cout]`, dz `[N,OH,OW,Cout]`.
    public static func conv2dBackward(x: UnsafeBufferPointer<Float>, _ xs: Shape,
                                      weights w: UnsafeBufferPointer<Float>, _ ws: Shape,
                                      dz: UnsafeBufferPointer<Float>, _ ys: Shape, _ a: ConvAttributes,
                                      dx: UnsafeMutableBufferPointer<Float>?, dw: UnsafeMutableBufferPointer<Float>?,
                                      db: UnsafeMutableBufferPointer<Float>?) {
        let (n, h, wd, cin) = xs.nhwc
        let (_, oh, ow, cout) = ys.nhwc
        let kh = ws[0], kw = ws[1]
        for b in 0..<n {
            for oy in 0..<oh {
                for ox in 0..<ow {
                    for co in 0..<cout {
                        let g = dz[((b * oh + oy) * ow + ox) * cout + co]
                        if let db { db[co] += g }
                        for ky in 0..<kh {
                            let iy = oy * a.stride.h - a.padding.top + ky * a.dilation.h
                            if iy < 0 || iy >= h { continue }
                            for kx in 0..<kw {
                                let ix = ox * a.stride.w - a.padding.left + kx * a.dilation.w
                                if ix < 0 || ix >= wd { continue }
                                let xBase = ((b * h + iy) * wd + ix) * cin
                                let wBase = (ky * kw + kx) * cin * cout + co
                                for ci in 0..<cin {
                                    dw?[wBase + ci * cout] += x[xBase + ci] * g
                                    dx?[xBase + ci] += w[wBase + ci * cout] * g
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}
