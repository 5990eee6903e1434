import CMallocCounter
import EdgewiseCore
import EdgewiseDevices
import EdgewiseTesting
import Foundation
import Testing
import EdgewiseInspection

/// A small enrolled model on synthetic surfaces, shared by the tests (built once).
let smallModel: InspectionModel = {
    var o = Enrollment.Options()
    o.inputSize = 128
    o.coarseBankSize = 300
    o.fineBankSize = 1200
    o.candidateLimit = 12_000
    let train = (0..<20).map { SyntheticSurfaces.sample(defect: nil, seed: UInt64($0)).image }
    let holdout = (20..<30).map { SyntheticSurfaces.sample(defect: nil, seed: UInt64($0)).image }
    return try! Enrollment.enroll(train: train, holdout: holdout, options: o)
}()

/// The bounding box of a mask's defect pixels.
func maskBox(_ m: GreyImage) -> (Int, Int, Int, Int)? {
    var x0 = Int.max, y0 = Int.max, x1 = -1, y1 = -1
    for y in 0..<m.height { for x in 0..<m.width where m[x, y] >= 128 { x0 = min(x0, x); y0 = min(y0, y); x1 = max(x1, x); y1 = max(y1, y) } }
    return x1 < 0 ? nil : (x0, y0, x1, y1)
}

func overlaps(_ r: Region, _ b: (Int, Int, Int, Int)) -> Bool {
    r.x <= b.2 && r.x + r.width - 1 >= b.0 && r.y <= b.3 && r.y + r.height - 1 >= b.1
}

@Suite struct InspectionTests {
    @Test func defectsAreFoundWhereTheyAre() throws {
        let inspector = try Inspector(model: smallModel)
        for mode in Inspector.Mode.allCases {
            for (k, defect) in SyntheticSurfaces.Defect.allCases.enumerated() {
                for j in 0..<3 {
                    let s = SyntheticSurfaces.sample(defect: defect, seed: UInt64(500 + 10 * k + j))
                    let r = inspector.inspect(s.image, mode: mode)
                    #expect(r.verdict == .defect, "\(defect) \(j) \(mode): score \(r.score)")
                    #expect(r.regionCount >= 1)
                    if r.regionCount >= 1, let box = maskBox(s.mask) {
                        #expect(overlaps(inspector.regions[0], box), "\(defect) \(j) \(mode): \(inspector.regions[0]) vs \(box)")
                    }
                }
            }
        }
    }

    @Test func goodPartsPass() throws {
        let inspector = try Inspector(model: smallModel)
        var rejected = 0
        for j in 0..<12 {
            let r = inspector.inspect(SyntheticSurfaces.sample(defect: nil, seed: UInt64(900 + j)).image, mode: .fine)
            if r.verdict == .defect { rejected += 1 }
            #expect(r.score < 1.5, "good part \(j): score \(r.score)")
        }
        #expect(rejected <= 2)
    }

    @Test func earlyExitSkipsTheFineStageOnClearFrames() throws {
        let inspector = try Inspector(model: smallModel)
        let clear = inspector.inspect(SyntheticSurfaces.sample(defect: .blowhole, seed: 77).image, mode: .adaptive)
        #expect(clear.exit == .coarse)
        #expect(clear.fineRaw.isNaN)
        #expect(clear.operations == inspector.coarseOperations)
        #expect(inspector.coarseOperations * 2 < inspector.fullOperations)
        let forced = inspector.inspect(SyntheticSurfaces.sample(defect: .blowhole, seed: 77).image, mode: .fine)
        #expect(forced.exit == .fine && forced.operations == inspector.fullOperations)
    }

    @Test func zeroHeapAllocationsPerFrame() throws {
        let inspector = try Inspector(model: smallModel)
        let bad = SyntheticSurfaces.sample(width: 150, height: 110, defect: .crack, seed: 3).image
        let good = SyntheticSurfaces.sample(width: 150, height: 110, defect: nil, seed: 4).image
        for mode in Inspector.Mode.allCases {
            _ = inspector.inspect(bad, mode: mode)  // warm-up: the GEMM's per-thread packing buffers
            _ = inspector.inspect(good, mode: mode)
        }
        for mode in Inspector.Mode.allCases {
            ew_malloc_counter_start()
            let a = inspector.inspect(bad, mode: mode)
            let b = inspector.inspect(good, mode: mode)
            let mallocs = ew_malloc_counter_stop()
            #expect(mallocs == 0, "\(mode): \(mallocs) allocations for two frames")
            #expect(a.verdict == .defect && a.regionCount > 0)
            _ = b
        }
    }

    @Test func modelFileRoundTripsAndRejectsDamage() throws {
        let path = NSTemporaryDirectory() + "edgewise-\(UUID().uuidString).ewinsp"
        defer { try? FileManager.default.removeItem(atPath: path) }
        try smallModel.write(to: path)
        let back = try InspectionModel.read(from: path)
        #expect(back.header == smallModel.header)
        #expect(back.fineBank.vectors == smallModel.fineBank.vectors)
        let img = SyntheticSurfaces.sample(defect: .scratch, seed: 5).image
        #expect(try Inspector(model: back).inspect(img).score == Inspector(model: smallModel).inspect(img).score)
        var data = try Data(contentsOf: URL(fileURLWithPath: path))
        data.removeLast(4)
        try data.write(to: URL(fileURLWithPath: path))
        #expect(throws: InspectionError.self) { _ = try InspectionModel.read(from: path) }
        try Data("EWINSP01garbage".utf8).write(to: URL(fileURLWithPath: path))
        #expect(throws: InspectionError.self) { _ = try InspectionModel.read(from: path) }
    }

