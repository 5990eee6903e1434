import ArgumentParser
import EdgewiseDevices
import EdgewiseInspection
import Foundation

extension Inspector.Mode: ExpressibleByArgument {}

struct RunCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Inspect frames from a camera, a folder of images or a Y4M stream.",
        discussion: """
            Prints one line per frame (frame, milliseconds, score as a multiple of the threshold, verdict, \
            exit, regions as x,y,w,h,score in frame pixels), or JSON lines with --json, then a summary. \
            --mode adaptive stops after the coarse stage when its score is clearly below or above the \
            threshold (the fixed rule stored in the model); coarse and fine force one exit.
            """)

    @Option(help: "A V4L2 camera, e.g. /dev/video0.")
    var device: String?
    @Option(help: "A folder of PNG/JPEG frames (served in name order; masks beside JPEGs are skipped).")
    var images: String?
    @Option(help: "A Y4M stream ('-' for standard input).")
    var y4m: String?
    @Option(help: "The model (default: \(defaultModelPath)).")
    var model: String?
    @Option(help: "adaptive, coarse or fine.")
    var mode: Inspector.Mode = .adaptive
    @Option(help: "Write a heat-map overlay PNG per frame into this folder.")
    var overlays: String?
    @Flag(help: "Print JSON lines instead of text.")
    var json = false
    @Option(help: "Stop after this many frames (cameras run until interrupted otherwise).")
    var maxFrames: Int?
    @Option(help: "Camera frame size (the camera may adjust it).")
    var size = "640x480"

    func validate() throws {
        guard [device, images, y4m].compactMap({ $0 }).count == 1 else {
            throw ValidationError("give exactly one of --device, --images or --y4m")
        }
        guard size.split(separator: "x").compactMap({ Int($0) }).count == 2 else { throw ValidationError("--size is WIDTHxHEIGHT") }
    }

    func run() throws {
        let modelPath = model ?? defaultModelPath
        let m = try InspectionModel.read(from: modelPath)
        let inspector = try Inspector(model: m)
        let source: FrameSource
        if let device {
            var s = V4L2Camera.Settings()
            let wh = size.split(separator: "x").compactMap { Int($0) }
            s.width = wh[0]; s.height = wh[1]
            source = try V4L2Camera(path: device, settings: s)
        } else if let images {
            source = try ImageFolderSource(directory: images)
        } else {
            source = y4m == "-" ? try Y4MSource(standardInput: ()) : try Y4MSource(path: y4m!)
        }
        if let overlays { try FileManager.default.createDirectory(atPath: overlays, withIntermediateDirectories: true) }
        var frame = GreyImage(width: 0, height: 0)
        var count = 0, defects = 0
        var exits: [InspectionResult.Exit: Int] = [:]
        var busy = 0.0
        let start = ContinuousClock.now
        while maxFrames.map({ count < $0 }) ?? true, let label = try source.next(into: &frame) {
            let t0 = ContinuousClock.now
            let r = inspector.inspect(frame, mode: mode)
            let ms = seconds(ContinuousClock.now - t0) * 1000
            busy += ms
            count += 1
            if r.verdict == .defect { defects += 1 }
            exits[r.exit, default: 0] += 1
            let regions = Array(inspector.regions.prefix(r.regionCount))
            if json {
                let regionJSON = regions.map { "{\"x\":\($0.x),\"y\":\($0.y),\"w\":\($0.width),\"h\":\($0.height),\"score\":\(String(format: "%.3f", $0.score))}" }
                print("{\"frame\":\"\(label)\",\"ms\":\(String(format: "%.2f", ms)),\"score\":\(String(format: "%.3f", r.score)),\"verdict\":\"\(r.verdict.rawValue)\",\"exit\":\"\(r.exit.rawValue)\",\"regions\":[\(regionJSON.joined(separator: ","))]}")
            } else {
                let regionText = regions.map { "\($0.x),\($0.y),\($0.width),\($0.height),\(String(format: "%.2f", $0.score))" }.joined(separator: " ")
                print(String(format: "%-20@ %7.2f ms  score %6.3f  %-6@  exit %-6@ ", label, ms, r.score, r.verdict.rawValue, r.exit.rawValue) + regionText)
            }
            if let overlays {
                let stem = (label as NSString).deletingPathExtension
                try ImageFile.writePNG(Overlay.render(frame, inspector: inspector, regions: regions), to: overlays + "/" + stem + "_overlay.png")
            }
        }
        let wall = seconds(ContinuousClock.now - start)
        let exitText = InspectionResult.Exit.allCases.map { "\($0.rawValue) \(exits[$0] ?? 0)" }.joined(separator: ", ")
        let summary = String(format: "frames %d, defects %d, exits: %@, %.1f frames/s inspecting (%.1f with I/O), dropped %d",
                             count, defects, exitText, busy > 0 ? Double(count) / (busy / 1000) : 0, wall > 0 ? Double(count) / wall : 0,
                             source.droppedFrames)
        if json {
            print("{\"summary\":{\"frames\":\(count),\"defects\":\(defects),\"exits\":{\(InspectionResult.Exit.allCases.map { "\"\($0.rawValue)\":\(exits[$0] ?? 0)" }.joined(separator: ","))},\"framesPerSecond\":\(String(format: "%.1f", busy > 0 ? Double(count) / (busy / 1000) : 0)),\"dropped\":\(source.droppedFrames)}}")
        } else {
            print(summary)
        }
    }
}

/// Heat map over the frame and outlined regions.
enum Overlay {
    static func render(_ frame: GreyImage, inspector: Inspector, regions: [Region]) -> RGBImage {
        var out = RGBImage(grey: frame)
        let s = inspector.extractor.inputSize
        for y in 0..<frame.height {
            let my = min(s - 1, y * s / max(frame.height, 1))
            for x in 0..<frame.width {
                let mx = min(s - 1, x * s / max(frame.width, 1))
                let v = inspector.map[my * s + mx]          // multiples of the threshold
                let t = max(0, min(1, (v - 0.5) / 1.0))     // 0.5× → transparent, 1.5× → full
                guard t > 0 else { continue }
                let i = 3 * (y * frame.width + x)
                let g = Float(frame.pixels[y * frame.width + x])
                // Yellow → red ramp, blended by t.
                let r: Float = 255, gg: Float = 255 * (1 - t), b: Float = 0
                let a = 0.6 * t
                out.pixels[i] = UInt8(g * (1 - a) + r * a)
                out.pixels[i + 1] = UInt8(g * (1 - a) + gg * a)
                out.pixels[i + 2] = UInt8(g * (1 - a) + b * a)
            }
        }
        for r in regions {
            for x in r.x..<(r.x + r.width) { out.set(x, r.y, 255, 0, 0); out.set(x, r.y + r.height - 1, 255, 0, 0) }
            for y in r.y..<(r.y + r.height) { out.set(r.x, y, 255, 0, 0); out.set(r.x + r.width - 1, y, 255, 0, 0) }
        }
        return out
    }
}
