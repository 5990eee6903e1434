import EdgewiseCore
import Foundation
import Testing
@testable import EdgewiseSignal

@Suite struct RealFFTTests {
    /// O(n²) DFT in Double: the oracle.
    static func naiveDFT(_ x: [Float]) -> (re: [Double], im: [Double]) {
        let n = x.count
        var re = [Double](repeating: 0, count: n / 2 + 1), im = re
        for k in 0...n / 2 {
            var sr = 0.0, si = 0.0
            for j in 0..<n {
                let a = -2 * Double.pi * Double((j * k) % n) / Double(n)
                sr += Double(x[j]) * cos(a)
                si += Double(x[j]) * sin(a)
            }
            re[k] = sr; im[k] = si
        }
        return (re, im)
    }

    @Test(arguments: [4, 8, 16, 32, 64, 256, 1024])
    func matchesNaiveDFTOnRandomInput(size: Int) {
        var fft = RealFFT(size: size)
        var rng = SeededGenerator(seed: UInt64(size))
        for trial in 0..<3 {
            let x = rng.uniform(count: size)
            let (re, im) = fft.forward(x)
            let ref = Self.naiveDFT(x)
            var worst = 0.0
            for k in 0...size / 2 {
                worst = max(worst, abs(Double(re[k]) - ref.re[k]), abs(Double(im[k]) - ref.im[k]))
            }
            // Float error grows like sqrt(n)·log2(n)·eps·rms; |X| ~ sqrt(n/3) for uniform input.
            let bound = 1e-5 * Double(size).squareRoot() * log2(Double(size))
            #expect(worst < bound, "size \(size) trial \(trial): max error \(worst) ≥ \(bound)")
        }
    }

    @Test func pureToneLandsInItsBin() {
        let n = 1024
        var fft = RealFFT(size: n)
        let x = (0..<n).map { Float(cos(2 * Double.pi * 37 * Double($0) / Double(n))) }
        var (re, im) = fft.forward(x)
        #expect(abs(re[37] - Float(n / 2)) < 1e-2)
        for k in 0...n / 2 where k != 37 { #expect(abs(re[k]) < 1e-2 && abs(im[k]) < 1e-2, "bin \(k)") }
        // Impulse at 1 → X[k] = e^{-2πik/n}.
        var d = [Float](repeating: 0, count: n); d[1] = 1
        (re, im) = fft.forward(d)
        for k in stride(from: 0, through: n / 2, by: 31) {
            #expect(abs(Double(re[k]) - cos(2 * Double.pi * Double(k) / Double(n))) < 1e-6)
            #expect(abs(Double(im[k]) + sin(2 * Double.pi * Double(k) / Double(n))) < 1e-6)
        }
    }
}
