import EdgewisePolicy
import EdgewiseSignalFiles
import Foundation

/// One classified beat as the app reports it.
public struct ReplayBeat: Sendable, Codable, Equatable {
    public var record: String
    public var sample: Int
    public var time: Double
    /// AAMI letter, or `?` when no classifier is loaded.
    public var `class`: String
    public var confidence: Float
    public var exit: String
    /// Instantaneous heart rate from the RR interval before this beat (BPM).
    public var heartRate: Double
}

/// The streaming ECG pipeline: samples in, classified beats out (one beat after each detection).
public struct ECGStream {
    public let record: String
    public let rate: Double
    private var extractor: BeatExtractor
    public let classifier: BeatClassifier?
    public private(set) var macs = 0, fullMACs = 0
    public private(set) var exitCounts: [String: Int] = [:]
    /// Device-state source for the adaptive policy in mode `auto` (the live readers or a trace), read every
    /// ``monitorInterval`` seconds of signal time; a trace's clock is the signal's time.
    public var monitor: (any DeviceMonitor)?
    public var monitorInterval = 10.0
    /// Mode changes made by `auto` (signal time in seconds, new mode, the device state that caused it).
    public private(set) var modeChanges: [(time: Double, mode: String, reason: String)] = []
    private var nextMonitorTime = 0.0

    public init(record: String, rate: Double, classifier: BeatClassifier?) {
        self.record = record; self.rate = rate; self.classifier = classifier
        extractor = BeatExtractor(rate: rate)
    }

    /// Adds one sample (physical units); returns the beats completed now.
    public mutating func process(_ x: Float) -> [ReplayBeat] {
        let f = extractor.process(x)
        if f.isEmpty { return [] }
        var out: [ReplayBeat] = []
        for b in f { out.append(decide(b)) }
        return out
    }

    /// Ends the stream.
    public mutating func finish() -> [ReplayBeat] {
        var out: [ReplayBeat] = []
        for b in extractor.finish() { out.append(decide(b)) }
        return out
    }

    private mutating func decide(_ f: BeatFeatures) -> ReplayBeat {
        var cls = "?", conf: Float = 0, exit = "none"
        if let c = classifier {
            let t = Double(f.sample) / rate
            if let monitor, let p = c.adaptive, p.requestedMode == .auto, t >= nextMonitorTime {
                nextMonitorTime = t + monitorInterval
                let before = p.mode
                let state = monitor.snapshot(at: UInt64(t * 1e9)).state
                p.update(state)
                if p.mode != before { modeChanges.append((t, p.mode.rawValue, state.summary)) }
            }
            let d = c.classify(f.input)
            cls = d.aami.letter; conf = d.confidence; exit = d.exit
            macs += d.macs; fullMACs += c.fullMACs
            exitCounts[exit, default: 0] += 1
        }
        return ReplayBeat(record: record, sample: f.sample, time: Double(f.sample) / rate, class: cls, confidence: conf, exit: exit,
                          heartRate: 60 / max(f.preRR, 1e-3))
    }

    /// Runs a whole record (with `monitor`, mode `auto` follows the device state).
    public static func run(_ rec: ECGRecord, classifier: BeatClassifier?, monitor: (any DeviceMonitor)? = nil) -> (beats: [ReplayBeat], stream: ECGStream) {
        var s = ECGStream(record: rec.name, rate: rec.rate, classifier: classifier)
        s.monitor = monitor
        var out: [ReplayBeat] = []
        out.reserveCapacity(rec.samples.count / Int(rec.rate / 3))
        for v in rec.samples { out += s.process(v) }
        out += s.finish()
        return (out, s)
    }

    /// Compares a record's classified beats with its reference annotations (EC57 style); reference beats
    /// before sample `from` are not scored (the patient-specific protocol leaves out the adaptation minutes).
    public static func score(_ beats: [ReplayBeat], _ rec: ECGRecord, stream: ECGStream, from: Int = 0) -> ClassificationReport {
        var r = ClassificationReport()
        guard let ref = rec.reference else { return r }
        let (_, matches) = QRSScore.match(reference: ref.map(\.sample), detections: beats.map(\.sample), window: Int((0.15 * rec.rate).rounded()))
        for (i, m) in matches.enumerated() {
            guard let c = ref[i].aami, ref[i].sample >= from else { continue }
            if let m, let p = ["N", "S", "V", "F", "Q"].firstIndex(of: beats[m].class) { r.confusion[c.rawValue][p] += 1 } else { r.missed[c.rawValue] += 1 }
        }
        r.beats = beats.reduce(0) { $0 + ($1.sample >= from ? 1 : 0) }; r.macs = stream.macs; r.fullMACs = stream.fullMACs; r.exitCounts = stream.exitCounts
        return r
    }

    /// The beats as WFDB annotations (AAMI classes as N, S, V, F, Q codes; `exit` index in `num`).
    public static func annotations(_ beats: [ReplayBeat]) -> [WFDBAnnotation] {
        beats.map { b in
            let code = AAMIClass.allCases.first { $0.letter == b.class }?.annotationCode ?? 1
            return WFDBAnnotation(sample: b.sample, code: code)
        }
    }
}
