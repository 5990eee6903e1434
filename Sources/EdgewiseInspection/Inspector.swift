import EdgewiseDevices

/// A defect region: bounding box in the frame's pixel coordinates and the peak score inside it
/// (score ≥ 1 means at or above the threshold).
public struct Region: Sendable, Equatable, Codable {
    public var x: Int
    public var y: Int
    public var width: Int
    public var height: Int
    public var score: Float
    public var area: Int
}

/// The outcome for one frame.
public struct InspectionResult: Sendable, Equatable {
    public enum Verdict: String, Sendable, Codable { case good, defect }
    public enum Exit: String, Sendable, Codable, CaseIterable { case coarse, fine }
    /// Image score as a multiple of the exit's threshold: ≥ 1 is a defect.
    public var score: Float
    public var verdict: Verdict
    public var exit: Exit
    /// Raw coarse score (always computed) and raw fine score (NaN when the frame exited early).
    public var coarseRaw: Float
    public var fineRaw: Float
    /// Number of entries of `Inspector.regions` that belong to this frame.
    public var regionCount: Int
    /// Operations spent on this frame (features + nearest-neighbour MACs).
    public var operations: Int
}

/// Runs an enrolled model on frames. All buffers are allocated once here; `inspect` allocates
/// nothing in the steady state (tested with the malloc counter).
///
/// Pipeline: resize to S×S and normalise → coarse features (stride 8) → nearest-neighbour distance
/// to the coarse bank per patch → grid map smoothed (σ/8) → coarse score = its max. Unless the mode
/// is `.coarse`, or the adaptive rule finds the frame clear (coarse score below `exitLow` or above
/// `exitHigh` times the coarse threshold), the fine stage runs the same on the stride-4 grid with
/// two-depth features. The anomaly map of the exit taken is upsampled to S×S; regions are the
/// 4-connected components of map ≥ threshold, boxes scaled to the frame.
public final class Inspector {
    public enum Mode: String, Sendable, CaseIterable, Codable {
        /// The fixed early-exit rule (until the adaptive policy module lands).
        case adaptive
        /// Always stop after the coarse stage.
        case coarse
        /// Always run both stages.
        case fine
    }

    public let model: InspectionModel
    public let extractor: PatchFeatureExtractor
    public let maxRegions = 16
    /// Regions of the last frame (`result.regionCount` of them, strongest first).
    public private(set) var regions: [Region]

    private let s: Int
    private let coarseFeat, fineFeat, coarseDist, fineDist, scratch: UnsafeMutablePointer<Float>
    /// The anomaly map of the last frame, S×S, in multiples of the threshold.
    public let map: UnsafeMutablePointer<Float>
    private let mapScratch: UnsafeMutablePointer<Float>
    private let kernel: UnsafeMutablePointer<Float>
    private let labels: UnsafeMutablePointer<Int32>
    private let parent: UnsafeMutablePointer<Int32>
    private let stats: UnsafeMutablePointer<Float>   // per label: minx, miny, maxx, maxy, peak, area
    private var lastExit = InspectionResult.Exit.coarse

    public init(model: InspectionModel, extractor: PatchFeatureExtractor? = nil) throws {
        let ex = extractor ?? TextureFeatureExtractor(inputSize: model.header.inputSize)
        guard ex.identifier == model.header.extractor, ex.inputSize == model.header.inputSize,
              ex.coarseDims == model.header.coarseDims, ex.fineDims == model.header.fineDims else {
            throw InspectionError.malformedModel(file: "<model>", reason: "made with extractor \(model.header.extractor) at \(model.header.inputSize), not \(ex.identifier) at \(ex.inputSize)")
        }
        self.model = model
        self.extractor = ex
        s = ex.inputSize
        let cp = ex.coarseGrid * ex.coarseGrid, fp = ex.fineGrid * ex.fineGrid
        coarseFeat = .allocate(capacity: cp * ex.coarseDims)
        fineFeat = .allocate(capacity: fp * ex.fineDims)
        coarseDist = .allocate(capacity: cp)
        fineDist = .allocate(capacity: fp)
        scratch = .allocate(capacity: MemoryBank.scratchCount(queries: max(cp, fp)))
        map = .allocate(capacity: s * s)
        mapScratch = .allocate(capacity: s * s)
        kernel = .allocate(capacity: 64)
        labels = .allocate(capacity: s * s)
        parent = .allocate(capacity: s * s / 2 + 2)
        stats = .allocate(capacity: (s * s / 2 + 2) * 6)
        regions = []
        regions.reserveCapacity(maxRegions)
    }

