import EdgewiseCore
import EdgewiseDevices
import Foundation

/// The second, separately reported mode: a per-patch logistic regression trained on labelled defects
/// (the train split's defect images and masks, plus its good parts) over the fine patch features,
/// their squares and the good-only nearest-neighbour distance. It needs labelled defects, so it is an
/// evaluation mode; the good-only `enroll` path stays the product path for new parts.
public struct SupervisedRefinement: Sendable {
    public var weights: [Float]
    public let dims: Int

    /// Expanded input: features, squared features, distance / fine threshold, 1.
    static func expand(_ f: UnsafePointer<Float>, dims: Int, distance: Float, into x: inout [Float]) {
        for k in 0..<dims { x[k] = f[k]; x[dims + k] = f[k] * f[k] * 0.5 }
        x[2 * dims] = distance
        x[2 * dims + 1] = 1
    }

    /// Patch labels: a fine cell is a defect when at least 25 % of its mask pixels are ≥ 128.
    static func cellLabels(_ mask: GreyImage, grid g: Int) -> [Float] {
        var out = [Float](repeating: 0, count: g * g)
        for cy in 0..<g {
            for cx in 0..<g {
                let x0 = cx * mask.width / g, x1 = max(x0 + 1, (cx + 1) * mask.width / g)
                let y0 = cy * mask.height / g, y1 = max(y0 + 1, (cy + 1) * mask.height / g)
                var n = 0, d = 0
                for y in y0..<min(y1, mask.height) { for x in x0..<min(x1, mask.width) { n += 1; if mask[x, y] >= 128 { d += 1 } } }
                out[cy * g + cx] = n > 0 && Double(d) / Double(n) >= 0.25 ? 1 : 0
            }
        }
        return out
    }

    /// Trains on (image, mask) pairs; `mask` nil means a good part. Balanced by class weights.
    public static func train(inspector: Inspector, samples: [(GreyImage, GreyImage?)], seed: UInt64 = 3,
                             iterations: Int = 400, progress: (Double) -> Void = { _ in }) -> SupervisedRefinement {
        var rng = SeededGenerator(seed: seed)
        let thr = inspector.model.header.fineThreshold
        var xs: [[Float]] = [], ys: [Float] = []
        var dims = 0
        for (i, (img, mask)) in samples.enumerated() {
            _ = inspector.inspect(img, mode: .fine)
            inspector.withFinePatches { f, d, g, fd in
                dims = fd
                let labels = mask.map { cellLabels($0, grid: g) } ?? [Float](repeating: 0, count: g * g)
                var x = [Float](repeating: 0, count: 2 * fd + 2)
                for p in 0..<(g * g) {
                    let take = labels[p] > 0 || rng.next() % UInt64(mask == nil ? 80 : 40) == 0
                    guard take else { continue }
                    expand(f + p * fd, dims: fd, distance: d[p] / thr, into: &x)
                    xs.append(x); ys.append(labels[p])
                }
            }
            progress(0.5 * Double(i + 1) / Double(samples.count))
        }
        let n = xs.count, m = 2 * dims + 2
        let pos = Float(ys.filter { $0 > 0 }.count), neg = Float(n) - pos
        let wPos = pos > 0 ? Float(n) / (2 * pos) : 1, wNeg = neg > 0 ? Float(n) / (2 * neg) : 1
        var w = [Float](repeating: 0, count: m)
        var mom = w, vel = w
        let lr: Float = 0.05, b1: Float = 0.9, b2: Float = 0.999, l2: Float = 1e-4
        for it in 0..<iterations {
            var grad = [Float](repeating: 0, count: m)
            for i in 0..<n {
                var z: Float = 0
                for k in 0..<m { z += w[k] * xs[i][k] }
                let p = 1 / (1 + expf(-z))
                let e = (p - ys[i]) * (ys[i] > 0 ? wPos : wNeg)
                for k in 0..<m { grad[k] += e * xs[i][k] }
            }
            for k in 0..<m {
                let g = grad[k] / Float(n) + l2 * w[k]
                mom[k] = b1 * mom[k] + (1 - b1) * g
                vel[k] = b2 * vel[k] + (1 - b2) * g * g
                let mh = mom[k] / (1 - powf(b1, Float(it + 1))), vh = vel[k] / (1 - powf(b2, Float(it + 1)))
                w[k] -= lr * mh / (vh.squareRoot() + 1e-8)
            }
            progress(0.5 + 0.5 * Double(it + 1) / Double(iterations))
        }
        return SupervisedRefinement(weights: w, dims: dims)
    }

    /// Per-patch logits of the last `.fine` inspection, smoothed like the good-only map, into `out`
    /// (`fineGrid²`); returns the image score (their maximum).
    public func score(inspector: Inspector, into out: inout [Float]) -> Float {
        let thr = inspector.model.header.fineThreshold
        return inspector.withFinePatches { f, d, g, fd in
            var x = [Float](repeating: 0, count: 2 * fd + 2)
            if out.count != g * g { out = [Float](repeating: 0, count: g * g) }
            for p in 0..<(g * g) {
                SupervisedRefinement.expand(f + p * fd, dims: fd, distance: d[p] / thr, into: &x)
                var z: Float = 0
                for k in 0..<x.count { z += weights[k] * x[k] }
                out[p] = z
            }
            var tmp = [Float](repeating: 0, count: g * g)
            var kernel = [Float](repeating: 0, count: 64)
            let sigma = inspector.model.header.sigma / 4
            return out.withUnsafeMutableBufferPointer { o in
                tmp.withUnsafeMutableBufferPointer { t in
                    kernel.withUnsafeMutableBufferPointer { k in
                        let r = ImageOps.gaussianKernel(sigma: sigma, into: k.baseAddress!, capacity: 64)
                        ImageOps.blur(o.baseAddress!, width: g, height: g, kernel: k.baseAddress!, radius: r, scratch: t.baseAddress!)
                        var mx = -Float.greatestFiniteMagnitude
                        for i in 0..<(g * g) { mx = max(mx, o[i]) }
                        return mx
                    }
                }
            }
        }
    }
}

