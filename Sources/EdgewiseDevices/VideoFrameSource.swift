import Foundation

/// Where `inspect run` gets its frames: a camera, a folder of images or a Y4M stream. Every source
/// delivers 8-bit grey frames into a caller-owned image, so a steady stream reuses one buffer.
public protocol FrameSource: AnyObject {
    /// A short name for logs and summaries (device path, folder, `stdin`).
    var name: String { get }
    /// Frames the source knows were lost (camera sequence gaps); 0 for files.
    var droppedFrames: Int { get }
    /// Writes the next frame into `frame` and returns its label (file name or frame number), or `nil`
    /// at the end of the stream. Throws only for errors the source cannot recover from.
    func next(into frame: inout GreyImage) throws -> String?
}

/// The images of a folder in name order (PNG/JPEG via libpng/libjpeg). When `stem.jpg` and `stem.png`
/// both exist, the PNG is taken to be the defect mask of the JPEG (the magnetic-tile layout) and is
/// skipped, as are files named `*_mask.png`.
public final class ImageFolderSource: FrameSource {
    public let name: String
    public let droppedFrames = 0
    /// The image files, in the order they are served.
    public let files: [String]
    private var index = 0

    public init(directory: String) throws {
        var isDir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: directory, isDirectory: &isDir), isDir.boolValue else {
            throw ImageError.cannotOpen(directory, reason: "not a directory")
        }
        name = directory
        files = try ImageFolderSource.imageFiles(in: directory)
    }

    /// The image files of `directory` (not recursive), masks left out, sorted by name.
    public static func imageFiles(in directory: String) throws -> [String] {
        let names: [String]
        do { names = try FileManager.default.contentsOfDirectory(atPath: directory) } catch {
            throw ImageError.cannotOpen(directory, reason: error.localizedDescription)
        }
        let set = Set(names)
        return names.filter { n in
            let ext = (n as NSString).pathExtension.lowercased()
            guard ImageFile.extensions.contains(ext), !n.hasPrefix(".") else { return false }
            let stem = (n as NSString).deletingPathExtension
            if stem.hasSuffix("_mask") { return false }
            if ext == "png" && (set.contains(stem + ".jpg") || set.contains(stem + ".jpeg")) { return false }
            return true
        }.sorted().map { directory + "/" + $0 }
    }

    public func next(into frame: inout GreyImage) throws -> String? {
        guard index < files.count else { return nil }
        let file = files[index]
        index += 1
        try ImageFile.read(file, into: &frame)
        return (file as NSString).lastPathComponent
    }
}

/// A YUV4MPEG2 stream (e.g. `ffmpeg ... -f yuv4mpegpipe -`): the luma plane of each frame; chroma
/// (4:2:0, 4:2:2, 4:4:4 or mono) is skipped.
public final class Y4MSource: FrameSource {
    public let name: String
    public let droppedFrames = 0
    public let width: Int
    public let height: Int
    private let chromaBytes: Int
    private let file: UnsafeMutablePointer<FILE>
    private let ownsFile: Bool
    private var frameNumber = 0
    private var skip: [UInt8]

    /// Reads from standard input.
    public convenience init(standardInput: ()) throws {
        guard let f = fdopen(0, "rb") else { throw ImageError.cannotOpen("stdin", reason: "fdopen failed") }
        try self.init(file: f, name: "stdin", owns: false)
    }

    /// Reads a `.y4m` file.
    public convenience init(path: String) throws {
        guard let f = fopen(path, "rb") else {
            throw ImageError.cannotOpen(path, reason: String(cString: strerror(errno)))
        }
        try self.init(file: f, name: path, owns: true)
    }

    private init(file: UnsafeMutablePointer<FILE>, name: String, owns: Bool) throws {
        self.file = file
        self.name = name
        ownsFile = owns
        guard let header = Y4MSource.readLine(file, limit: 1024) else {
            throw ImageError.malformedY4M(source: name, position: "byte 0", reason: "empty stream")
        }
        let fields = header.split(separator: " ")
        guard fields.first == "YUV4MPEG2" else {
            throw ImageError.malformedY4M(source: name, position: "byte 0", reason: "missing YUV4MPEG2 signature")
        }
        var w = 0, h = 0, colour = "420"
        for f in fields.dropFirst() {
            switch f.first {
            case "W": w = Int(f.dropFirst()) ?? 0
            case "H": h = Int(f.dropFirst()) ?? 0
            case "C": colour = String(f.dropFirst())
            default: break
            }
        }
        guard w > 0, h > 0, w <= 16384, h <= 16384 else {
            throw ImageError.malformedY4M(source: name, position: "header", reason: "missing or invalid W/H (\(header))")
        }
        width = w
        height = h
        if colour.hasPrefix("mono") { chromaBytes = 0 } else if colour.hasPrefix("444") { chromaBytes = 2 * w * h } else if colour.hasPrefix("422") {
            chromaBytes = 2 * ((w + 1) / 2) * h
        } else if colour.hasPrefix("420") {
            chromaBytes = 2 * ((w + 1) / 2) * ((h + 1) / 2)
        } else {
            throw ImageError.malformedY4M(source: name, position: "header", reason: "unsupported colour space C\(colour)")
        }
        skip = [UInt8](repeating: 0, count: max(chromaBytes, 1))
    }

    deinit { if ownsFile { fclose(file) } }

    private static func readLine(_ file: UnsafeMutablePointer<FILE>, limit: Int) -> String? {
        var bytes: [UInt8] = []
        while bytes.count < limit {
            let c = getc(file)
            if c == EOF { return bytes.isEmpty ? nil : String(decoding: bytes, as: UTF8.self) }
            if c == 0x0A { return String(decoding: bytes, as: UTF8.self) }
            bytes.append(UInt8(c))
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    public func next(into frame: inout GreyImage) throws -> String? {
        guard let line = Y4MSource.readLine(file, limit: 1024) else { return nil }
        guard line.hasPrefix("FRAME") else {
            throw ImageError.malformedY4M(source: name, position: "frame \(frameNumber)", reason: "expected FRAME, got \(line.prefix(20))")
        }
        frame.resize(width: width, height: height)
        let n = frame.pixels.withUnsafeMutableBytes { fread($0.baseAddress, 1, width * height, file) }
        let c = chromaBytes == 0 ? 0 : skip.withUnsafeMutableBytes { fread($0.baseAddress, 1, chromaBytes, file) }
        guard n == width * height, c == chromaBytes else {
            throw ImageError.malformedY4M(source: name, position: "frame \(frameNumber)", reason: "truncated frame")
        }
        frameNumber += 1
        return String(frameNumber - 1)
    }
}
