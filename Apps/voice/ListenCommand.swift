import ArgumentParser
import EdgewiseCore
import EdgewiseDevices
import EdgewiseSpeech
import Foundation

struct ListenCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "listen",
        abstract: "Spot keywords in a live or replayed stream and print (or act on) each detection.",
        discussion: """
            Input: --device PCM (ALSA capture, S16_LE mono 16 kHz; default PCM `default`), --file AUDIO (WAV/FLAC \
            replayed in real time, or as fast as possible with --fast) or --stdin (raw S16_LE mono 16 kHz, e.g. \
            `arecord -t raw -f S16_LE -r 16000 -c 1 | voice listen --stdin`).
            Each detection prints time (s from the start), keyword, smoothed confidence, exit taken and its MACs; \
            --json prints one JSON object per line instead. On a terminal a one-line status shows level, mode and the \
            last keyword. Ctrl-C stops and prints a summary (detections, exits taken, overruns, MACs saved).
            """)

    @Option(help: "ALSA capture PCM (see `voice devices`).")
    var device: String?

    @Option(help: "Audio file to replay (WAV, FLAC; 16 kHz).")
    var file: String?

    @Flag(help: "Read raw S16_LE mono 16 kHz from standard input.")
    var stdin = false

    @OptionGroup var modelOptions: ModelOptions

    @Option(name: .customLong("on"), help: ArgumentHelp("Run a shell command when a keyword is heard, e.g. --on yes='notify-send yes' (repeatable). The command sees VOICE_KEYWORD, VOICE_CONFIDENCE and VOICE_TIME.", valueName: "WORD=COMMAND"))
    var actions: [String] = []

    @Flag(help: "Print detections and the summary as JSON lines.")
    var json = false

    @Flag(help: "Replay --file as fast as possible instead of in real time.")
    var fast = false

    @Option(help: "Smoothed probability a keyword needs to fire.")
    var threshold: Float = 0.8

    @Option(help: "Inferences averaged for posterior smoothing.")
    var smoothing = 10

    @Option(help: "A keyword fires again only after its smoothed probability fell below this (default: threshold / 2).")
    var rearm: Float?

    @Option(help: "Seconds after a detection during which no other fires.")
    var refractory = 1.0

    @Option(help: "Run the model every N hops of 20 ms.")
    var hop = 1

    func validate() throws {
        let inputs = [device != nil, file != nil, stdin].filter { $0 }.count
        guard inputs <= 1 else { throw ValidationError("give at most one of --device, --file and --stdin") }
        if fast && file == nil { throw ValidationError("--fast replays a --file; live input cannot go faster than real time") }
        guard (0...1).contains(threshold) else { throw ValidationError("--threshold must be in 0...1") }
        guard smoothing >= 1, hop >= 1, refractory >= 0 else { throw ValidationError("--smoothing and --hop must be >= 1, --refractory >= 0") }
        _ = try parsedActions()
    }

    func parsedActions() throws -> [String: String] {
        var out: [String: String] = [:]
        for a in actions {
            guard let eq = a.firstIndex(of: "="), eq != a.startIndex else { throw ValidationError("--on expects WORD=COMMAND, got '\(a)'") }
            out[String(a[..<eq])] = String(a[a.index(after: eq)...])
        }
        return out
    }

    func run() throws {
        let (path, model, executor) = try modelOptions.load()
        for word in try parsedActions().keys where !model.labels.contains(word) {
            throw CommandFailure("--on \(word)=…: '\(word)' is not a label of \(path) (\(model.labels.joined(separator: ", ")))")
        }
        let actions = try parsedActions()
        let spotter: KeywordSpotter
        do {
            spotter = try KeywordSpotter(executor: executor, labels: model.labels,
                                         configuration: .init(threshold: threshold, smoothing: smoothing, refractory: refractory, hopsPerInference: hop, rearm: rearm),
                                         selector: modelOptions.mode.makeSelector())
        } catch { throw CommandFailure("\(path): \(error)") }

        installStopHandlers()
        let source: AudioSource
        do {
            if let file { source = try AudioFileSource(path: file, pacing: fast ? .fast : .realTime, stop: stopFlag) }
            else if stdin { source = RawPCMSource(stop: stopFlag) }
            else {
                let alsa = try ALSACapture(device: device ?? "default", stop: stopFlag)
                let json = self.json
                alsa.onEvent = { event in
                    switch event {
                    case .overrun: break  // counted; summarised at the end
                    case let .lost(reason): note("device lost (\(reason)); reopening", json: json)
                    case let .reopenFailed(attempt, reason, retryIn): note("reopen attempt \(attempt) failed (\(reason)); next in \(fixed(retryIn, 2)) s", json: json)
                    case let .reopened(attempts): note("device back after \(attempts) attempt\(attempts == 1 ? "" : "s")", json: json)
                    }
                }
                source = alsa
            }
        } catch { throw CommandFailure(String(describing: error)) }

        let live = isatty(1) != 0 && !json
        var status = StatusLine(enabled: live)
        let mode = modelOptions.mode.rawValue
        let started = Date()
        var processing = 0.0
        var buffer = [Int16](repeating: 0, count: 320)
        var failure: Error?
        if !json && !live { print("listening to \(source.name) with \(URL(fileURLWithPath: path).lastPathComponent), mode \(mode)") }
        while !stopFlag.isSet {
            let n: Int
            do { n = try buffer.withUnsafeMutableBufferPointer { try source.read(into: $0) } } catch { failure = error; break }
            if n == 0 { break }
            let t0 = threadCPUSeconds()
            buffer.withUnsafeBufferPointer { b in
                spotter.process(UnsafeBufferPointer(rebasing: b[..<n])) { d in
                    status.clear()
                    if json {
                        print("{\"time\":\(fixed(d.time, 2)),\"keyword\":\(jsonString(d.keyword)),\"confidence\":\(fixed(Double(d.confidence), 3)),\"exit\":\(jsonString(d.exitName)),\"exit_index\":\(d.exit),\"macs\":\(d.macs)}")
                    } else {
                        print("\(fixed(d.time, 2).leftPad(8)) s  \(d.keyword.padding(toLength: 6, withPad: " ", startingAt: 0))  \(fixed(Double(d.confidence), 2))  exit \(d.exitName)  \(macsText(d.macs)) MACs")
                    }
                    fflush(nil)
                    if let command = actions[d.keyword] { runAction(command, d) }
                }
            }
            processing += threadCPUSeconds() - t0
            if live { status.update(spotter.statistics, mode: mode, seconds: spotter.statistics.seconds(rate: spotter.sampleRate)) }
        }
        status.clear()
        summary(spotter.statistics, spotter: spotter, source: source, wall: Date().timeIntervalSince(started), processing: processing)
        if let failure { throw CommandFailure(String(describing: failure)) }
    }

    func runAction(_ command: String, _ d: Detection) {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/bin/sh")
        p.arguments = ["-c", command]
        var env = ProcessInfo.processInfo.environment
        env["VOICE_KEYWORD"] = d.keyword; env["VOICE_CONFIDENCE"] = fixed(Double(d.confidence), 3); env["VOICE_TIME"] = fixed(d.time, 2)
        p.environment = env
        do { try p.run(); p.waitUntilExit() } catch { note("--on \(d.keyword): cannot run /bin/sh: \(error)", json: json) }
    }

    func summary(_ s: KeywordSpotter.Statistics, spotter: KeywordSpotter, source: AudioSource, wall: Double, processing: Double) {
        let audio = s.seconds(rate: spotter.sampleRate)
        let rtf = processing > 0 ? audio / processing : 0
        let exits = zip(spotter.executor.exits, s.exitCounts).map { ($0.name, $1) }
        if json {
            let ex = exits.map { "\(jsonString($0.0)):\($0.1)" }.joined(separator: ",")
            print("{\"summary\":{\"audio_seconds\":\(fixed(audio, 2)),\"detections\":\(s.detections),\"inferences\":\(s.inferences),\"exits\":{\(ex)},\"overruns\":\(source.overruns),\"reopens\":\(source.reopens),\"macs\":\(s.macs),\"macs_saved\":\(fixed(s.macsSaved, 4)),\"processing_seconds\":\(fixed(processing, 4)),\"real_time_factor\":\(fixed(rtf, 1))}}")
        } else {
            print("summary: \(fixed(audio, 2)) s of audio, \(s.detections) detection\(s.detections == 1 ? "" : "s"), \(s.inferences) inferences")
            print("  exits taken: " + exits.map { "\($0.0) \($0.1)" }.joined(separator: ", "))
            print("  overruns: \(source.overruns), device reopens: \(source.reopens)")
            print("  MACs: \(macsText(s.macs)) executed, \(fixed(100 * s.macsSaved)) % saved by early exits")
            print("  processing: \(fixed(processing, 3)) s for \(fixed(audio, 2)) s of audio (\(fixed(rtf, 0))x real time: CPU time of the one processing thread; wall \(fixed(wall, 2)) s)")
        }
    }
}

