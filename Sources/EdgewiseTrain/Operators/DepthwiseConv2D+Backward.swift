import EdgewiseCore
import Foundation

/// The backward pass of ``Operator/DepthwiseConv2D`` (its forward and reference kernel: `Sources/EdgewiseCore/Operators/DepthwiseConv2D.swift`).
extension BackwardKernels {
    /// Depthwise convolution backward: x `[N,H,W,C]`, weights `[KH,KW,C·M]`, dz `[N,OH,OW,C·M]`.
    public static func depthwiseConv2dBackward(x: UnsafeBufferPointer<Float>, _ xs: Shape,
                                               weights w: UnsafeBufferPointer<Float>, _ ws: Shape,
                                               dz: UnsafeBufferPointer<Float>, _ ys: Shape, _ a: ConvAttributes,
                                               dx: UnsafeMutableBufferPointer<Float>?, dw: UnsafeMutableBufferPointer<Float>?,
                                               db: UnsafeMutableBufferPointer<Float>?) {
        let (n, h, wd, cin) = xs.nhwc
        let (_, oh, ow, cout) = ys.nhwc
        let kh = ws[0], kw = ws[1], m = a.depthMultiplier
        for b in 0..<n {
            for oy in 0..<oh {
                for ox in 0..<ow {
                    for co in 0..<cout {
                        let g = dz[((b * oh + oy) * ow + ox) * cout + co]
                        if let db { db[co] += g }
                        let ci = co / m
                        for ky in 0..<kh {
                            let iy = oy * a.stride.h - a.padding.top + ky * a.dilation.h
                            if iy < 0 || iy >= h { continue }
                            for kx in 0..<kw {
                                let ix = ox * a.stride.w - a.padding.left + kx * a.dilation.w
                                if ix < 0 || ix >= wd { continue }
                                let xi = ((b * h + iy) * wd + ix) * cin + ci, wi = (ky * kw + kx) * cout + co
                                dw?[wi] += x[xi] * g
                                dx?[xi] += w[wi] * g
                            }
                        }
                    }
                }
            }
        }
    }
}