    deinit {
        for p in [coarseFeat, fineFeat, coarseDist, fineDist, scratch, map, mapScratch, kernel, stats] { p.deallocate() }
        labels.deallocate(); parent.deallocate()
    }

    /// Operations of the coarse stage alone and of both stages.
    public var coarseOperations: Int {
        let cp = extractor.coarseGrid * extractor.coarseGrid
        return extractor.coarseOperations + cp * model.coarseBank.count * model.coarseBank.dims
    }
    public var fullOperations: Int {
        let fp = extractor.fineGrid * extractor.fineGrid
        return coarseOperations + extractor.fineOperations + fp * model.fineBank.count * model.fineBank.dims
    }

    private func normalise(_ f: UnsafeMutablePointer<Float>, count: Int, mean: [Float], invStd: [Float]) {
        let d = mean.count
        mean.withUnsafeBufferPointer { m in
            invStd.withUnsafeBufferPointer { v in
                for i in 0..<count {
                    let row = f + i * d
                    for k in 0..<d { row[k] = (row[k] - m[k]) * v[k] }
                }
            }
        }
    }

    /// Zeroes `m` cells along each edge of a g×g grid.
    private func clearMargin(_ grid: UnsafeMutablePointer<Float>, side g: Int, margin m: Int) {
        guard m > 0 else { return }
        for y in 0..<g {
            for x in 0..<g where y < m || x < m || y >= g - m || x >= g - m { grid[y * g + x] = 0 }
        }
    }

    /// Smooths a grid of distances in place (σ in grid cells) and returns its maximum.
    private func smoothMax(_ grid: UnsafeMutablePointer<Float>, side g: Int, sigma: Float) -> Float {
        let r = ImageOps.gaussianKernel(sigma: sigma, into: kernel, capacity: 64)
        ImageOps.blur(grid, width: g, height: g, kernel: kernel, radius: r, scratch: mapScratch)
        var m: Float = 0
        for i in 0..<(g * g) { m = max(m, grid[i]) }
        return m
    }

    /// Coarse stage only: the raw coarse score (the frame must have been `load`ed by `inspect`).
    private func coarseStage() -> Float {
        let g = extractor.coarseGrid
        extractor.coarseFeatures(into: coarseFeat)
        normalise(coarseFeat, count: g * g, mean: model.coarseMean, invStd: model.coarseInvStd)
        model.coarseBank.nearest(coarseFeat, count: g * g, distances: coarseDist, scratch: scratch)
        clearMargin(coarseDist, side: g, margin: (model.header.margin + 1) / 2)
        return smoothMax(coarseDist, side: g, sigma: model.header.sigma / 8)
    }

    private func fineStage() -> Float {
        let g = extractor.fineGrid
        extractor.fineFeatures(into: fineFeat)
        normalise(fineFeat, count: g * g, mean: model.fineMean, invStd: model.fineInvStd)
        model.fineBank.nearest(fineFeat, count: g * g, distances: fineDist, scratch: scratch)
        clearMargin(fineDist, side: g, margin: model.header.margin)
        return smoothMax(fineDist, side: g, sigma: model.header.sigma / 4)
    }

    /// Inspects one frame. Regions are in `regions[0..<result.regionCount]`, the map in `map`.
    public func inspect(_ image: GreyImage, mode: Mode = .adaptive) -> InspectionResult {
        let h = model.header
        extractor.load(image)
        let coarseRaw = coarseStage()
        let coarseRatio = coarseRaw / h.coarseThreshold
        var goDeep: Bool
        switch mode {
        case .coarse: goDeep = false
        case .fine: goDeep = true
        case .adaptive: goDeep = coarseRatio >= h.exitLow && coarseRatio <= h.exitHigh
        }
        var fineRaw = Float.nan
        var score = coarseRatio
        var ops = coarseOperations
        if goDeep {
            fineRaw = fineStage()
            score = fineRaw / h.fineThreshold
            ops = fullOperations
            ImageOps.resizeBilinear(fineDist, width: extractor.fineGrid, height: extractor.fineGrid, into: map, width: s, height: s)
            let inv = 1 / h.fineThreshold
            for i in 0..<(s * s) { map[i] *= inv }
        } else {
            ImageOps.resizeBilinear(coarseDist, width: extractor.coarseGrid, height: extractor.coarseGrid, into: map, width: s, height: s)
            let inv = 1 / h.coarseThreshold
            for i in 0..<(s * s) { map[i] *= inv }
        }
        let verdict: InspectionResult.Verdict = score >= 1 ? .defect : .good
        regions.removeAll(keepingCapacity: true)
        if verdict == .defect { findRegions(frameWidth: image.width, frameHeight: image.height) }
        return InspectionResult(score: score, verdict: verdict, exit: goDeep ? .fine : .coarse, coarseRaw: coarseRaw,
                                fineRaw: fineRaw, regionCount: regions.count, operations: ops)
    }

