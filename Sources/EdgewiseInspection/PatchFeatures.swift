import EdgewiseDevices

/// The seam between the anomaly model and its backbone: anything that turns a grey image into patch
/// features at two depths. `coarse` features (stride 8) are cheap and drive the early exit; `fine`
/// features (stride 4) include the coarse ones, upsampled, as PatchCore concatenates two depths.
/// Implementations keep their own buffers: `load` and the feature calls allocate nothing.
/// A truncated MobileNetV2 (int8, once int8 kernels land) would conform by running its graph in an
/// `Executor` and copying the stride-8 / stride-16 activations out.
public protocol PatchFeatureExtractor: AnyObject {
    /// A name stored in the model file; loading checks it matches.
    var identifier: String { get }
    /// Side of the square the image is resized to.
    var inputSize: Int { get }
    var coarseGrid: Int { get }
    var coarseDims: Int { get }
    var fineGrid: Int { get }
    var fineDims: Int { get }
    /// Multiply-accumulates (or comparable operations) of each stage, for the MAC accounting.
    var coarseOperations: Int { get }
    var fineOperations: Int { get }
    /// Resizes and normalises the image into the extractor's input buffer.
    func load(_ image: GreyImage)
    /// Writes `coarseGrid² × coarseDims` features, row-major patches.
    func coarseFeatures(into out: UnsafeMutablePointer<Float>)
    /// Writes `fineGrid² × fineDims` features; call after `coarseFeatures`.
    func fineFeatures(into out: UnsafeMutablePointer<Float>)
}

/// Hand-designed multi-scale texture features for grey ground surfaces (why not a CNN yet: the
/// suggested MobileNetV2 int8 backbone cannot run until the int8 kernels land, and ImageNet colour
/// features fit grey tiles poorly; these need no training, run in well under a millisecond per
/// stage, and suit dark pits, thin lines and brightness changes on a textured background).
///
/// The image is resized to `inputSize`² (bilinear) and normalised to zero mean and unit variance
/// (illumination set-ups differ by image). Per cell (4×4 pixels of the full image for the fine stage,
/// 4×4 of the 2×-averaged image for the coarse stage) seven statistics: mean, standard deviation,
/// minimum, maximum, mean |∂x|, mean |∂y|, and the cell mean minus its 3×3-cell neighbourhood mean
/// (local contrast, a blob detector); then the same seven averaged over the 3×3 cells around
/// (PatchCore's local aggregation). Coarse: 14 dims on an (S/8)² grid; fine: its own 14 plus the
/// coarse 14 of the enclosing coarse cell, 28 dims on an (S/4)² grid.
public final class TextureFeatureExtractor: PatchFeatureExtractor {
    public let identifier = "texture-v1"
    public let inputSize: Int
    public let coarseGrid: Int
    public let fineGrid: Int
    public let coarseDims = 14
    public let fineDims = 28
    private static let stats = 7

    private let image: UnsafeMutablePointer<Float>
    private let half: UnsafeMutablePointer<Float>
    private let cellsFine: UnsafeMutablePointer<Float>
    private let cellsCoarse: UnsafeMutablePointer<Float>
    private let coarseOut: UnsafeMutablePointer<Float>

    /// `inputSize` must be a multiple of 16.
    public init(inputSize: Int = 192) {
        precondition(inputSize >= 32 && inputSize % 16 == 0, "inputSize must be a multiple of 16, at least 32")
        self.inputSize = inputSize
        coarseGrid = inputSize / 8
        fineGrid = inputSize / 4
        image = .allocate(capacity: inputSize * inputSize)
        half = .allocate(capacity: inputSize * inputSize / 4)
        cellsFine = .allocate(capacity: fineGrid * fineGrid * Self.stats)
        cellsCoarse = .allocate(capacity: coarseGrid * coarseGrid * Self.stats)
        coarseOut = .allocate(capacity: coarseGrid * coarseGrid * 14)
    }

    deinit {
        image.deallocate(); half.deallocate(); cellsFine.deallocate(); cellsCoarse.deallocate(); coarseOut.deallocate()
    }

    public var coarseOperations: Int { inputSize * inputSize / 4 * 12 + coarseGrid * coarseGrid * 14 * 9 }
    public var fineOperations: Int { inputSize * inputSize * 12 + fineGrid * fineGrid * 14 * 9 }