/// A message for the user: on standard error, so detection lines on standard output stay clean.
func note(_ message: String, json: Bool) {
    FileHandle.standardError.write(Data(("voice: " + message + "\n").utf8))
}

/// The live one-line status on a terminal (level, mode, last keyword), redrawn at most 10 times a second.
struct StatusLine {
    let enabled: Bool
    private var lastDraw = 0.0, shown = false
    init(enabled: Bool) { self.enabled = enabled }

    mutating func update(_ s: KeywordSpotter.Statistics, mode: String, seconds: Double) {
        guard enabled, seconds - lastDraw >= 0.1 else { return }
        lastDraw = seconds
        let level = s.levelDBFS.isFinite ? fixed(s.levelDBFS, 0) + " dBFS" : "silent"
        let meter = String(repeating: "#", count: max(0, min(20, Int((s.levelDBFS + 60) / 3))))
        let last = s.last.map { "\($0.keyword) \(fixed(Double($0.confidence), 2)) at \(fixed($0.time, 1)) s" } ?? "none"
        print("\r\u{1B}[K[\(meter.padding(toLength: 20, withPad: " ", startingAt: 0))] \(level)  mode \(mode)  last: \(last)  \(fixed(seconds, 1)) s", terminator: "")
        fflush(nil)
        shown = true
    }

    mutating func clear() {
        guard enabled, shown else { return }
        print("\r\u{1B}[K", terminator: "")
        shown = false
    }
}

extension String {
    func leftPad(_ n: Int) -> String { count >= n ? self : String(repeating: " ", count: n - count) + self }
}

/// CPU seconds used by the calling thread (front end + model time, not time waiting for audio).
func threadCPUSeconds() -> Double {
    var t = timespec()
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t)
    return Double(t.tv_sec) + Double(t.tv_nsec) * 1e-9
}
