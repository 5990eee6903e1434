import ArgumentParser
import EdgewiseSignalFiles
import Foundation

/// `wearable excerpt`: cuts a span of a WFDB record (signals and annotations) into a new WFDB record.
struct ExcerptCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "excerpt",
        abstract: "Cut a span of a WFDB record and its annotations into a new record (format 212, checksums recomputed).")

    @Argument(help: "WFDB record path (without extension).")
    var record: String

    @Option(help: "Start, in seconds.")
    var from: Double = 0

    @Option(help: "Length, in seconds.")
    var seconds: Double

    @Option(help: "Output directory.")
    var out: String

    @Option(help: "Name of the new record (default: <record>_<from>s).")
    var name: String?

    @Option(help: "Annotator to cut as well (skipped when the file does not exist).")
    var annotator = "atr"

    func run() throws {
        let r = try WFDBRecord.read(record)
        let fs = r.header.samplingFrequency
        let a = Int(from * fs), b = min(r.digital[0].count, a + Int(seconds * fs))
        guard a >= 0, b > a else { throw ValidationError("span \(from)+\(seconds) s is outside the record") }
        let base = (record as NSString).lastPathComponent
        let newName = name ?? "\(base)_\(Int(from))s"
        try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
        var cut = r.slice(a..<b)
        cut.header.comments.append("Excerpt of MIT-BIH record \(base), samples \(a)..<\(b), cut by `wearable excerpt`")
        let (hea, dat) = try cut.write(directory: out, name: newName)
        print("wrote \(hea)\nwrote \(dat)")
        let ann = record + "." + annotator
        if FileManager.default.fileExists(atPath: ann) {
            let kept = try WFDBAnnotationFile.read(ann).filter { $0.sample >= a && $0.sample < b }.map { x -> WFDBAnnotation in
                var y = x; y.sample -= a; return y
            }
            try WFDBAnnotationFile.write(kept, to: out + "/\(newName).\(annotator)")
            print("wrote \(out)/\(newName).\(annotator) (\(kept.count) annotations)")
        }
    }
}
