import ArgumentParser
import EdgewiseCore
import EdgewiseData
import EdgewiseDevices
import EdgewiseModel
import EdgewiseSpeech
import Foundation

struct EvalCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "eval",
        abstract: "Classify every 1 s clip of a keyword folder and report accuracy per exit and per mode, with a confusion matrix.",
        discussion: """
            DIR is a folder of <word>/<clip>.wav|flac (Speech Commands layout). With a splits.csv, --split test \
            (or train, val) takes that split and cuts _silence_ windows from the split's part of \
            _background_noise_; --split all, or a folder without splits.csv, takes every clip plus ⌈10 %⌉ of the \
            keyword clips as _silence_ windows from the last 10 % of _background_noise_ (when present). Words \
            that are not labels count as _unknown_. --out writes file,prediction,exit,confidence per clip (under \
            --mode); --json writes the figures.
            """)

    @Option(help: "Folder of <word>/<clip>.{wav,flac} (e.g. ../shared/datasets/kws).")
    var data: String?

    @Option(help: "Streaming evaluation: a 16 kHz audio file (see Scripts/voice-stream.py) scored against --truth.")
    var stream: String?

    @Option(help: "Ground truth of --stream: onset,offset,word,label,… per spoken word.")
    var truth: String?

    @Option(help: "With --stream: write the DET curve (FRR against false alarms per hour) as SVG.")
    var det: String?

    @Option(help: "With --stream: inferences averaged for posterior smoothing.")
    var smoothing = 10

    @Option(help: "With --stream: refractory period in seconds.")
    var refractory = 1.0

    @Option(help: "test, train, val (need splits.csv) or all.")
    var split = "test"

    @Option(help: "CSV of predictions: file,prediction,exit,confidence.")
    var out: String?

    @Option(help: "JSON file for the figures (accuracy per exit and mode, MACs, confusion matrix).")
    var json: String?

    @Option(help: "Seed of the _silence_ windows.")
    var seed: UInt64 = 0

    @OptionGroup var modelOptions: ModelOptions

    func validate() throws {
        guard (data == nil) != (stream == nil) else { throw ValidationError("give either --data (clips) or --stream (with --truth)") }
        if stream != nil && truth == nil { throw ValidationError("--stream needs --truth") }
        guard split == "all" || SpeechCommands.Split(rawValue: split) != nil else {
            throw ValidationError("--split must be test, train, val or all")
        }
    }

    func run() throws {
        if let stream, let truth { return try runStream(stream, truth) }
        let data = self.data!
        let (path, model, executor) = try modelOptions.load()
        let chosenSplit = SpeechCommands.Split(rawValue: split)
        let hasSplits = FileManager.default.fileExists(atPath: data + "/splits.csv")
        if chosenSplit != nil && !hasSplits {
            throw CommandFailure("\(data): no splits.csv, so --split \(split) is impossible; use --split all")
        }
        let audio: LabeledAudio
        do { audio = try ClipFolder.load(directory: data, labels: model.labels, split: chosenSplit, seed: seed) }
        catch { throw CommandFailure(String(describing: error)) }
        guard audio.count > 0 else { throw CommandFailure("\(data): no clips found (expected <word>/<clip>.wav|flac)") }
        let tty = isatty(2) != 0
        let t0 = Date()
        let ev: KeywordEvaluation
        do {
            ev = try KeywordEvaluation(audio: audio, executor: executor, labels: model.labels) { done, total in
                if tty { FileHandle.standardError.write(Data("\r\(done)/\(total) clips".utf8)) }
            }
        } catch { throw CommandFailure("\(path): \(error)") }
        if tty { FileHandle.standardError.write(Data("\r\u{1B}[K".utf8)) }
        let seconds = Date().timeIntervalSince(t0)
        let mode = modelOptions.mode
        let counts = audio.labelCounts

        print("model \(path): \(ev.exitNames.count) exit\(ev.exitNames.count == 1 ? "" : "s"), \(macsText(ev.exitMACs.last ?? 0)) MACs")
        print("data \(data), split \(split): \(audio.count) clips (" + model.labels.indices.filter { counts[$0] > 0 }.map { "\(model.labels[$0]) \(counts[$0])" }.joined(separator: ", ") + ")")
        print("\naccuracy per exit (every clip stopped there):")
        for (i, name) in ev.exitNames.enumerated() {
            print("  \(name.padding(toLength: 12, withPad: " ", startingAt: 0)) \(fixed(100 * ev.exitAccuracy[i], 2)) %  \(macsText(ev.exitMACs[i])) MACs")
        }
        print("\naccuracy per mode:")
        for m in ExitMode.allCases {
            let r = ev.result(m)
            let rates = zip(ev.exitNames, r.exitRate).map { "\($0) \(fixed(100 * $1, 0)) %" }.joined(separator: ", ")
            print("  \(m.rawValue.padding(toLength: 12, withPad: " ", startingAt: 0)) \(fixed(100 * r.accuracy, 2)) %  mean \(macsText(Int(r.meanMACs))) MACs (\(fixed(100 * r.macsSaved)) % saved)  exits: \(rates)")
        }
        let cm = ev.confusion(mode)
        print("\nconfusion matrix (rows: truth, columns: prediction; mode \(mode.rawValue)):")
        let short = model.labels.map { String($0.replacingOccurrences(of: "_", with: "").prefix(5)) }
        print("".padding(toLength: 10, withPad: " ", startingAt: 0) + short.map { $0.leftPad(6) }.joined())
        for (i, row) in cm.enumerated() where counts[i] > 0 {
            print(model.labels[i].padding(toLength: 10, withPad: " ", startingAt: 0) + row.map { String($0).leftPad(6) }.joined())
        }
        print("\n\(audio.count) clips in \(fixed(seconds, 2)) s (MFCC + model, one thread)")

        if let out {
            var csv = "file,prediction,exit,confidence\n"
            for i in ev.clips.indices {
                let p = ev.prediction(i, mode: mode)
                csv += "\(ev.clips[i].source),\(model.labels[p.label]),\(ev.exitNames[p.exit]),\(fixed(Double(p.confidence), 4))\n"
            }
            do { try csv.write(toFile: out, atomically: true, encoding: .utf8) } catch { throw CommandFailure("\(out): \(error.localizedDescription)") }
            print("wrote \(out)")
        }
        if let json {
            let exits = ev.exitNames.indices.map { "{\"name\":\(jsonString(ev.exitNames[$0])),\"macs\":\(ev.exitMACs[$0]),\"accuracy\":\(fixed(ev.exitAccuracy[$0], 5))}" }
            let modes = ExitMode.allCases.map { m -> String in
                let r = ev.result(m)
                return "\(jsonString(m.rawValue)):{\"accuracy\":\(fixed(r.accuracy, 5)),\"mean_macs\":\(fixed(r.meanMACs, 0)),\"macs_saved\":\(fixed(r.macsSaved, 4)),\"exit_rate\":[\(r.exitRate.map { fixed($0, 4) }.joined(separator: ","))]}"
            }
            let confusion = cm.map { "[" + $0.map(String.init).joined(separator: ",") + "]" }.joined(separator: ",")
            var text = "{\"model\":\(jsonString(path)),\"data\":\(jsonString(data)),\"split\":\(jsonString(split)),\"clips\":\(audio.count),"
            text += "\"labels\":[\(model.labels.map(jsonString).joined(separator: ","))],\"exits\":[\(exits.joined(separator: ","))],"
            text += "\"modes\":{\(modes.joined(separator: ","))},\"confusion_mode\":\(jsonString(mode.rawValue)),"
            text += "\"confusion\":[\(confusion)]}\n"
            do { try text.write(toFile: json, atomically: true, encoding: .utf8) } catch { throw CommandFailure("\(json): \(error.localizedDescription)") }
            print("wrote \(json)")
        }
    }

    func runStream(_ stream: String, _ truthPath: String) throws {
        let (path, model, executor) = try modelOptions.load()
        let truth: [StreamEvaluation.Event]
        let source: AudioFileSource
        do {
            truth = try StreamEvaluation.readTruth(truthPath, labels: model.labels)
            source = try AudioFileSource(path: stream, pacing: .fast)
        } catch { throw CommandFailure(String(describing: error)) }
        let spotter: KeywordSpotter
        do { spotter = try KeywordSpotter(executor: executor, labels: model.labels, selector: modelOptions.mode.makeSelector()) }
        catch { throw CommandFailure("\(path): \(error)") }
        let tty = isatty(2) != 0
        let t0 = threadCPUSeconds()
        let posteriors = source.samples.withUnsafeBufferPointer { s in
            StreamEvaluation.record(s, spotter: spotter) { f in
                if tty { FileHandle.standardError.write(Data("\r\(Int(f * 100)) % of the stream".utf8)) }
            }
        }
        if tty { FileHandle.standardError.write(Data("\r\u{1B}[K".utf8)) }
        let cpu = threadCPUSeconds() - t0
        let thresholds: [Float] = [0.3, 0.4, 0.5, 0.6, 0.7, 0.75, 0.8, 0.85, 0.9, 0.93, 0.95, 0.97, 0.98, 0.99, 0.995]
        let points = thresholds.map { th in
            StreamEvaluation.score(posteriors, truth: truth, labels: model.labels,
                                   configuration: .init(threshold: th, smoothing: smoothing, refractory: refractory))
        }
        let keywords = points.first?.keywords ?? 0
        print("stream \(stream): \(fixed(posteriors.seconds / 60, 1)) min, \(keywords) keywords, \(truth.count - keywords) other words; model \(path), mode \(modelOptions.mode.rawValue)")
        print("smoothing \(smoothing), refractory \(fixed(refractory, 2)) s, re-arm below threshold/2; hit = keyword named within [onset - 0.25 s, offset + 1 s]\n")
        print("threshold   FRR      FA/h    hits  false alarms")
        for p in points {
            print("\(String(format: "%9.3f", p.threshold))  \(String(format: "%5.1f", 100 * p.falseRejectRate)) %  \(String(format: "%7.2f", p.falseAlarmsPerHour))  \(String(format: "%5d", p.hits))  \(p.falseAlarms)")
        }
        for limit in [0.5, 1.0, 5.0] {
            if let p = StreamEvaluation.frr(at: limit, points) {
                print("FRR at <= \(fixed(limit, 1)) FA/h: \(fixed(100 * p.falseRejectRate)) % (threshold \(fixed(Double(p.threshold), 3)), \(fixed(p.falseAlarmsPerHour, 2)) FA/h)")
            } else { print("FRR at <= \(fixed(limit, 1)) FA/h: not reached by any threshold tried") }
        }
        print("model + front end: \(fixed(cpu, 1)) s CPU for \(fixed(posteriors.seconds, 0)) s of audio (\(fixed(posteriors.seconds / max(cpu, 1e-9), 0))x real time, one thread)")
        if let det {
            let svg = StreamEvaluation.detSVG(points, title: "voice DET: \(URL(fileURLWithPath: path).lastPathComponent) on \(URL(fileURLWithPath: stream).lastPathComponent) (\(keywords) keywords, \(fixed(posteriors.seconds / 3600, 2)) h)")
            do { try svg.write(toFile: det, atomically: true, encoding: .utf8) } catch { throw CommandFailure("\(det): \(error.localizedDescription)") }
            print("wrote \(det)")
        }
        if let json {
            let pts = points.map { "{\"threshold\":\($0.threshold),\"frr\":\(fixed($0.falseRejectRate, 5)),\"fa_per_hour\":\(fixed($0.falseAlarmsPerHour, 3)),\"hits\":\($0.hits),\"false_alarms\":\($0.falseAlarms)}" }
            let text = "{\"model\":\(jsonString(path)),\"stream\":\(jsonString(stream)),\"hours\":\(fixed(posteriors.seconds / 3600, 4)),\"keywords\":\(keywords),\"smoothing\":\(smoothing),\"refractory\":\(refractory),\"points\":[\(pts.joined(separator: ","))]}\n"
            do { try text.write(toFile: json, atomically: true, encoding: .utf8) } catch { throw CommandFailure("\(json): \(error.localizedDescription)") }
            print("wrote \(json)")
        }
    }
}
