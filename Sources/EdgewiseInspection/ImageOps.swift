import Foundation
import EdgewiseDevices

/// Resampling and smoothing on float planes; none of them allocate.
public enum ImageOps {
    /// Bilinear resize of an 8-bit image into a `width`×`height` float plane (pixel-centre aligned).
    public static func resizeBilinear(_ img: GreyImage, into dst: UnsafeMutablePointer<Float>, width: Int, height: Int) {
        img.pixels.withUnsafeBufferPointer { src in
            let sw = img.width, sh = img.height
            let sx = Float(sw) / Float(width), sy = Float(sh) / Float(height)
            for y in 0..<height {
                let fy = max(0, min(Float(sh - 1), (Float(y) + 0.5) * sy - 0.5))
                let y0 = Int(fy), y1 = min(y0 + 1, sh - 1), wy = fy - Float(y0)
                for x in 0..<width {
                    let fx = max(0, min(Float(sw - 1), (Float(x) + 0.5) * sx - 0.5))
                    let x0 = Int(fx), x1 = min(x0 + 1, sw - 1), wx = fx - Float(x0)
                    let a = Float(src[y0 * sw + x0]), b = Float(src[y0 * sw + x1])
                    let c = Float(src[y1 * sw + x0]), d = Float(src[y1 * sw + x1])
                    dst[y * width + x] = (a * (1 - wx) + b * wx) * (1 - wy) + (c * (1 - wx) + d * wx) * wy
                }
            }
        }
    }

    /// Bilinear resize of a float plane.
    public static func resizeBilinear(_ src: UnsafePointer<Float>, width sw: Int, height sh: Int,
                                      into dst: UnsafeMutablePointer<Float>, width: Int, height: Int) {
        let sx = Float(sw) / Float(width), sy = Float(sh) / Float(height)
        for y in 0..<height {
            let fy = max(0, min(Float(sh - 1), (Float(y) + 0.5) * sy - 0.5))
            let y0 = Int(fy), y1 = min(y0 + 1, sh - 1), wy = fy - Float(y0)
            for x in 0..<width {
                let fx = max(0, min(Float(sw - 1), (Float(x) + 0.5) * sx - 0.5))
                let x0 = Int(fx), x1 = min(x0 + 1, sw - 1), wx = fx - Float(x0)
                dst[y * width + x] = (src[y0 * sw + x0] * (1 - wx) + src[y0 * sw + x1] * wx) * (1 - wy)
                    + (src[y1 * sw + x0] * (1 - wx) + src[y1 * sw + x1] * wx) * wy
            }
        }
    }

    /// Gaussian weights for `sigma` (radius 3σ) into `kernel`; returns the radius.
    public static func gaussianKernel(sigma: Float, into kernel: UnsafeMutablePointer<Float>, capacity: Int) -> Int {
        let r = max(0, min(Int((3 * sigma).rounded(.up)), (capacity - 1) / 2))
        var s: Float = 0
        for i in -r...r {
            let w = sigma > 0 ? expf(-Float(i * i) / (2 * sigma * sigma)) : (i == 0 ? 1 : 0)
            kernel[i + r] = w; s += w
        }
        for i in 0...(2 * r) { kernel[i] /= s }
        return r
    }

    /// Separable blur of a `width`×`height` plane in place, using `scratch` (same size); borders clamp.
    public static func blur(_ p: UnsafeMutablePointer<Float>, width: Int, height: Int, kernel: UnsafePointer<Float>, radius r: Int,
                            scratch: UnsafeMutablePointer<Float>) {
        guard r > 0 else { return }
        for y in 0..<height {
            for x in 0..<width {
                var s: Float = 0
                for k in -r...r { s += kernel[k + r] * p[y * width + min(max(x + k, 0), width - 1)] }
                scratch[y * width + x] = s
            }
        }
        for y in 0..<height {
            for x in 0..<width {
                var s: Float = 0
                for k in -r...r { s += kernel[k + r] * scratch[min(max(y + k, 0), height - 1) * width + x] }
                p[y * width + x] = s
            }
        }
    }
}
