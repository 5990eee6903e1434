import ArgumentParser
import EdgewiseCore
import EdgewiseDevices
import EdgewiseInterop
import EdgewiseModel
import EdgewiseSpeech
import Foundation

@main
struct Voice: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "voice",
        abstract: "Local voice commands: streaming keyword spotting from a microphone (ALSA), a file or standard input.",
        discussion: """
            Audio never leaves the device. The default model is the ML-zoo DS-CNN-S (12 classes: _silence_, \
            _unknown_, yes, no, up, down, left, right, on, off, stop, go) shipped in Models/voice/.
            """,
        subcommands: [ListenCommand.self, DevicesCommand.self, EvalCommand.self])
}

/// Model options shared by `listen` and `eval`.
struct ModelOptions: ParsableArguments {
    @Option(help: "Model file (.edgewise, or .tflite imported on the fly). Default: $EDGEWISE_VOICE_MODEL, else Models/voice/ds_cnn_s.edgewise (from the current directory or beside the repository holding this binary).")
    var model: String?

    @Option(help: "Exit mode: auto, performance (always the final exit), balanced or saver (earlier exits at lower confidence). Until the adaptive policy lands, auto = balanced (stop at an exit with p >= 0.9), saver stops at p >= 0.7.")
    var mode: ExitMode = .auto

    static let defaultRelative = "Models/voice/ds_cnn_s.edgewise"

    /// The model path in use.
    func resolvedPath() throws -> String {
        if let model { return model }
        if let env = ProcessInfo.processInfo.environment["EDGEWISE_VOICE_MODEL"], !env.isEmpty { return env }
        var candidates = [FileManager.default.currentDirectoryPath + "/" + Self.defaultRelative]
        // .build/<config>/voice → repository root three levels up.
        let exe = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
        candidates.append(exe.deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent(Self.defaultRelative).path)
        if let found = candidates.first(where: { FileManager.default.fileExists(atPath: $0) }) { return found }
        throw CommandFailure("no model given and \(Self.defaultRelative) not found (looked in \(candidates.joined(separator: ", "))); pass --model")
    }

    /// Loads the model and an executor for it (one thread: the zero-allocation path).
    func load() throws -> (path: String, model: Model, executor: Executor) {
        let path = try resolvedPath()
        do {
            let m = path.lowercased().hasSuffix(".tflite") ? try TFLiteImporter.importModel(path: path) : try ModelFile.read(path: path)
            guard !m.labels.isEmpty else { throw CommandFailure("\(path): the model has no labels (import it with --labels)") }
            return (path, m, try Executor(graph: m.graph))
        } catch let e as CommandFailure { throw e } catch { throw CommandFailure("\(path): \(error)") }
    }
}

extension ExitMode: ExpressibleByArgument {}

/// A failure while running a command: printed as `Error: <message>` with exit status 1, without usage text.
struct CommandFailure: Error, CustomStringConvertible {
    let description: String
    init(_ message: String) { description = message }
}

/// Set by SIGINT/SIGTERM; sources and loops check it.
let stopFlag = StopFlag()

/// Installs SIGINT/SIGTERM handlers that request a stop (no SA_RESTART, so a blocking read returns).
func installStopHandlers() {
    var sa = sigaction()
    sa.__sigaction_handler.sa_handler = { _ in stopFlag.request() }
    sigemptyset(&sa.sa_mask)
    sa.sa_flags = 0
    sigaction(SIGINT, &sa, nil)
    sigaction(SIGTERM, &sa, nil)
}

/// `value` with `digits` decimals.
func fixed(_ value: Double, _ digits: Int = 1) -> String { String(format: "%.\(digits)f", value) }

/// A JSON string literal.
func jsonString(_ s: String) -> String {
    var out = "\""
    for c in s.unicodeScalars {
        switch c {
        case "\"": out += "\\\""
        case "\\": out += "\\\\"
        case "\n": out += "\\n"
        case "\t": out += "\\t"
        default: if c.value < 0x20 { out += String(format: "\\u%04x", c.value) } else { out.unicodeScalars.append(c) }
        }
    }
    return out + "\""
}

/// MACs in a short human form (2.66 M).
func macsText(_ m: Int) -> String { m >= 1_000_000 ? fixed(Double(m) / 1e6, 2) + " M" : fixed(Double(m) / 1e3, 1) + " k" }