/// Figures of the supervised mode on one split.
public struct SupervisedReport: Codable, Sendable {
    public var split: String
    public var trainImages: Int
    public var trainDefectImages: Int
    public var imageAUROC: Double
    public var imageAUROCInterval: [Double]
    public var pixelAUROC: Double
    public var classImageAUROC: [String: Double]
    public var classPixelAUROC: [String: Double]
    public var falseRejectRate: Double
    public var escapeRate: Double
}

extension Evaluation {
    /// Trains the supervised refinement on the train split (good parts and labelled defects), sets its
    /// threshold on the val split's good parts at the model's false-reject rate, and evaluates `split`.
    public static func runSupervised(model: InspectionModel, directory: String, entries: [SplitEntry], split: String,
                                     progress: (String, Double) -> Void = { _, _ in }) throws -> SupervisedReport {
        let inspector = try Inspector(model: model)
        var train: [(GreyImage, GreyImage?)] = []
        let trainEntries = entries.filter { $0.split == "train" }
        for (i, e) in trainEntries.enumerated() {
            let img = try ImageFile.read(directory + "/" + e.file)
            if e.isGood { train.append((img, nil)) } else if !e.mask.isEmpty {
                let mask = try ImageFile.read(directory + "/" + e.mask)
                if mask.pixels.contains(where: { $0 >= 128 }) { train.append((img, mask)) }
            }
            progress("decode", Double(i + 1) / Double(trainEntries.count))
        }
        let refinement = SupervisedRefinement.train(inspector: inspector, samples: train) { progress("train", $0) }
        var grid: [Float] = []
        func score(_ img: GreyImage) -> Float {
            _ = inspector.inspect(img, mode: .fine)
            return refinement.score(inspector: inspector, into: &grid)
        }
        var valScores: [Float] = []
        for e in entries where e.split == "val" && e.isGood { valScores.append(score(try ImageFile.read(directory + "/" + e.file))) }
        let threshold = Enrollment.quantile(valScores, 1 - model.header.falseRejectRate)
        var samples: [Sample] = []
        var goodPixels = ROC.PixelAccumulator(), classPixels: [String: ROC.PixelAccumulator] = [:]
        let chosen = entries.filter { $0.split == split }
        var full: [Float] = []
        for (i, e) in chosen.enumerated() {
            let img = try ImageFile.read(directory + "/" + e.file)
            var sm = Sample(entry: e)
            sm.fine = score(img)
            samples.append(sm)
            let mask = e.mask.isEmpty ? GreyImage(width: img.width, height: img.height) : try ImageFile.read(directory + "/" + e.mask)
            if mask.width == img.width && mask.height == img.height {
                let g = Int(Double(grid.count).squareRoot())
                let probs = grid.map { 8 / (1 + expf(-$0)) }
                if full.count < img.width * img.height { full = [Float](repeating: 0, count: img.width * img.height) }
                probs.withUnsafeBufferPointer { p in
                    full.withUnsafeMutableBufferPointer {
                        ImageOps.resizeBilinear(p.baseAddress!, width: g, height: g, into: $0.baseAddress!, width: img.width, height: img.height)
                    }
                }
                var acc = ROC.PixelAccumulator()
                for k in 0..<(img.width * img.height) { acc.add(full[k], defect: mask.pixels[k] >= 128) }
                if e.isGood { goodPixels.merge(acc) } else { classPixels[e.label, default: ROC.PixelAccumulator()].merge(acc) }
            }
            progress("evaluate", Double(i + 1) / Double(chosen.count))
        }
        let good = samples.filter { $0.entry.isGood }, bad = samples.filter { !$0.entry.isGood }
        var all = goodPixels
        var classImage: [String: Double] = [:], classPixel: [String: Double] = [:]
        for l in Set(bad.map(\.entry.label)) {
            classImage[l] = ROC.auroc(positives: bad.filter { $0.entry.label == l }.map(\.fine), negatives: good.map(\.fine))
            var acc = goodPixels
            if let p = classPixels[l] { acc.merge(p); all.merge(p) }
            classPixel[l] = acc.auroc
        }
        return SupervisedReport(
            split: split, trainImages: train.count, trainDefectImages: train.filter { $0.1 != nil }.count,
            imageAUROC: ROC.auroc(positives: bad.map(\.fine), negatives: good.map(\.fine)),
            imageAUROCInterval: bootstrap(samples, reps: 1000, seed: 11), pixelAUROC: all.auroc,
            classImageAUROC: classImage, classPixelAUROC: classPixel,
            falseRejectRate: good.isEmpty ? .nan : Double(good.filter { $0.fine >= threshold }.count) / Double(good.count),
            escapeRate: bad.isEmpty ? .nan : Double(bad.filter { $0.fine < threshold }.count) / Double(bad.count))
    }
}
