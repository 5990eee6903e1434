import EdgewiseCore
import EdgewiseDevices
import Foundation

/// A generator of textured grey surfaces with defects, for the demo and the tests (the magnetic-tile
/// photographs carry no licence to redistribute, so `Datasets/inspect/` is made by this instead).
///
/// A surface is a ground part under uneven light: a base grey level (100–140) with a linear
/// illumination gradient, near-horizontal grinding marks (a smoothed 1-D random walk across rows,
/// slightly tilted, plus two faint sinusoids) and per-pixel grain. Defects are drawn on top:
/// - `crack`: a thin dark meandering line (random walk, 25–60 px, roughly along the grinding marks);
/// - `blowhole`: a dark elliptical pit (radii 3–7 px) with a soft rim;
/// - `scratch`: a straight bright line at a steep angle across the marks (30–70 px, 1–2 px wide).
/// The mask marks defect pixels 255, the rest 0. Everything is a pure function of the seed.
public enum SyntheticSurfaces {
    public enum Defect: String, CaseIterable, Sendable {
        case crack, blowhole, scratch
    }

    /// One generated image and its mask.
    public struct Sample: Sendable {
        public var image: GreyImage
        public var mask: GreyImage
        public var defect: Defect?
    }

    /// A good surface (defect `nil`) or one with a defect, `width`×`height` pixels.
    public static func sample(width: Int = 128, height: Int = 128, defect: Defect?, seed: UInt64) -> Sample {
        var rng = SeededGenerator(seed: seed &* 0x9E37_79B9 &+ 17)
        var field = [Float](repeating: 0, count: width * height)
        let base = rng.uniform(100...140)
        let gx = rng.uniform(-12...12) / Float(width), gy = rng.uniform(-12...12) / Float(height)
        let slope = rng.uniform(-0.08...0.08)
        // Grinding marks: a smoothed random walk indexed by the (tilted) row coordinate.
        let marksCount = height + width / 4 + 8
        var marks = [Float](repeating: 0, count: marksCount)
        var walk: Float = 0
        for i in 0..<marksCount {
            walk = 0.85 * walk + rng.uniform(-1...1)
            marks[i] = walk
        }
        let markGain = rng.uniform(2.5...5)
        let f1 = rng.uniform(0.3...0.7), p1 = rng.uniform(0...6.28), f2 = rng.uniform(0.05...0.15), p2 = rng.uniform(0...6.28)
        for y in 0..<height {
            for x in 0..<width {
                let t = Float(y) + slope * Float(x) + Float(width / 8) + 4
                let ti = max(0, min(marksCount - 2, Int(t)))
                let frac = t - Float(ti)
                let m = marks[ti] * (1 - frac) + marks[ti + 1] * frac
                let grain = (rng.uniform(-1...1) + rng.uniform(-1...1) + rng.uniform(-1...1)) * 2.2
                field[y * width + x] = base + gx * Float(x) + gy * Float(y)
                    + markGain * m + 1.5 * sin(f1 * t + p1) + 2 * sin(f2 * Float(x) + p2) + grain
            }
        }
        var mask = GreyImage(width: width, height: height)
        func mark(_ x: Int, _ y: Int, _ delta: Float) {
            guard x >= 0, y >= 0, x < width, y < height else { return }
            field[y * width + x] += delta
            mask[x, y] = 255
        }
        switch defect {
        case .crack:
            var x = rng.uniform(0.2...0.8) * Float(width), y = rng.uniform(0.2...0.8) * Float(height)
            var angle = rng.uniform(-0.5...0.5) + (rng.next() & 1 == 0 ? 0 : .pi)
            let length = Int(rng.uniform(25...60))
            let depth = rng.uniform(35...60)
            for _ in 0..<length {
                angle += rng.uniform(-0.35...0.35)
                x += cos(angle); y += sin(angle)
                let xi = Int(x.rounded()), yi = Int(y.rounded())
                if xi < 0 || yi < 0 || xi >= width || yi >= height { break }
                if mask[xi, yi] == 0 { mark(xi, yi, -depth) }
                if yi + 1 < height && mask[xi, yi + 1] == 0 { mark(xi, yi + 1, -depth * 0.4) }
            }
        case .blowhole:
            let cx = rng.uniform(0.15...0.85) * Float(width), cy = rng.uniform(0.15...0.85) * Float(height)
            let rx = rng.uniform(3...7), ry = rx * rng.uniform(0.7...1.3)
            let depth = rng.uniform(40...70)
            for y in Int(cy - ry - 2)...Int(cy + ry + 2) {
                for x in Int(cx - rx - 2)...Int(cx + rx + 2) {
                    let d = ((Float(x) - cx) / rx) * ((Float(x) - cx) / rx) + ((Float(y) - cy) / ry) * ((Float(y) - cy) / ry)
                    if d <= 1 {
                        mark(x, y, -depth * (0.55 + 0.45 * (1 - d).squareRoot()))
                    } else if d <= 1.6, x >= 0, y >= 0, x < width, y < height {
                        field[y * width + x] += 8 * (1.6 - d)  // a faint bright rim, not part of the mask
                    }
                }
            }
        case .scratch:
            let angle = rng.uniform(0.6...1.3) * (rng.next() & 1 == 0 ? 1 : -1)
            let length = rng.uniform(30...70)
            let cx = rng.uniform(0.3...0.7) * Float(width), cy = rng.uniform(0.3...0.7) * Float(height)
            let brightness = rng.uniform(30...50)
            let wide = rng.next() & 1 == 0
            var s: Float = -length / 2
            while s <= length / 2 {
                let x = Int((cx + s * cos(angle)).rounded()), y = Int((cy + s * sin(angle)).rounded())
                if x >= 0, y >= 0, x < width, y < height, mask[x, y] == 0 { mark(x, y, brightness) }
                if wide, x + 1 < width, y >= 0, y < height, mask[x + 1, y] == 0 { mark(x + 1, y, brightness * 0.6) }
                s += 0.5
            }
        case nil: break
        }
        var image = GreyImage(width: width, height: height)
        for i in 0..<field.count { image.pixels[i] = UInt8(max(0, min(255, field[i].rounded()))) }
        return Sample(image: image, mask: mask, defect: defect)
    }

