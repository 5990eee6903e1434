import EdgewiseSignalFiles
import Foundation

/// An ECG recording ready for the pipeline: one lead in mV, its rate, and reference beats when the
/// record has an annotation file.
public struct ECGRecord: Sendable {
    public var name: String
    public var rate: Double
    public var lead: String
    public var samples: [Float]
    /// Reference beats (from `<record>.atr`), if present.
    public var reference: [ReferenceBeat]?
    /// Spans EC57 leaves out of QRS statistics (ventricular flutter).
    public var excluded: [Range<Int>] = []

    /// The lead used: MLII when the record has it (record 114 lists it second), else the first ECG-like channel.
    public static func chooseLead(_ r: SignalRecord) -> Int {
        r.channel(named: ["MLII", "II", "ECG", "ecg", "ECG1", "ECG I"]) ?? 0
    }

    /// Reads a WFDB record (with `<record>.<annotator>` when present) or any signal file.
    public static func load(_ path: String, annotator: String = "atr") throws -> ECGRecord {
        let base = path.hasSuffix(".hea") ? String(path.dropLast(4)) : path
        let r: SignalRecord
        var isWFDB = false
        if FileManager.default.fileExists(atPath: base + ".hea") { r = try WFDBRecord.read(base).signalRecord; isWFDB = true } else { r = try SignalFiles.read(path) }
        let k = chooseLead(r)
        guard !r.channels.isEmpty else { throw SignalFileError.badData(file: path, position: "channels", reason: "no signals") }
        var e = ECGRecord(name: r.name, rate: r.samplingRate, lead: r.channels[k].label, samples: r.channels[k].samples, reference: nil)
        if isWFDB, FileManager.default.fileExists(atPath: base + "." + annotator) {
            let (beats, excluded) = try WFDBAnnotationFile.read(base + "." + annotator).referenceBeats()
            e.reference = beats; e.excluded = excluded
        }
        return e
    }
}
