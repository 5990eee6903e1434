import ArgumentParser
import EdgewiseCore
import EdgewiseData
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
    var data: String

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
        guard split == "all" || SpeechCommands.Split(rawValue: split) != nil else {
            throw ValidationError("--split must be test, train, val or all")
        }
    }

    func run() throws {
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
}
