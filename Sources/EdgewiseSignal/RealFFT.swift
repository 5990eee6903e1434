import Foundation

/// A forward FFT of real input, for one power-of-two size chosen at init.
///
/// The size-`n` real transform runs as a size-`n/2` complex radix-2 transform on the even/odd samples packed as
/// real/imaginary parts, followed by one split pass. All tables (bit reversal, per-stage twiddles, split twiddles)
/// and the scratch are built once in `init`; `forward` allocates nothing. Output is the non-redundant half
/// spectrum, bins `0...n/2` (`n/2 + 1` values each for the real and imaginary parts), unnormalised:
/// `X[k] = Σ_j x[j]·e^{-2πi·jk/n}`.
public struct RealFFT: Sendable {
    /// Transform size `n` (a power of two, at least 4).
    public let size: Int
    /// Number of output bins, `size/2 + 1`.
    public var binCount: Int { size / 2 + 1 }

    private let half: Int
    /// `bitReverse[m]`: the index whose bits are `m`'s reversed (over log2(half) bits).
    private let bitReverse: [Int32]
    /// Twiddles of the complex stages: the butterflies of span `h` use `stageRe/Im[h + k] = e^{-iπk/h}`, `k < h`.
    private let stageRe: [Float]
    private let stageIm: [Float]
    /// Split-pass twiddles `cos(2πk/n)`, `sin(2πk/n)` for `k ≤ n/4`.
    private let splitCos: [Float]
    private let splitSin: [Float]
    private var workRe: [Float]
    private var workIm: [Float]

    /// Builds the tables for size `size` (a power of two, ≥ 4).
    public init(size: Int) {
        precondition(size >= 4 && size & (size - 1) == 0, "RealFFT size must be a power of two ≥ 4, got \(size)")
        self.size = size
        half = size / 2
        let bits = half.trailingZeroBitCount
        bitReverse = (0..<half).map { m in
            var r = 0
            for b in 0..<bits where m & (1 << b) != 0 { r |= 1 << (bits - 1 - b) }
            return Int32(r)
        }
        var sre = [Float](repeating: 0, count: max(half, 2))
        var sim = [Float](repeating: 0, count: max(half, 2))
        var h = 1
        while h < half {
            for k in 0..<h {
                let a = -Double.pi * Double(k) / Double(h)
                sre[h + k] = Float(cos(a))
                sim[h + k] = Float(sin(a))
            }
            h *= 2
        }
        stageRe = sre
        stageIm = sim
        let quarter = size / 4
        splitCos = (0...quarter).map { Float(cos(2 * Double.pi * Double($0) / Double(size))) }
        splitSin = (0...quarter).map { Float(sin(2 * Double.pi * Double($0) / Double(size))) }
        workRe = [Float](repeating: 0, count: half)
        workIm = [Float](repeating: 0, count: half)
    }

    /// Transforms `size` real samples at `input`; writes `binCount` values to `real` and `imaginary`.
    @_optimize(speed)
    public mutating func forward(_ input: UnsafePointer<Float>,
                                 real: UnsafeMutablePointer<Float>, imaginary: UnsafeMutablePointer<Float>) {
        let half = self.half
        bitReverse.withUnsafeBufferPointer { rev in
        stageRe.withUnsafeBufferPointer { twr in
        stageIm.withUnsafeBufferPointer { twi in
        splitCos.withUnsafeBufferPointer { sc in
        splitSin.withUnsafeBufferPointer { ss in
        workRe.withUnsafeMutableBufferPointer { wrb in
        workIm.withUnsafeMutableBufferPointer { wib in
            let zr = wrb.baseAddress!, zi = wib.baseAddress!
            // Pack z[m] = x[2m] + i·x[2m+1] in bit-reversed order.
            for m in 0..<half {
                let s = Int(rev[m]) &* 2
                zr[m] = input[s]
                zi[m] = input[s &+ 1]
            }
            Self.complexStages(zr, zi, count: half, twr.baseAddress!, twi.baseAddress!)
            // Split: X[k] = E[k] + W^k·O[k], X[H-k] = conj(E[k] - W^k·O[k]), W = e^{-2πi/n}.
            real[0] = zr[0] + zi[0]; imaginary[0] = 0
            real[half] = zr[0] - zi[0]; imaginary[half] = 0
            var k = 1
            while k <= half / 2 {
                let j = half &- k
                let er = 0.5 * (zr[k] + zr[j]), ei = 0.5 * (zi[k] - zi[j])
                let or = 0.5 * (zi[k] + zi[j]), oi = 0.5 * (zr[j] - zr[k])
                let c = sc[k], s = ss[k]
                let tr = c * or + s * oi, ti = c * oi - s * or
                real[k] = er + tr; imaginary[k] = ei + ti
                real[j] = er - tr; imaginary[j] = ti - ei
                k &+= 1
            }
        }}}}}}}
    }

