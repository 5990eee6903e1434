import ArgumentParser
import EdgewiseSignalFiles
import EdgewisePolicy
import EdgewiseWearable
import Foundation

/// `wearable replay`: streams recordings through beat detection and classification.
struct ReplayCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "replay",
        abstract: "Replay ECG recordings (WFDB records, .csv, .edf) or a live CSV stream: beats, classes, heart rate.",
        discussion: """
            Prints a per-record summary; --json prints one JSON object per beat (record, sample, time, class, \
            confidence, exit, heartRate) to stdout, or to DIR/<record>.jsonl with --out. --annotations EXT writes \
            DIR/<record>.EXT in WFDB format (N/S/V/F/Q codes) for PhysioNet's tools. --svg writes a strip of the \
            span given by --span. --stdin reads CSV lines (time,ecg) as they arrive.
            """)

    @Argument(help: "Records or files: a WFDB record path (without extension), .hea, .csv or .edf.")
    var inputs: [String] = []

    @Option(help: "Beat model file (default: Datasets/wearable/ecg-beats.edgewise when present).")
    var model: String?

    @Option(help: "Use a fixed early-exit threshold instead of the adaptive policy (1: always run to the final exit).")
    var threshold: Float?

    @Option(help: "Adaptive exit policy mode (performance, balanced, saver, auto); default balanced when the model is calibrated (`wearable calibrate`), else a fixed 0.95 threshold.")
    var mode: PolicyMode?

    @Option(help: "With --mode auto: the directory that stands for / for the device readers (DIR/sys/class/power_supply, DIR/proc/pressure/cpu, …; as `edgewise policy status --root`).")
    var deviceRoot = "/"

    @Option(help: "With --mode auto: replay this device-state trace (CSV, as `edgewise policy simulate`) against the signal's time instead of reading the device.")
    var deviceTrace: String?

    @Option(help: "Replay at N × real time (sleeps between samples); default: as fast as possible.")
    var speed: Double?

    @Flag(help: "As fast as possible (the default; overrides --speed).")
    var fast = false

    @Option(help: "Write <record>.jsonl (and annotations, SVG) into this directory.")
    var out: String?

    @Flag(help: "One JSON object per beat.")
    var json = false

    @Option(help: "Also write WFDB annotations <record>.<EXT> (in --out, else beside the input).")
    var annotations: String?

    @Option(help: "Write an SVG strip of the span given by --span to this file (first record).")
    var svg: String?

    @Option(help: "SVG span as START,SECONDS.")
    var span = "0,10"

    @Flag(help: "Read CSV lines (time,ecg) from standard input as they arrive.")
    var stdin = false

    @Option(help: "Sampling rate for --stdin when the CSV has no time column.")
    var rate: Double?

    func validate() throws {
        if inputs.isEmpty && !stdin { throw ValidationError("give at least one record or file, or --stdin") }
        if let speed, speed <= 0 { throw ValidationError("--speed must be > 0") }
        if let threshold, !(0...1).contains(threshold) { throw ValidationError("--threshold must be in 0…1") }
        if threshold != nil && mode != nil { throw ValidationError("give --threshold (fixed policy) or --mode (adaptive policy), not both") }
        let parts = span.split(separator: ",")
        guard parts.count == 2, Double(parts[0]) != nil, let l = Double(parts[1]), l > 0 else { throw ValidationError("--span is START,SECONDS") }
    }

    func run() throws {
        let classifier = try loadClassifier()
        let monitor = try deviceMonitor(classifier)
        if stdin { try runStdin(classifier); return }
        if let out { try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true) }
        var total = ClassificationReport()
        var first = true
        for input in inputs {
            let rec = try ECGRecord.load(input)
            let t0 = Date()
            var beats: [ReplayBeat]
            var stream: ECGStream
            if let speed, !fast {
                stream = ECGStream(record: rec.name, rate: rec.rate, classifier: classifier)
                stream.monitor = monitor
                beats = []
                let start = Date()
                for (i, v) in rec.samples.enumerated() {
                    for b in stream.process(v) { beats.append(b); emit(b) }
                    if i % 64 == 0 {
                        let due = Double(i) / rec.rate / speed - Date().timeIntervalSince(start)
                        if due > 0 { Thread.sleep(forTimeInterval: due) }
                    }
                }
                for b in stream.finish() { beats.append(b); emit(b) }
            } else {
                (beats, stream) = ECGStream.run(rec, classifier: classifier, monitor: monitor)
                if json && out == nil { for b in beats { emit(b) } }
            }
            let elapsed = Date().timeIntervalSince(t0)
            if let out, json || annotations == nil {
                let enc = JSONEncoder(); enc.outputFormatting = [.sortedKeys]
                let lines = try beats.map { String(decoding: try enc.encode($0), as: UTF8.self) }.joined(separator: "\n") + "\n"
                try lines.write(toFile: out + "/\(rec.name).jsonl", atomically: true, encoding: .utf8)
            }
            if let ext = annotations {
                let dir = out ?? (input as NSString).deletingLastPathComponent
                try WFDBAnnotationFile.write(ECGStream.annotations(beats), to: (dir.isEmpty ? "." : dir) + "/\(rec.name).\(ext)")
            }
            if first, let svg {
                let parent = (svg as NSString).deletingLastPathComponent
                if !parent.isEmpty { try FileManager.default.createDirectory(atPath: parent, withIntermediateDirectories: true) }
                let p = span.split(separator: ",").map { Double($0)! }
                try StripChart.svg(samples: rec.samples, rate: rec.rate, start: p[0], seconds: p[1], beats: beats, title: "\(rec.name) \(rec.lead)")
                    .write(toFile: svg, atomically: true, encoding: .utf8)
                FileHandle.standardError.write("wrote \(svg)\n".data(using: .utf8)!)
            }
            first = false
            let score = ECGStream.score(beats, rec, stream: stream)
            total.add(score)
            summary(rec, beats, stream, elapsed, score)
        }
    }

    /// The device-state source for `--mode auto` (nil otherwise): a trace, or the live readers under --device-root.
    private func deviceMonitor(_ c: BeatClassifier?) throws -> (any DeviceMonitor)? {
        guard mode == .auto, c?.adaptive != nil else {
            if deviceTrace != nil || deviceRoot != "/" { throw ValidationError("--device-root and --device-trace need --mode auto and a calibrated model") }
            return nil
        }
        if let deviceTrace {
            do { return TraceDeviceMonitor(trace: try DeviceTrace(path: deviceTrace)) } catch { throw ValidationError(String(describing: error)) }
        }
        var isDir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: deviceRoot, isDirectory: &isDir), isDir.boolValue else { throw ValidationError("\(deviceRoot): not a directory") }
        return DeviceStateReader(root: deviceRoot)
    }

    private func loadClassifier() throws -> BeatClassifier? {
        let path = model ?? "Datasets/wearable/ecg-beats.edgewise"
        guard FileManager.default.fileExists(atPath: path) else {
            if model != nil { throw ValidationError("model file not found: \(path)") }
            FileHandle.standardError.write("no beat model (Datasets/wearable/ecg-beats.edgewise): beats are detected, not classified\n".data(using: .utf8)!)
            return nil
        }
        let c = try BeatClassifier(path: path, policy: FixedThresholdPolicy(threshold: threshold ?? 0.95))
        let chosen = threshold == nil ? (mode ?? (c.isCalibrated ? .balanced : nil)) : nil
        if let chosen { try c.useAdaptivePolicy(mode: chosen, file: path) }
        return c
    }

    private func emit(_ b: ReplayBeat) {
        guard json, out == nil else { return }
        let enc = JSONEncoder(); enc.outputFormatting = [.sortedKeys]
        if let d = try? enc.encode(b) { print(String(decoding: d, as: UTF8.self)) }
    }

    private func summary(_ rec: ECGRecord, _ beats: [ReplayBeat], _ stream: ECGStream, _ elapsed: Double, _ score: ClassificationReport) {
        var counts: [String: Int] = [:]
        for b in beats { counts[b.class, default: 0] += 1 }
        let hr = beats.isEmpty ? 0 : Double(beats.count - 1) / max(1e-9, (beats.last!.time - beats.first!.time)) * 60
        var s = String(format: "%@ (%@, %.0f Hz, %.1f s): %d beats, mean heart rate %.0f bpm; classes ", rec.name, rec.lead, rec.rate, Double(rec.samples.count) / rec.rate, beats.count, hr)
        s += ["N", "S", "V", "F", "Q", "?"].compactMap { k in counts[k].map { "\(k) \($0)" } }.joined(separator: ", ")
        s += String(format: "; %.0f× real time", Double(rec.samples.count) / rec.rate / max(elapsed, 1e-9))
        if stream.fullMACs > 0 { s += String(format: "; early exit saved %.0f %% of classifier MACs", (1 - Double(stream.macs) / Double(stream.fullMACs)) * 100) }
        for m in stream.modeChanges { s += String(format: "; at %.0f s auto → %@ (%@)", m.time, m.mode, m.reason) }
        if rec.reference != nil, score.confusion.joined().reduce(0, +) > 0 { s += String(format: "; agreement with reference %.1f %%", score.accuracy * 100) }
        let h = json && out == nil ? FileHandle.standardError : FileHandle.standardOutput
        h.write((s + "\n").data(using: .utf8)!)
    }

    private func runStdin(_ classifier: BeatClassifier?) throws {
        var parser = CSVLineParser(file: "stdin")
        var stream: ECGStream? = nil
        var column = 0
        var buffered: [Float] = []
        while let line = readLine() {
            guard let row = try parser.consume(line) else { continue }
            if stream == nil {
                let cols = parser.columns!
                column = cols.firstIndex(of: "ecg") ?? cols.indices.first { $0 != parser.timeColumn } ?? 0
                buffered.append(Float(row[column]))
                let fs = rate ?? (buffered.count >= 8 ? parser.estimatedRate() : nil)
                guard let fs else { continue }
                stream = ECGStream(record: "stdin", rate: fs, classifier: classifier)
                stream!.monitor = try deviceMonitor(classifier)
                for v in buffered { for b in stream!.process(v) { printLive(b) } }
                continue
            }
            for b in stream!.process(Float(row[column])) { printLive(b) }
        }
        if stream != nil { for b in stream!.finish() { printLive(b) } }
    }

    private func printLive(_ b: ReplayBeat) {
        if json { let enc = JSONEncoder(); enc.outputFormatting = [.sortedKeys]; print(String(decoding: (try? enc.encode(b)) ?? Data(), as: UTF8.self)) }
        else { print(String(format: "%9.3f s  %@  %3.0f bpm  %.2f (%@)", b.time, b.class, b.heartRate, b.confidence, b.exit)) }
        try? FileHandle.standardOutput.synchronize()
    }
}