    /// The fine stage's normalised patch features (`fineGrid² × fineDims`) and smoothed nearest-
    /// neighbour distances (`fineGrid²`) of the last frame inspected in `.fine` mode.
    public func withFinePatches<T>(_ body: (UnsafePointer<Float>, UnsafePointer<Float>, Int, Int) throws -> T) rethrows -> T {
        try body(fineFeat, fineDist, extractor.fineGrid, extractor.fineDims)
    }

    /// Connected components (4-connected, union-find) of `map ≥ 1`, strongest `maxRegions` kept.
    private func findRegions(frameWidth: Int, frameHeight: Int) {
        var next: Int32 = 1
        parent[0] = 0
        func find(_ a: Int32) -> Int32 {
            var a = a
            while parent[Int(a)] != a { parent[Int(a)] = parent[Int(parent[Int(a)])]; a = parent[Int(a)] }
            return a
        }
        let limit = Int32(s * s / 2)
        for y in 0..<s {
            for x in 0..<s {
                let i = y * s + x
                guard map[i] >= 1 else { labels[i] = 0; continue }
                let up = y > 0 ? labels[i - s] : 0, left = x > 0 ? labels[i - 1] : 0
                if up == 0 && left == 0 {
                    if next >= limit { labels[i] = find(next - 1); continue }
                    parent[Int(next)] = next
                    labels[i] = next
                    next += 1
                } else if up != 0 && left != 0 {
                    let a = find(up), b = find(left)
                    if a != b { parent[Int(max(a, b))] = min(a, b) }
                    labels[i] = min(a, b)
                } else {
                    labels[i] = up != 0 ? up : left
                }
            }
        }
        for l in 1..<Int(next) {
            let st = stats + l * 6
            st[0] = .greatestFiniteMagnitude; st[1] = .greatestFiniteMagnitude; st[2] = -1; st[3] = -1; st[4] = 0; st[5] = 0
        }
        for y in 0..<s {
            for x in 0..<s {
                let i = y * s + x
                guard labels[i] != 0 else { continue }
                let st = stats + Int(find(labels[i])) * 6
                st[0] = min(st[0], Float(x)); st[1] = min(st[1], Float(y))
                st[2] = max(st[2], Float(x)); st[3] = max(st[3], Float(y))
                st[4] = max(st[4], map[i]); st[5] += 1
            }
        }
        let sx = Float(frameWidth) / Float(s), sy = Float(frameHeight) / Float(s)
        for l in 1..<Int(next) where find(Int32(l)) == Int32(l) {
            let st = stats + l * 6
            guard st[5] > 0 else { continue }
            let x0 = Int(st[0] * sx), y0 = Int(st[1] * sy)
            let x1 = min(frameWidth, Int(((st[2] + 1) * sx).rounded(.up))), y1 = min(frameHeight, Int(((st[3] + 1) * sy).rounded(.up)))
            let r = Region(x: x0, y: y0, width: max(1, x1 - x0), height: max(1, y1 - y0), score: st[4], area: Int(st[5] * sx * sy))
            if regions.count < maxRegions {
                regions.append(r)
            } else if let weakest = regions.indices.min(by: { regions[$0].score < regions[$1].score }), regions[weakest].score < r.score {
                regions[weakest] = r
            }
        }
        // Insertion sort, strongest first (at most `maxRegions` entries; no allocation).
        if regions.count > 1 {
            for i in 1..<regions.count {
                var j = i
                while j > 0 && regions[j - 1].score < regions[j].score { regions.swapAt(j - 1, j); j -= 1 }
            }
        }
    }
}
