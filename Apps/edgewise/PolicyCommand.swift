import ArgumentParser
import EdgewiseCore
import EdgewiseData
import EdgewiseModel
import EdgewisePolicy
import Foundation

/// `edgewise policy status|simulate|bench`.
struct PolicyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "policy",
        abstract: "The adaptive early-exit policy: device state, simulation, overhead.",
        subcommands: [Status.self, Simulate.self, Bench.self])

    /// `--policy FILE` or the defaults.
    static func configuration(_ path: String?) throws -> PolicyConfiguration {
        guard let path else { return PolicyConfiguration() }
        do { return try PolicyConfiguration.read(path: path) } catch { throw CommandFailure(String(describing: error)) }
    }

    static func calibration(_ m: Model, _ path: String) throws -> PolicyCalibration {
        do {
            guard let c = try PolicyCalibration(model: m, file: path) else {
                throw CommandFailure("\(path): no operating points; run `edgewise calibrate \(path) --data …` first")
            }
            return c
        } catch let e as PolicyError { throw CommandFailure(String(describing: e)) }
    }

    struct Status: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "status",
            abstract: "What the device-state readers see now and the mode `auto` would pick, and why.",
            discussion: """
                Reads ROOT/sys/class/power_supply/*, ROOT/proc/pressure/cpu (else /proc/stat, /proc/loadavg), \
                ROOT/sys/fs/cgroup/cpu.max and ROOT/sys/class/thermal/thermal_zone*. ROOT is / unless --root names \
                a directory laid out like it (tests and demos use fake trees). --device-trace FILE shows the \
                first row of a trace instead.
                """)

        @Option(help: "The directory that stands for / (DIR/sys/class/…, DIR/proc/…).")
        var root: String = "/"

        @Option(help: "Replay this device-state trace (CSV) instead of reading the device.")
        var deviceTrace: String?

        @Option(help: "Policy file (JSON) with thresholds and mode rules (defaults otherwise).")
        var policy: String?

        @Flag(help: "Print JSON.")
        var json = false

        @Flag(help: "Print the default policy file and exit.")
        var printDefaultPolicy = false

        func run() throws {
            if printDefaultPolicy { print(PolicyConfiguration.defaultJSON); return }
            let config = try PolicyCommand.configuration(policy)
            let monitor: any DeviceMonitor
            if let deviceTrace {
                do { monitor = TraceDeviceMonitor(trace: try DeviceTrace(path: deviceTrace)) } catch { throw CommandFailure(String(describing: error)) }
            } else {
                var isDir: ObjCBool = false
                guard FileManager.default.fileExists(atPath: root, isDirectory: &isDir), isDir.boolValue else {
                    throw CommandFailure("\(root): not a directory")
                }
                monitor = DeviceStateReader(root: root)
            }
            let snap = monitor.snapshot(at: 0)
            var selector = ModeSelector(configuration: config)
            let decision = selector.update(snap.state, at: 0)
            let mode = decision?.mode ?? .performance
            let why = decision?.reason ?? "on mains, no pressure"
            let s = snap.state
            if json {
                var o: [String: Any] = ["on_mains": s.onMains, "battery_status": s.batteryStatus.rawValue, "mode": mode.rawValue, "reason": why,
                                        "sources": snap.sources, "warnings": snap.warnings, "details": snap.details]
                o["battery_percent"] = s.batteryPercent ?? NSNull()
                o["cpu_pressure_percent"] = s.cpuPressure ?? NSNull()
                o["cpu_quota_cores"] = s.cpuQuotaCores ?? NSNull()
                o["temperature_c"] = s.temperatureC ?? NSNull()
                o["thermal_headroom_c"] = s.thermalHeadroomC ?? NSNull()
                let d = try JSONSerialization.data(withJSONObject: o, options: [.prettyPrinted, .sortedKeys])
                print(String(decoding: d, as: UTF8.self))
                return
            }
            func row(_ name: String, _ value: String, _ key: String) {
                print(name.padding(toLength: 13, withPad: " ", startingAt: 0) + value.padding(toLength: 28, withPad: " ", startingAt: 0) + (snap.sources[key] ?? ""))
            }
            print("reading \(deviceTrace ?? root)")
            row("battery", s.batteryPercent.map { "\(fixed($0, 0)) % \(s.batteryStatus.rawValue)" } ?? "none", "battery")
            row("power", s.onMains ? "mains" : "battery", "power")
            row("CPU pressure", s.cpuPressure.map { "\(fixed($0, 1)) %" } ?? "unknown (idle)", "pressure")
            row("CPU quota", s.cpuQuotaCores.map { "\(fixed($0, 2)) cores" } ?? "unlimited", "quota")
            row("temperature", s.temperatureC.map { "\(fixed($0, 1)) °C" + (s.thermalHeadroomC.map { ", \(fixed($0, 0)) °C below trip" } ?? "") } ?? "unknown (cool)", "temperature")
            for (k, v) in snap.details.sorted(by: { $0.key < $1.key }) { print("  \(k): \(v)") }
            for w in snap.warnings { print("warning: \(w)") }
            print("auto mode: \(mode.rawValue) (\(why))")
        }
    }

    struct Simulate: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "simulate",
            abstract: "Replay a device-state trace over real inputs and draw the policy's timeline.",
            discussion: """
                Inputs (Speech Commands, --split, repeated --repeat times) are spread evenly over the trace; at \
                each input the policy reads the trace row (battery, charging, PSI, temperature, deadline) and \
                decides at each exit from the model's real outputs. Latency is modelled, not measured: each \
                stage takes its measured time × 1/(1 − PSI) (PSI capped at 90 %), so the deadline rule reacts \
                to the trace's load. --drift-noise adds Gaussian noise to the features of the second half of the \
                stream (input drift); --no-recalibration turns the drift check off for comparison. Writes an SVG \
                timeline (battery/PSI/temperature, mode, threshold, exit taken, latency, running accuracy) and \
                prints a summary and every mode change.
                """)

        @Argument(help: "A calibrated model (.edgewise).")
        var model: String

        @Option(help: "Speech Commands folder (the datasets folder or its kws subfolder).")
        var data: String?

        @Option(help: "Split to stream: train, val or test.")
        var split: String = "test"

        @Option(help: "Repeat the split this many times (a longer stream).")
        var `repeat`: Int = 4

        @Option(help: "Device-state trace (CSV: time_s,battery_percent,charging,psi,temperature_c,deadline_ms).")
        var deviceTrace: String

        @Option(help: "Mode: auto, performance, balanced or saver.")
        var mode: String = "auto"

        @Option(help: "Policy file (JSON).")
        var policy: String?

        @Option(help: "Standard deviation of Gaussian noise added to the second half's features (input drift).")
        var driftNoise: Float = 0

        @Flag(help: "Turn drift recalibration off.")
        var noRecalibration = false

        @Option(help: "SVG timeline to write (default MODEL with .timeline.svg).")
        var svg: String?

        @Option(help: "Folder for cached MFCC features (\"\" disables the cache).")
        var cache: String = "out/cache"

        @OptionGroup var runOptions: RunOptions

        func validate() throws {
            guard SpeechCommands.Split(rawValue: split) != nil else { throw ValidationError("--split must be train, val or test") }
            guard PolicyMode(rawValue: mode) != nil else { throw ValidationError("--mode must be auto, performance, balanced or saver") }
            guard `repeat` >= 1 else { throw ValidationError("--repeat must be at least 1") }
            guard driftNoise >= 0 else { throw ValidationError("--drift-noise must be ≥ 0") }
        }

        func run() throws {
            let trace: DeviceTrace
            do { trace = try DeviceTrace(path: deviceTrace) } catch { throw CommandFailure(String(describing: error)) }
            let m = try loadModel(model)
            let cal = try PolicyCommand.calibration(m, model)
            var config = try PolicyCommand.configuration(policy)
            if noRecalibration { config.recalibration.enabled = false }
            let exec = try runOptions.executor(for: m, path: model)
            let data = try PolicyData.load(SpeechCommands.Split(rawValue: split)!, dataDirectory: data, cache: cache.isEmpty ? nil : cache).repeated(`repeat`)
            let n = data.count
            let outputs = PolicyData.outputs(exec, data, noise: driftNoise > 0 ? (n / 2, driftNoise) : nil)
            var lines: [String] = []
            let clock = ManualClock()
            let p: ExitPolicy
            do {
                p = try ExitPolicy(calibration: cal, configuration: config, mode: PolicyMode(rawValue: mode)!, clock: clock) { lines.append($0) }
            } catch { throw CommandFailure(String(describing: error)) }
            let stage = measuredStages(exec, exits: cal.exitNames.count)
            p.setStageLatencies(stage)
            let monitor = TraceDeviceMonitor(trace: trace)
            var rows: [PolicyPlots.TimelineRow] = []
            var correct = 0
            let span = max(trace.duration, 1e-9)
            for i in 0..<n {
                let t = trace.rows[0].time + span * Double(i) / Double(max(1, n - 1))
                clock.now = UInt64((t - trace.rows[0].time) * 1e9)
                let snap = monitor.snapshot(at: clock.now)
                let row = trace.row(at: t)
                let t0 = clock.now
                p.update(snap.state)
                let slow = 1 / (1 - min(90, snap.state.cpuPressure ?? 0) / 100)
                let deadline = row.deadlineMilliseconds.map { UInt64($0 * 1e6) } ?? 0
                p.begin(deadlineNanoseconds: deadline)
                var exitIndex = cal.exitNames.count - 1
                for k in 0..<cal.exitNames.count {
                    clock.advance(nanoseconds: UInt64(stage[k] * slow))
                    if k == cal.exitNames.count - 1 { break }
                    let stop = outputs[i][k].withUnsafeBufferPointer { p.decide(exitIndex: k, values: $0) == .stop }
                    if stop { exitIndex = k; break }
                }
                let o = outputs[i][exitIndex].withUnsafeBufferPointer { p.finish(exitIndex: exitIndex, values: $0) }
                if o.predicted == data.labels[i] { correct += 1 }
                rows.append(.init(time: t, battery: snap.state.batteryPercent, psi: snap.state.cpuPressure, temperature: snap.state.temperatureC,
                                  mode: p.mode, threshold: p.currentThresholds[0], exitIndex: o.exitIndex,
                                  latencyMilliseconds: Double(clock.now - t0) / 1e6, deadlineMilliseconds: row.deadlineMilliseconds,
                                  runningAccuracy: Double(correct) / Double(i + 1)))
            }
            let c = p.counters
            print("mode changes and recalibration:")
            for l in lines { print("  " + l) }
            print("inputs \(n) (\(split) split × \(`repeat`)), accuracy \(fixed(Double(correct) / Double(n) * 100, 2)) %")
            if driftNoise > 0 {
                let h = n / 2
                let first = rows[h - 1].runningAccuracy * Double(h)
                print("  first half \(fixed(first / Double(h) * 100, 2)) %, second half (features + N(0, \(driftNoise)²)) \(fixed((Double(correct) - first) / Double(n - h) * 100, 2)) %")
            }
            print("inputs per exit: " + zip(cal.exitNames, c.inputsPerExit).map { "\($0) \($1)" }.joined(separator: ", "))
            print("MACs saved \(fixed(c.savedFraction * 100)) % of all-final; deadline stops \(c.deadlineStops), deadline misses \(c.deadlineMisses); audits \(c.audits); mode changes \(c.modeChanges)")
            print("stage latency (measured, ms): " + stage.map { fixed($0 / 1e6, 3) }.joined(separator: ", ") + "; latency in the timeline = stage × 1/(1 − PSI)")
            let svgPath = svg ?? ((model as NSString).deletingPathExtension + ".timeline.svg")
            try PolicyPlots.timeline(title: "\((model as NSString).lastPathComponent) over \((deviceTrace as NSString).lastPathComponent) (\(n) inputs, mode \(mode))",
                                     rows: rows, exitNames: cal.exitNames).write(toFile: svgPath, atomically: true, encoding: .utf8)
            print("wrote \(svgPath)")
        }

        /// Median stage times on the real clock.
        func measuredStages(_ exec: Executor, exits: Int) -> [Double] {
            let clock = MonotonicClock()
            var samples = [[Double]](repeating: [], count: exits)
            for _ in 0..<50 {
                var last = clock.nanoseconds(), k = 0
                exec.run { _ in let now = clock.nanoseconds(); samples[k].append(Double(now - last)); last = now; k += 1; return .continue }
                samples[exits - 1].append(Double(clock.nanoseconds() - last))
            }
            return samples.map { $0.sorted()[$0.count / 2] }
        }
    }

    struct Bench: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "bench",
            abstract: "Decision overhead of the policy in nanoseconds, and deadline misses under a CPU-load spike.",
            discussion: """
                Times ExitPolicy.decide on a real exit output (median of 7 rounds of 200,000 decisions), and a full \
                policy.run against a plain executor.run. With --deadline-ms, runs --inputs inferences with a busy \
                loop on another thread (the load spike) with and without the deadline rule and reports the share of \
                deadline misses. Timings on a shared machine are noisy; quote them as rough.
                """)

        @Argument(help: "A calibrated model (.edgewise).")
        var model: String

        @Option(help: "Deadline for the load-spike measurement, in milliseconds (0: skip it).")
        var deadlineMs: Double = 0

        @Option(help: "Inferences per run of the load-spike measurement.")
        var inputs: Int = 2000

        @Option(help: "Busy-loop threads for the load spike.")
        var busyThreads: Int = 1

        @OptionGroup var runOptions: RunOptions

        func run() throws {
            let m = try loadModel(model)
            let cal = try PolicyCommand.calibration(m, model)
            let exec = try runOptions.executor(for: m, path: model)
            var rng = SeededGenerator(seed: 3)
            for i in 0..<exec.input.count { exec.input[i] = rng.uniform(-1...1) }
            let p = try ExitPolicy(calibration: cal, mode: .balanced)
            exec.runToEnd()
            let first = exec.exits[0]
            let clock = MonotonicClock()
            var rounds: [Double] = []
            var sink = 0
            for _ in 0..<7 {
                let n = 200_000
                let t0 = clock.nanoseconds()
                for _ in 0..<n { p.begin(); if p.decide(first) == .stop { sink += 1 } }
                rounds.append(Double(clock.nanoseconds() - t0) / Double(n))
            }
            print("decide(): \(fixed(rounds.sorted()[3], 1)) ns per decision (begin + one exit; median of 7 × 200,000; \(cal.measure.rawValue), \(first.values.count) classes)\(sink < 0 ? "" : "")")
            var plain: [Double] = [], policy: [Double] = []
            for _ in 0..<5 {
                var t0 = clock.nanoseconds()
                for _ in 0..<200 { exec.runToEnd() }
                plain.append(Double(clock.nanoseconds() - t0) / 200)
                p.setMode(.performance)
                t0 = clock.nanoseconds()
                for _ in 0..<200 { p.run(exec) }
                policy.append(Double(clock.nanoseconds() - t0) / 200)
            }
            print("full inference to the final exit: plain \(fixed(plain.sorted()[2] / 1000, 1)) µs, under the policy (performance) \(fixed(policy.sorted()[2] / 1000, 1)) µs")
            guard deadlineMs > 0 else { return }
            let flag = BusyFlag()
            for _ in 0..<max(1, busyThreads) {
                Thread.detachNewThread {
                    var x = 0.0
                    while !flag.stop { for k in 0..<10_000 { x += Double(k).squareRoot() } }
                    if x < 0 { print(x) }
                }
            }
            Thread.sleep(forTimeInterval: 0.2)
            let lp = try ExitPolicy(calibration: cal, mode: .performance)
            lp.measureLatency(exec, iterations: 30)
            let deadline = UInt64(deadlineMs * 1e6)
            var missWith = 0, missWithout = 0, stops = 0
            for i in 0..<inputs {
                if i % 2 == 0 {
                    lp.run(exec, deadlineNanoseconds: deadline)
                    if lp.lastOutcome.missedDeadline { missWith += 1 }
                    if lp.lastOutcome.deadlineStop { stops += 1 }
                } else {
                    let t0 = clock.nanoseconds()
                    exec.runToEnd()
                    if clock.nanoseconds() - t0 > deadline { missWithout += 1 }
                }
            }
            flag.stop = true
            let half = Double(inputs / 2)
            print("load spike (\(busyThreads) busy thread(s)), deadline \(fixed(deadlineMs, 3)) ms, \(inputs / 2) inputs each, interleaved:")
            print("  without the deadline rule: \(fixed(Double(missWithout) / half * 100, 1)) % missed")
            print("  with the deadline rule:    \(fixed(Double(missWith) / half * 100, 1)) % missed (\(fixed(Double(stops) / half * 100, 1)) % stopped early by the deadline; load factor \(fixed(lp.loadFactor, 2)))")
        }
    }
}

/// Tells the load-spike threads to end (a plain flag: a late read costs one more loop).
final class BusyFlag: @unchecked Sendable { var stop = false }