    public func load(_ img: GreyImage) {
        let s = inputSize
        ImageOps.resizeBilinear(img, into: image, width: s, height: s)
        var sum: Double = 0, sq: Double = 0
        for i in 0..<(s * s) { let v = Double(image[i]); sum += v; sq += v * v }
        let mean = sum / Double(s * s)
        let std = max((sq / Double(s * s) - mean * mean).squareRoot(), 1)
        let m = Float(mean), inv = Float(1 / std)
        for i in 0..<(s * s) { image[i] = (image[i] - m) * inv }
        let h = s / 2
        for y in 0..<h {
            for x in 0..<h {
                let a = image + 2 * y * s + 2 * x
                half[y * h + x] = 0.25 * (a[0] + a[1] + a[s] + a[s + 1])
            }
        }
    }

    /// Seven statistics per 4×4 cell of `src` (side `n`), into `cells` (grid `n/4`).
    private func cellStatistics(_ src: UnsafeMutablePointer<Float>, side n: Int, into cells: UnsafeMutablePointer<Float>) {
        let g = n / 4
        for cy in 0..<g {
            for cx in 0..<g {
                var sum: Float = 0, sq: Float = 0, mn = Float.greatestFiniteMagnitude, mx = -Float.greatestFiniteMagnitude
                var adx: Float = 0, ady: Float = 0
                for dy in 0..<4 {
                    let y = cy * 4 + dy
                    let row = src + y * n
                    let up = src + max(y - 1, 0) * n, down = src + min(y + 1, n - 1) * n
                    for dx in 0..<4 {
                        let x = cx * 4 + dx
                        let v = row[x]
                        sum += v; sq += v * v
                        mn = min(mn, v); mx = max(mx, v)
                        adx += abs(row[min(x + 1, n - 1)] - row[max(x - 1, 0)])
                        ady += abs(down[x] - up[x])
                    }
                }
                let mean = sum / 16
                let c = cells + (cy * g + cx) * Self.stats
                c[0] = mean
                c[1] = max(sq / 16 - mean * mean, 0).squareRoot()
                c[2] = mn; c[3] = mx
                c[4] = adx / 32; c[5] = ady / 32
            }
        }
        // Local contrast: cell mean minus the mean of its 3×3 neighbourhood (clamped at the border).
        for cy in 0..<g {
            for cx in 0..<g {
                var s: Float = 0, k: Float = 0
                for yy in max(cy - 1, 0)...min(cy + 1, g - 1) {
                    for xx in max(cx - 1, 0)...min(cx + 1, g - 1) { s += cells[(yy * g + xx) * Self.stats]; k += 1 }
                }
                cells[(cy * g + cx) * Self.stats + 6] = cells[(cy * g + cx) * Self.stats] - s / k
            }
        }
    }

    /// Cell statistics and their 3×3 average: 14 values per cell, written with stride `stride`.
    private func aggregate(_ cells: UnsafeMutablePointer<Float>, grid g: Int, into out: UnsafeMutablePointer<Float>, stride: Int) {
        let n = Self.stats
        for cy in 0..<g {
            for cx in 0..<g {
                let o = out + (cy * g + cx) * stride
                let c = cells + (cy * g + cx) * n
                for k in 0..<n { o[k] = c[k]; o[n + k] = 0 }
                var count: Float = 0
                for yy in max(cy - 1, 0)...min(cy + 1, g - 1) {
                    for xx in max(cx - 1, 0)...min(cx + 1, g - 1) {
                        let q = cells + (yy * g + xx) * n
                        for k in 0..<n { o[n + k] += q[k] }
                        count += 1
                    }
                }
                let inv = 1 / count
                for k in 0..<n { o[n + k] *= inv }
            }
        }
    }

    public func coarseFeatures(into out: UnsafeMutablePointer<Float>) {
        cellStatistics(half, side: inputSize / 2, into: cellsCoarse)
        aggregate(cellsCoarse, grid: coarseGrid, into: coarseOut, stride: 14)
        out.update(from: coarseOut, count: coarseGrid * coarseGrid * 14)
    }

    public func fineFeatures(into out: UnsafeMutablePointer<Float>) {
        cellStatistics(image, side: inputSize, into: cellsFine)
        aggregate(cellsFine, grid: fineGrid, into: out, stride: 28)
        for fy in 0..<fineGrid {
            for fx in 0..<fineGrid {
                let src = coarseOut + ((fy / 2) * coarseGrid + fx / 2) * 14
                (out + (fy * fineGrid + fx) * 28 + 14).update(from: src, count: 14)
            }
        }
    }
}