    /// Allocating convenience: the half spectrum of `input` (`input.count == size`).
    public mutating func forward(_ input: [Float]) -> (real: [Float], imaginary: [Float]) {
        precondition(input.count == size, "RealFFT.forward: expected \(size) samples, got \(input.count)")
        var re = [Float](repeating: 0, count: binCount), im = re
        input.withUnsafeBufferPointer { x in
            re.withUnsafeMutableBufferPointer { r in
                im.withUnsafeMutableBufferPointer { i in forward(x.baseAddress!, real: r.baseAddress!, imaginary: i.baseAddress!) }
            }
        }
        return (re, im)
    }

    /// In-place radix-2 decimation-in-time stages on bit-reversed split-complex data (`count` ≥ 2).
    /// Plain scalar loops: LLVM vectorises them in release, and `@_optimize(speed)` keeps debug builds usable
    /// (explicit `SIMD4` ran 100× slower than release in debug, for a 10 % gain in release).
    @_optimize(speed)
    private static func complexStages(_ re: UnsafeMutablePointer<Float>, _ im: UnsafeMutablePointer<Float>, count n: Int,
                                      _ twr: UnsafePointer<Float>, _ twi: UnsafePointer<Float>) {
        var h: Int
        if n >= 4 {
            // Spans 1 and 2 fused (twiddles 1 and -i): one radix-4 butterfly per group of four.
            var g = 0
            while g < n {
                let a0r = re[g], a0i = im[g], a1r = re[g + 1], a1i = im[g + 1]
                let a2r = re[g + 2], a2i = im[g + 2], a3r = re[g + 3], a3i = im[g + 3]
                let s01r = a0r + a1r, s01i = a0i + a1i, d01r = a0r - a1r, d01i = a0i - a1i
                let s23r = a2r + a3r, s23i = a2i + a3i, d23r = a2r - a3r, d23i = a2i - a3i
                re[g] = s01r + s23r; im[g] = s01i + s23i
                re[g + 2] = s01r - s23r; im[g + 2] = s01i - s23i
                re[g + 1] = d01r + d23i; im[g + 1] = d01i - d23r
                re[g + 3] = d01r - d23i; im[g + 3] = d01i + d23r
                g &+= 4
            }
            h = 4
        } else {
            let r0 = re[0], i0 = im[0]
            re[0] = r0 + re[1]; im[0] = i0 + im[1]
            re[1] = r0 - re[1]; im[1] = i0 - im[1]
            h = 2
        }
        while h < n {
            let wr = twr + h, wi = twi + h
            var j = 0
            while j < n {
                let ar = re + j, ai = im + j, br = re + j + h, bi = im + j + h
                for k in 0..<h {
                    let xr = br[k], xi = bi[k], cr = wr[k], ci = wi[k]
                    let tr = xr * cr - xi * ci
                    let ti = xr * ci + xi * cr
                    let ur = ar[k], ui = ai[k]
                    br[k] = ur - tr; bi[k] = ui - ti
                    ar[k] = ur + tr; ai[k] = ui + ti
                }
                j &+= 2 &* h
            }
            h &*= 2
        }
    }
}
