import EdgewiseCore
import EdgewiseDevices
import Foundation

/// Builds an `InspectionModel` from good parts only (PatchCore enrolment).
public enum Enrollment {
    public struct Options: Sendable {
        /// Side of the square the frames are resized to (multiple of 16).
        public var inputSize = 192
        /// Memory-bank sizes after greedy coreset subsampling.
        public var coarseBankSize = 1500
        public var fineBankSize = 6000
        /// Patches sampled (uniformly at random over all train images) as coreset candidates.
        public var candidateLimit = 60_000
        /// The share of held-out good parts the threshold may reject.
        public var falseRejectRate: Float = 0.05
        /// Map smoothing σ in input pixels.
        public var sigma: Float = 4
        /// Border cells (fine grid) left out of maps and scores.
        public var margin = 0
        /// The fixed early-exit rule (fractions of the coarse threshold).
        public var exitLow: Float = 0.75
        public var exitHigh: Float = 2.5
        public var seed: UInt64 = 7
        public init() {}
    }

    /// `progress(stage, fraction)`: stages are "features", "coreset", "threshold".
    public static func enroll(train: [GreyImage], holdout: [GreyImage], options: Options = Options(),
                              progress: (String, Double) -> Void = { _, _ in }) throws -> InspectionModel {
        precondition(!train.isEmpty && !holdout.isEmpty, "enrolment needs train and held-out good images")
        let ex = TextureFeatureExtractor(inputSize: options.inputSize)
        let cg = ex.coarseGrid * ex.coarseGrid, fg = ex.fineGrid * ex.fineGrid
        let cd = ex.coarseDims, fd = ex.fineDims
        var rng = SeededGenerator(seed: options.seed)
        let perImageFine = max(1, min(fg, options.candidateLimit / train.count))
        let perImageCoarse = max(1, min(cg, options.candidateLimit / train.count))
        var fineCand: [Float] = [], coarseCand: [Float] = []
        fineCand.reserveCapacity(perImageFine * train.count * fd)
        coarseCand.reserveCapacity(perImageCoarse * train.count * cd)
        var cSum = [Double](repeating: 0, count: cd), cSq = cSum, fSum = [Double](repeating: 0, count: fd), fSq = fSum
        let cbuf = UnsafeMutablePointer<Float>.allocate(capacity: cg * cd)
        let fbuf = UnsafeMutablePointer<Float>.allocate(capacity: fg * fd)
        defer { cbuf.deallocate(); fbuf.deallocate() }
        for (n, img) in train.enumerated() {
            ex.load(img)
            ex.coarseFeatures(into: cbuf)
            ex.fineFeatures(into: fbuf)
            for i in 0..<(cg * cd) { let v = Double(cbuf[i]); cSum[i % cd] += v; cSq[i % cd] += v * v }
            for i in 0..<(fg * fd) { let v = Double(fbuf[i]); fSum[i % fd] += v; fSq[i % fd] += v * v }
            for _ in 0..<perImageCoarse {
                let p = Int(rng.next() % UInt64(cg))
                coarseCand.append(contentsOf: UnsafeBufferPointer(start: cbuf + p * cd, count: cd))
            }
            for _ in 0..<perImageFine {
                let p = Int(rng.next() % UInt64(fg))
                fineCand.append(contentsOf: UnsafeBufferPointer(start: fbuf + p * fd, count: fd))
            }
            progress("features", Double(n + 1) / Double(train.count))
        }
        func moments(_ sum: [Double], _ sq: [Double], _ count: Int) -> ([Float], [Float]) {
            let mean = sum.map { $0 / Double(count) }
            let inv = zip(sq, mean).map { Float(1 / max((($0 / Double(count)) - $1 * $1).squareRoot(), 1e-3)) }
            return (mean.map(Float.init), inv)
        }
        let (cMean, cInv) = moments(cSum, cSq, cg * train.count)
        let (fMean, fInv) = moments(fSum, fSq, fg * train.count)
        for i in 0..<coarseCand.count { coarseCand[i] = (coarseCand[i] - cMean[i % cd]) * cInv[i % cd] }
        for i in 0..<fineCand.count { fineCand[i] = (fineCand[i] - fMean[i % fd]) * fInv[i % fd] }
        let coarseBank = MemoryBank.coreset(coarseCand, dims: cd, target: options.coarseBankSize, seed: options.seed &+ 1) {
            progress("coreset", 0.2 * $0)
        }
        let fineBank = MemoryBank.coreset(fineCand, dims: fd, target: options.fineBankSize, seed: options.seed &+ 2) {
            progress("coreset", 0.2 + 0.8 * $0)
        }
        let header = InspectionModel.Header(
            extractor: ex.identifier, inputSize: options.inputSize, coarseDims: cd, fineDims: fd,
            coarseBankCount: coarseBank.count, fineBankCount: fineBank.count, coarseThreshold: 1, fineThreshold: 1,
            exitLow: options.exitLow, exitHigh: options.exitHigh, sigma: options.sigma, margin: options.margin,
            falseRejectRate: options.falseRejectRate, trainImages: train.count, holdoutImages: holdout.count)
        var model = InspectionModel(header: header, coarseMean: cMean, coarseInvStd: cInv, fineMean: fMean, fineInvStd: fInv,
                                    coarseBank: coarseBank, fineBank: fineBank)
        try calibrate(&model, holdout: holdout, falseRejectRate: options.falseRejectRate) { progress("threshold", $0) }
        return model
    }

    /// Sets both exits' thresholds to the (1 − rate) quantile of the held-out good parts' raw scores.
    public static func calibrate(_ model: inout InspectionModel, holdout: [GreyImage], falseRejectRate: Float,
                                 progress: (Double) -> Void = { _ in }) throws {
        model.header.coarseThreshold = 1
        model.header.fineThreshold = 1
        let inspector = try Inspector(model: model)
        var coarse: [Float] = [], fine: [Float] = []
        for (i, img) in holdout.enumerated() {
            let r = inspector.inspect(img, mode: .fine)
            coarse.append(r.coarseRaw)
            fine.append(r.fineRaw)
            progress(Double(i + 1) / Double(holdout.count))
        }
        model.header.coarseThreshold = max(quantile(coarse, 1 - falseRejectRate), 1e-6)
        model.header.fineThreshold = max(quantile(fine, 1 - falseRejectRate), 1e-6)
        model.header.falseRejectRate = falseRejectRate
        model.header.holdoutImages = holdout.count
    }

    /// Linear-interpolated quantile q ∈ [0, 1]; values just above the top sample for q = 1.
    public static func quantile(_ values: [Float], _ q: Float) -> Float {
        let v = values.sorted()
        guard !v.isEmpty else { return 0 }
        let pos = Float(v.count - 1) * min(max(q, 0), 1)
        let i = Int(pos), f = pos - Float(i)
        let base = i + 1 < v.count ? v[i] * (1 - f) + v[i + 1] * f : v[i]
        // A threshold exactly on a sample would reject it (score ≥ threshold): nudge up.
        return base.nextUp
    }
}
