import EdgewiseTesting
import CMallocCounter
import EdgewiseCore
import Foundation
import Testing
@testable import EdgewiseSignal

@Suite struct MFCCTests {
    @Test func kwsShapes() {
        let m = MFCC()
        #expect(m.fftLength == 1024)
        #expect(m.frameCount(sampleCount: 16000) == 49)
        #expect(m.featureCount(sampleCount: 16000) == 490)
        #expect(m.frameCount(sampleCount: 639) == 0)
        #expect(m.frameCount(sampleCount: 640) == 1)
        #expect(m.frameCount(sampleCount: 959) == 1)
        #expect(m.frameCount(sampleCount: 960) == 2)
    }

    /// All-zero input: every mel channel hits the 1e-12 floor, so c0 = √(2/40)·40·ln(1e-12) and the rest are 0.
    @Test func silenceIsTheFloor() {
        var m = MFCC()
        let f = m([Float](repeating: 0, count: 16000))
        let c0 = Float((2.0 / 40).squareRoot() * 40 * log(1e-12))
        for t in 0..<49 {
            #expect(abs(f[t * 10] - c0) < 1e-3)
            for k in 1..<10 { #expect(abs(f[t * 10 + k]) < 1e-3) }
        }
    }

    /// The DS-CNN reference: TF AudioSpectrogram + Mfcc ops on 11 clips.
    @Test(SharedData.needs("models/fixtures/kws_frontend/mfcc_tf_ops.npy"))
    func matchesTensorFlowReference() throws {
        let dir = try #require(Fixtures.kwsFrontend)
        let ref = try NPY.read(dir + "/mfcc_tf_ops.npy")
        let names = try String(contentsOfFile: dir + "/clip_order.txt", encoding: .utf8).split(whereSeparator: \.isWhitespace).map(String.init)
        #expect(ref.shape == [names.count, 490])
        #expect(names.count == 11)
        var mfcc = MFCC()
        var out16 = [Float](repeating: 0, count: 490), outF = out16
        var worst: Float = 0
        var report: [String] = []
        for (row, name) in names.enumerated() {
            let wav = try Fixtures.readWAV16(dir + "/wav/\(name).wav")
            #expect(wav.sampleRate == 16000 && wav.samples.count == 16000)
            mfcc.compute(pcm16: wav.samples, into: &out16)
            mfcc.compute(samples: wav.samples.map { Float($0) / 32768 }, into: &outF)
            let expected = ref.values[row * 490..<(row + 1) * 490]
            let d16 = zip(out16, expected).map { abs($0 - $1) }.max()!
            let dF = zip(outF, expected).map { abs($0 - $1) }.max()!
            #expect(out16 == outF, "\(name): Int16 and Float paths differ")
            worst = max(worst, d16, dF)
            report.append("\(name) \(d16)")
            #expect(d16 <= 1e-3, "\(name): max abs diff \(d16)")
        }
        print("MFCC vs TF ops, max abs diff per clip: \(report.joined(separator: ", ")); overall \(worst)")
    }

    @Test func computeAllocatesNothing() {
        var mfcc = MFCC()
        var rng = SeededGenerator(seed: 3)
        let x = rng.uniform(count: 16000, -0.5...0.5)
        let pcm = x.map { Int16($0 * 32767) }
        var out = [Float](repeating: 0, count: 490)
        mfcc.compute(samples: x, into: &out) // warm-up
        ew_malloc_counter_start()
        for _ in 0..<5 {
            mfcc.compute(samples: x, into: &out)
            mfcc.compute(pcm16: pcm, into: &out)
        }
        let n = ew_malloc_counter_stop()
        #expect(n == 0, "\(n) heap allocations in 10 MFCC computations")
        #expect(out.allSatisfy { $0.isFinite })
    }

    /// A 1 kHz tone must peak in the mel channel whose centre is nearest 1 kHz, i.e. the cepstrum is not garbage.
    @Test func toneEnergyFollowsFrequency() {
        var mfcc = MFCC()
        func c0(_ hz: Double, _ amp: Double) -> Float {
            let x = (0..<16000).map { Float(amp * sin(2 * Double.pi * hz * Double($0) / 16000)) }
            return mfcc(x)[10 * 20]
        }
        // Doubling amplitude adds ln(2) to every mel channel in the tone's reach, so c0 grows by 40·√(2/40)·ln2 at most.
        #expect(c0(1000, 0.5) > c0(1000, 0.25))
        // In band vs far out of band (7 kHz is above the 4 kHz filterbank edge).
        #expect(c0(1000, 0.5) > c0(7000, 0.5) + 50)
    }
}
