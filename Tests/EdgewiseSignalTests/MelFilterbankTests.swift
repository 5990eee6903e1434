import Foundation
import Testing
@testable import EdgewiseSignal

@Suite struct MelFilterbankTests {
    static let fb = MelFilterbank(channelCount: 40, binCount: 513, sampleRate: 16000, lowerFrequency: 20, upperFrequency: 4000)

    @Test func melScaleAndBinRange() {
        #expect(abs(MelFilterbank.mel(700) - 1127 * log(2.0)) < 1e-9)
        #expect(MelFilterbank.mel(0) == 0)
        // hz per bin = 8000/512 = 15.625: first = Int(1.5 + 1.28) = 2, last = Int(256.0) = 256.
        #expect(Self.fb.firstBin == 2)
        #expect(Self.fb.lastBin == 256)
        #expect(Self.fb.centresMel.count == 41)
        #expect(abs(Self.fb.centresMel[40] - MelFilterbank.mel(4000)) < 1e-9)
        let steps = zip(Self.fb.centresMel.dropFirst(), Self.fb.centresMel).map { $0 - $1 }
        #expect(steps.allSatisfy { abs($0 - steps[0]) < 1e-9 && $0 > 0 })
    }

    /// Independent dense construction: channel c is the triangle (left, centre, right) in mel, evaluated at each used bin.
    @Test func equalsDenseTriangles() {
        let fb = Self.fb
        let melLow = MelFilterbank.mel(20)
        var worst: Float = 0
        for c in 0..<40 {
            let left = c == 0 ? melLow : fb.centresMel[c - 1], centre = fb.centresMel[c], right = fb.centresMel[c + 1]
            for bin in 0..<513 {
                var expected = 0.0
                if bin >= 2 && bin <= 256 {
                    let m = MelFilterbank.mel(Double(bin) * 15.625)
                    expected = max(0, min((m - left) / (centre - left), (right - m) / (right - centre)))
                }
                worst = max(worst, abs(fb.weight(channel: c, bin: bin) - Float(expected)))
            }
        }
        #expect(worst < 1e-6, "legacy filterbank deviates from dense triangles by \(worst)")
    }

    @Test func weightsPartitionAndCoverEveryChannel() {
        let fb = Self.fb
        for bin in 0..<513 {
            let total = (0..<40).reduce(Float(0)) { $0 + fb.weight(channel: $1, bin: bin) }
            let m = MelFilterbank.mel(Double(bin) * 15.625)
            if bin < 2 || bin > 256 {
                #expect(total == 0, "unused bin \(bin) has weight \(total)")
            } else if m >= fb.centresMel[0] && m <= fb.centresMel[39] {
                #expect(abs(total - 1) < 1e-6, "interior bin \(bin) sums to \(total)")
            } else {
                #expect(total >= 0 && total <= 1 + 1e-6)
            }
            for c in 0..<40 { #expect(fb.weight(channel: c, bin: bin) >= 0 && fb.weight(channel: c, bin: bin) <= 1) }
        }
        // TF's own design check: every channel gathers at least half a bin of weight.
        for c in 0..<40 {
            let sum = (0..<513).reduce(Float(0)) { $0 + fb.weight(channel: c, bin: $1) }
            #expect(sum >= 0.5, "channel \(c) weight sum \(sum)")
        }
    }

    @Test func applyMatchesWeightTable() {
        let fb = Self.fb
        let mags = (0..<513).map { Float(($0 * 7919) % 101) / 100 }
        var out = [Float](repeating: -1, count: 40)
        mags.withUnsafeBufferPointer { m in out.withUnsafeMutableBufferPointer { fb.apply(magnitudes: m.baseAddress!, into: $0.baseAddress!) } }
        for c in 0..<40 {
            let expected = (0..<513).reduce(0.0) { $0 + Double(fb.weight(channel: c, bin: $1)) * Double(mags[$1]) }
            #expect(abs(Double(out[c]) - expected) < 1e-4 * max(1, expected), "channel \(c)")
        }
    }
}
