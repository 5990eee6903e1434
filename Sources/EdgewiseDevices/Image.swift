/// An 8-bit single-channel image, row-major without padding. Camera frames, decoded files and Y4M
/// luma planes all arrive as `GreyImage`; sources write into an existing image so a steady stream of
/// same-sized frames reuses one buffer.
public struct GreyImage: Sendable, Equatable {
    public private(set) var width: Int
    public private(set) var height: Int
    /// `width * height` bytes, row by row.
    public var pixels: [UInt8]

    public init(width: Int, height: Int, fill: UInt8 = 0) {
        precondition(width >= 0 && height >= 0)
        self.width = width
        self.height = height
        pixels = [UInt8](repeating: fill, count: width * height)
    }

    public init(width: Int, height: Int, pixels: [UInt8]) {
        precondition(pixels.count == width * height, "GreyImage: \(pixels.count) pixels for \(width)x\(height)")
        self.width = width
        self.height = height
        self.pixels = pixels
    }

    /// Changes the size, reusing the storage when it is large enough (no allocation for same-size frames).
    public mutating func resize(width: Int, height: Int) {
        if width == self.width && height == self.height { return }
        self.width = width
        self.height = height
        let n = width * height
        if pixels.count > n { pixels.removeLast(pixels.count - n) } else if pixels.count < n {
            pixels.append(contentsOf: repeatElement(0, count: n - pixels.count))
        }
    }

    public subscript(x: Int, y: Int) -> UInt8 {
        get { pixels[y * width + x] }
        set { pixels[y * width + x] = newValue }
    }
}

/// An 8-bit RGB image (overlays), row-major, 3 bytes per pixel.
public struct RGBImage: Sendable, Equatable {
    public let width: Int
    public let height: Int
    /// `width * height * 3` bytes.
    public var pixels: [UInt8]

    public init(width: Int, height: Int) {
        self.width = width
        self.height = height
        pixels = [UInt8](repeating: 0, count: width * height * 3)
    }

    /// The grey image repeated in all three channels.
    public init(grey: GreyImage) {
        self.init(width: grey.width, height: grey.height)
        for i in 0..<grey.pixels.count {
            let v = grey.pixels[i]
            pixels[3 * i] = v; pixels[3 * i + 1] = v; pixels[3 * i + 2] = v
        }
    }

    /// Sets one pixel, ignoring coordinates outside the image.
    public mutating func set(_ x: Int, _ y: Int, _ r: UInt8, _ g: UInt8, _ b: UInt8) {
        guard x >= 0, y >= 0, x < width, y < height else { return }
        let i = 3 * (y * width + x)
        pixels[i] = r; pixels[i + 1] = g; pixels[i + 2] = b
    }
}
