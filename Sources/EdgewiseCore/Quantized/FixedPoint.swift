import Foundation

/// TFLite's integer requantisation arithmetic, bit for bit as LiteRT 2.3's reference kernels compute it.
///
/// TFLite has two `MultiplyByQuantizedMultiplier`s (tflite/kernels/internal/common.cc): the default
/// "double rounding" one (gemmlowp's `SaturatingRoundingDoublingHighMul`, then a rounding right shift)
/// and, when built with `TFLITE_SINGLE_ROUNDING`, one 64-bit multiply with a single rounding. The
/// `ai-edge-litert` 2.3.0 pip wheel uses **double rounding**: `Scripts/litert-int8-fixtures.py
/// --rounding-check` recomputes every conv/depthwise/FC output of DS-CNN S/M/L from LiteRT's own
/// inputs, and double rounding reproduces 100 % of the elements while single rounding is off by 1 LSB
/// on 0.15–0.22 % of them. Everything here is the double-rounding variant.
public enum FixedPoint {
    /// gemmlowp `SaturatingRoundingDoublingHighMul` (NEON `vqrdmulh`): `a·b / 2³¹` rounded to nearest
    /// with ties toward +∞ (the nudge is 2³⁰ for a non-negative product and 1 − 2³⁰ for a negative one,
    /// then the division truncates), and `Int32.min · Int32.min` saturated to `Int32.max`.
    @inlinable
    public static func saturatingRoundingDoublingHighMul(_ a: Int32, _ b: Int32) -> Int32 {
        if a == b && a == Int32.min { return Int32.max }
        let ab = Int64(a) * Int64(b)
        let nudge: Int64 = ab >= 0 ? (1 << 30) : (1 - (1 << 30))
        // C++ `/` truncates toward zero, as Swift's does.
        return Int32(truncatingIfNeeded: (ab + nudge) / (Int64(1) << 31))
    }

    /// gemmlowp `RoundingDivideByPOT`: `x / 2^exponent` rounded to nearest, ties away from zero.
    @inlinable
    public static func roundingDivideByPOT(_ x: Int32, _ exponent: Int) -> Int32 {
        let mask = Int32(truncatingIfNeeded: (Int64(1) << exponent) - 1)
        let remainder = x & mask
        let threshold = (mask >> 1) &+ (x < 0 ? 1 : 0)
        return (x >> Int32(exponent)) &+ (remainder > threshold ? 1 : 0)
    }

    /// TFLite `MultiplyByQuantizedMultiplier` (double rounding): `x · multiplier · 2^(shift−31)`.
    /// `shift > 0` is a left shift applied before the high multiply (wrapping like the C++ on overflow).
    @inlinable
    public static func multiplyByQuantizedMultiplier(_ x: Int32, _ multiplier: Int32, _ shift: Int) -> Int32 {
        let left = shift > 0 ? shift : 0
        let right = shift > 0 ? 0 : -shift
        return roundingDivideByPOT(saturatingRoundingDoublingHighMul(x &* (Int32(1) << Int32(left)), multiplier), right)
    }

    /// TFLite `MultiplyByQuantizedMultiplierSmallerThanOneExp` (double rounding; `shift ≤ 0`).
    @inlinable
    public static func multiplyByQuantizedMultiplierSmallerThanOne(_ x: Int32, _ multiplier: Int32, _ shift: Int) -> Int32 {
        roundingDivideByPOT(saturatingRoundingDoublingHighMul(x, multiplier), -shift)
    }

    /// TFLite `MultiplyByQuantizedMultiplierGreaterThanOne` (double rounding; `shift ≥ 0`).
    @inlinable
    public static func multiplyByQuantizedMultiplierGreaterThanOne(_ x: Int32, _ multiplier: Int32, _ shift: Int) -> Int32 {
        saturatingRoundingDoublingHighMul(x &* (Int32(1) << Int32(shift)), multiplier)
    }

    /// TFLite `QuantizeMultiplier`: `real ≈ multiplier · 2^(shift−31)` with `multiplier` in
    /// `[2³⁰, 2³¹)` (Q0.31), rounded half away from zero; multipliers below 2⁻³¹ flush to zero.
    public static func quantizeMultiplier(_ real: Double) -> (multiplier: Int32, shift: Int) {
        if real == 0 || !real.isFinite { return (0, 0) }
        let (fraction, exponent) = frexp(real)
        var q = Int64((fraction * Double(Int64(1) << 31)).rounded(.toNearestOrAwayFromZero))
        var shift = exponent
        if q == Int64(1) << 31 { q /= 2; shift += 1 }
        if shift < -31 { return (0, 0) }
        return (Int32(q), shift)
    }

    /// Rounds half away from zero, as C++ `std::round` (TFLite's `TfLiteRound`) does.
    @inlinable
    public static func round(_ x: Float) -> Float { x.rounded(.toNearestOrAwayFromZero) }

    // MARK: gemmlowp fixed-point helpers used by the int8 softmax

    /// gemmlowp `RoundingHalfSum` on int32: `(a + b) / 2` rounded away from zero.
    @inlinable
    static func roundingHalfSum(_ a: Int32, _ b: Int32) -> Int32 {
        let sum = Int64(a) + Int64(b)
        let sign: Int64 = sum >= 0 ? 1 : -1
        return Int32(truncatingIfNeeded: (sum + sign) / 2)
    }