    @Test func nearestNeighbourMatchesBruteForce() {
        var g = SeededGenerator(seed: 9)
        let dims = 13, m = 700, n = 50
        let bankData = (0..<(m * dims)).map { _ in g.uniform() }
        let q = (0..<(n * dims)).map { _ in g.uniform() }
        let bank = MemoryBank(dims: dims, vectors: bankData)
        var out = [Float](repeating: 0, count: n)
        var scratch = [Float](repeating: 0, count: MemoryBank.scratchCount(queries: n))
        q.withUnsafeBufferPointer { qp in
            out.withUnsafeMutableBufferPointer { o in
                scratch.withUnsafeMutableBufferPointer { s in bank.nearest(qp.baseAddress!, count: n, distances: o.baseAddress!, scratch: s.baseAddress!) }
            }
        }
        for i in 0..<n {
            var best = Float.greatestFiniteMagnitude
            for j in 0..<m {
                var s: Float = 0
                for k in 0..<dims { let t = q[i * dims + k] - bankData[j * dims + k]; s += t * t }
                best = min(best, s)
            }
            #expect(abs(out[i] - best.squareRoot()) < 1e-3 * max(1, best.squareRoot()))
        }
    }

    @Test func supervisedRefinementRanksDefectsAboveGoodParts() throws {
        let inspector = try Inspector(model: smallModel)
        var train: [(GreyImage, GreyImage?)] = (0..<8).map { (SyntheticSurfaces.sample(defect: nil, seed: UInt64(300 + $0)).image, nil) }
        for (k, d) in SyntheticSurfaces.Defect.allCases.enumerated() {
            for j in 0..<4 {
                let s = SyntheticSurfaces.sample(defect: d, seed: UInt64(400 + 10 * k + j))
                train.append((s.image, s.mask))
            }
        }
        let refinement = SupervisedRefinement.train(inspector: inspector, samples: train, iterations: 150)
        var grid: [Float] = []
        func score(_ img: GreyImage) -> Float {
            _ = inspector.inspect(img, mode: .fine)
            return refinement.score(inspector: inspector, into: &grid)
        }
        let good = (0..<6).map { score(SyntheticSurfaces.sample(defect: nil, seed: UInt64(950 + $0)).image) }
        let bad = SyntheticSurfaces.Defect.allCases.flatMap { d in (0..<2).map { score(SyntheticSurfaces.sample(defect: d, seed: UInt64(970 + $0)).image) } }
        #expect(ROC.auroc(positives: bad, negatives: good) > 0.9)
    }

    @Test func aurocFigures() {
        #expect(ROC.auroc(positives: [3, 4, 5], negatives: [0, 1, 2]) == 1)
        #expect(ROC.auroc(positives: [0, 1], negatives: [2, 3]) == 0)
        #expect(ROC.auroc(positives: [1, 1], negatives: [1, 1]) == 0.5)
        #expect(abs(ROC.auroc(positives: [1, 3], negatives: [2, 0]) - 0.75) < 1e-12)
        var acc = ROC.PixelAccumulator(bins: 100, range: 4)
        for v: Float in [0.5, 1.5, 2.5] { acc.add(v, defect: true) }
        for v: Float in [0.1, 1.0, 3.9] { acc.add(v, defect: false) }
        #expect(abs(acc.auroc - ROC.auroc(positives: [0.5, 1.5, 2.5], negatives: [0.1, 1.0, 3.9])) < 1e-12)
    }

    /// End to end on the bundled demo data: enrol on Datasets/inspect/good, run the mixed stream.
    @Test func bundledDemoStream() throws {
        let root = SharedData.packageRoot.path + "/Datasets/inspect"
        let entries = try SplitEntry.read(directory: root)
        let train = try entries.filter { $0.split == "train" }.map { try ImageFile.read(root + "/" + $0.file) }
        let holdout = try entries.filter { $0.split == "val" }.map { try ImageFile.read(root + "/" + $0.file) }
        var o = Enrollment.Options()
        o.inputSize = 128
        o.fineBankSize = 2000
        o.candidateLimit = 20_000
        let model = try Enrollment.enroll(train: train, holdout: holdout, options: o)
        let (report, samples) = try Evaluation.run(model: model, directory: root, entries: entries, split: "test")
        #expect(report.images == 24 && report.defectImages == 12)
        #expect(report.imageAUROC["fine"]! > 0.95)
        #expect(report.pixelAUROC > 0.9)
        #expect(report.escapeRate == 0)
        #expect(samples.filter { $0.entry.isGood && $0.adaptive >= 1 }.count <= 3)
        // Every defective frame of the stream: verdict defect, strongest region on the masked defect.
        let inspector = try Inspector(model: model)
        for e in entries where e.split == "test" && !e.isGood {
            let img = try ImageFile.read(root + "/" + e.file), mask = try ImageFile.read(root + "/" + e.mask)
            let r = inspector.inspect(img)
            #expect(r.verdict == .defect, "\(e.file)")
            if r.regionCount > 0, let box = maskBox(mask) {
                #expect(overlaps(inspector.regions[0], box), "\(e.file): \(inspector.regions[0]) vs mask box \(box)")
            }
        }
    }
}

