import EdgewiseCore
import Testing

/// TFLite's requantisation arithmetic on hand-checked values (ties, saturation, shifts).
@Suite("int8 fixed-point arithmetic")
struct FixedPointTests {
    @Test("QuantizeMultiplier: Q0.31 multiplier in [2^30, 2^31) and power-of-two shift")
    func quantizeMultiplier() {
        #expect(FixedPoint.quantizeMultiplier(0.5) == (1 << 30, 0))
        #expect(FixedPoint.quantizeMultiplier(1.0) == (1 << 30, 1))
        #expect(FixedPoint.quantizeMultiplier(0.75) == (3 << 29, 0))
        #expect(FixedPoint.quantizeMultiplier(0.0) == (0, 0))
        #expect(FixedPoint.quantizeMultiplier(1e-12) == (0, 0))          // below 2^-31: flushed to zero
        let (m, s) = FixedPoint.quantizeMultiplier(0.0123)
        #expect(m >= 1 << 30 && s == -6)
        #expect(abs(Double(m) * pow2(s - 31) - 0.0123) < 1e-11)
    }

    @Test("RoundingDivideByPOT rounds ties away from zero")
    func roundingDivide() {
        #expect(FixedPoint.roundingDivideByPOT(5, 1) == 3)
        #expect(FixedPoint.roundingDivideByPOT(-5, 1) == -3)
        #expect(FixedPoint.roundingDivideByPOT(-6, 2) == -2)   // -1.5 → -2
        #expect(FixedPoint.roundingDivideByPOT(6, 2) == 2)     // 1.5 → 2
        #expect(FixedPoint.roundingDivideByPOT(7, 0) == 7)
    }

    @Test("SaturatingRoundingDoublingHighMul saturates min·min and rounds ties up (toward +∞)")
    func highMul() {
        #expect(FixedPoint.saturatingRoundingDoublingHighMul(Int32.min, Int32.min) == Int32.max)
        #expect(FixedPoint.saturatingRoundingDoublingHighMul(1 << 30, 1 << 30) == 1 << 29)
        #expect(FixedPoint.saturatingRoundingDoublingHighMul(1, 1 << 30) == 1)     // 0.5 → 1
        #expect(FixedPoint.saturatingRoundingDoublingHighMul(-1, 1 << 30) == 0)    // -0.5 → 0 (gemmlowp's nudge 1 − 2^30)
        #expect(FixedPoint.saturatingRoundingDoublingHighMul(-3, 1 << 30) == -1)   // -1.5 → -1
    }

    @Test("double rounding differs from single rounding where TFLite's two builds differ")
    func doubleRounding() {
        // x = 3, m = 0.625 in Q0.31, shift -1: 3·0.625/2 = 0.9375 → 1 either way.
        #expect(FixedPoint.multiplyByQuantizedMultiplier(3, (1 << 30) + (1 << 28), -1) == 1)
        // A tie after the high multiply: 5·2^30/2^31 = 2.5 → 3 (away from zero), then /2 = 1.5 → 2.
        // Exact value 5·0.5/2 = 1.25, which single rounding makes 1: the two builds differ here.
        #expect(FixedPoint.multiplyByQuantizedMultiplier(5, 1 << 30, -1) == 2)
        // Negative: -2.5 → -2 in the high multiply, then -2/2 = -1 exactly (single rounding: -1.25 → -1).
        #expect(FixedPoint.multiplyByQuantizedMultiplier(-5, 1 << 30, -1) == -1)
        // Left shifts are applied before the high multiply.
        #expect(FixedPoint.multiplyByQuantizedMultiplier(3, 1 << 30, 2) == 6)
    }

    func pow2(_ e: Int) -> Double { e >= 0 ? Double(1 << e) : 1 / Double(Int64(1) << -e) }
}