    /// gemmlowp `SaturatingRoundingMultiplyByPOT<exponent>` on a raw int32.
    @inlinable
    static func saturatingRoundingMultiplyByPOT(_ x: Int32, _ exponent: Int) -> Int32 {
        if exponent == 0 { return x }
        if exponent < 0 { return roundingDivideByPOT(x, -exponent) }
        let threshold = Int32((Int64(1) << (31 - exponent)) - 1)
        if x > threshold { return Int32.max }
        if x < -threshold { return Int32.min }
        return x &<< Int32(exponent)
    }

    /// gemmlowp `Rescale<dst>` of a value with `src` integer bits.
    @inlinable
    static func rescale(_ x: Int32, from src: Int, to dst: Int) -> Int32 {
        saturatingRoundingMultiplyByPOT(x, src - dst)
    }

    /// gemmlowp `exp_on_interval_between_negative_one_quarter_and_0_excl` (Q0.31 in and out).
    static func expOnIntervalBetweenNegativeOneQuarterAnd0Excl(_ a: Int32) -> Int32 {
        let mul = saturatingRoundingDoublingHighMul
        let constantTerm: Int32 = 1_895_147_668       // exp(-1/8)
        let constant1Over3: Int32 = 715_827_883        // 1/3
        let x = a &+ (Int32(1) << 28)                  // a + 1/8
        let x2 = mul(x, x)
        let x3 = mul(x2, x)
        let x4 = mul(x2, x2)
        let x4Over4 = saturatingRoundingMultiplyByPOT(x4, -2)
        let poly = saturatingRoundingMultiplyByPOT(mul(x4Over4 &+ x3, constant1Over3) &+ x2, -1)
        return constantTerm &+ mul(constantTerm, x &+ poly)
    }

    /// gemmlowp `exp_on_negative_values` for an input with `integerBits` integer bits; returns Q0.31.
    static func expOnNegativeValues(_ a: Int32, integerBits: Int) -> Int32 {
        let fractionalBits = 31 - integerBits
        let oneQuarter = Int32(1) << Int32(fractionalBits - 2)
        let mask = oneQuarter &- 1
        let aModQuarterMinusOneQuarter = (a & mask) &- oneQuarter
        var result = expOnIntervalBetweenNegativeOneQuarterAnd0Excl(rescale(aModQuarterMinusOneQuarter, from: integerBits, to: 0))
        let remainder = aModQuarterMinusOneQuarter &- a
        let barrel: [(exponent: Int, multiplier: Int32)] = [
            (-2, 1_672_461_947), (-1, 1_302_514_674), (0, 790_015_084), (1, 290_630_308),
            (2, 39_332_535), (3, 720_401), (4, 242),
        ]
        for (exponent, multiplier) in barrel where integerBits > exponent {
            let shiftAmount = fractionalBits + exponent
            if remainder & (Int32(1) << Int32(shiftAmount)) != 0 {
                result = saturatingRoundingDoublingHighMul(result, multiplier)
            }
        }
        if integerBits > 5 {
            let clamp = -(Int32(1) << Int32(36 - integerBits))   // -32 in this format
            if a < clamp { result = 0 }
        }
        if a == 0 { result = Int32.max }
        return result
    }

    /// gemmlowp `one_over_one_plus_x_for_x_in_0_1` (Q0.31 in and out), Newton–Raphson in Q2.29.
    static func oneOverOnePlusXForXIn0To1(_ a: Int32) -> Int32 {
        let mul = saturatingRoundingDoublingHighMul
        let halfDenominator = roundingHalfSum(a, Int32.max)
        let c48Over17: Int32 = 1_515_870_810
        let cNeg32Over17: Int32 = -1_010_580_540
        let oneQ2: Int32 = 1 << 29
        var x = c48Over17 &+ mul(halfDenominator, cNeg32Over17)        // Q0 · Q2 = Q2
        for _ in 0..<3 {
            let halfDenominatorTimesX = mul(halfDenominator, x)          // Q2
            let oneMinus = oneQ2 &- halfDenominatorTimesX                // Q2
            x = x &+ rescale(mul(x, oneMinus), from: 4, to: 2)           // Q2 · Q2 = Q4 → Q2
        }
        // ExactMulByPot<-1>: Q2 → Q1 (same raw), then Rescale<0> from 1 integer bit.
        return rescale(x, from: 1, to: 0)
    }

    /// TFLite `GetReciprocal`: 1/x for x with `integerDigits` integer bits, as a Q0.31 value and the
    /// number of bits over one (`num_bits_over_unit`).
    static func reciprocal(_ x: Int32, integerDigits: Int) -> (Int32, bitsOverUnit: Int) {
        let headroomPlusOne = UInt32(bitPattern: x).leadingZeroBitCount
        let bitsOverUnit = integerDigits - headroomPlusOne
        let shiftedSumMinusOne = Int32(bitPattern: (UInt32(bitPattern: x) &<< UInt32(headroomPlusOne)) &- (UInt32(1) << 31))
        return (oneOverOnePlusXForXIn0To1(shiftedSumMinusOne), bitsOverUnit)
    }
}