    /// Writes the demo dataset: `good/` (train and val good parts), `stream/` (a shuffled mixed test
    /// stream, each `NNN_class.jpg` with its mask `NNN_class.png`) and a `splits.csv` in the
    /// magnetic-tile layout, so `inspect eval --data` reads it too. Images are JPEG (quality 90),
    /// masks PNG. Returns the number of files written.
    @discardableResult
    public static func writeDataset(to directory: String, goodCount: Int = 30, streamGood: Int = 12,
                                    perDefect: Int = 4, size: Int = 128, seed: UInt64 = 2026) throws -> Int {
        let fm = FileManager.default
        try fm.createDirectory(atPath: directory + "/good", withIntermediateDirectories: true)
        try fm.createDirectory(atPath: directory + "/stream", withIntermediateDirectories: true)
        var csv = "file,mask,class,group,split,width,height\n"
        var files = 0
        let valStart = goodCount - max(1, goodCount / 5)
        for i in 0..<goodCount {
            let s = sample(width: size, height: size, defect: nil, seed: seed &+ UInt64(i))
            let name = String(format: "good/good_%03d", i)
            try ImageFile.encodeJPEG(s.image, quality: 90).write(to: URL(fileURLWithPath: directory + "/" + name + ".jpg"))
            csv += "\(name).jpg,,good,good:\(i),\(i < valStart ? "train" : "val"),\(size),\(size)\n"
            files += 1
        }
        var kinds: [Defect?] = Array(repeating: nil, count: streamGood)
        for d in Defect.allCases { kinds += Array(repeating: d, count: perDefect) }
        var rng = SeededGenerator(seed: seed ^ 0xABCD)
        kinds.shuffle(using: &rng)
        for (i, kind) in kinds.enumerated() {
            let s = sample(width: size, height: size, defect: kind, seed: seed &+ 10_000 &+ UInt64(i))
            let cls = kind?.rawValue ?? "good"
            let name = String(format: "stream/%03d_%@", i, cls)
            try ImageFile.encodeJPEG(s.image, quality: 90).write(to: URL(fileURLWithPath: directory + "/" + name + ".jpg"))
            try ImageFile.writePNG(s.mask, to: directory + "/" + name + ".png")
            csv += "\(name).jpg,\(name).png,\(cls),\(cls):\(i),test,\(size),\(size)\n"
            files += 2
        }
        try csv.write(toFile: directory + "/splits.csv", atomically: true, encoding: .utf8)
        return files + 1
    }
}
