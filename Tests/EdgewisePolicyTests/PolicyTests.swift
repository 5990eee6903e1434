import EdgewiseTesting
import EdgewiseArchitectures
import CMallocCounter
import EdgewiseCore
import EdgewiseModel
import Foundation
import Testing
import EdgewisePolicy

@Suite struct ModeSelectionTests {
    func battery(_ p: Double, charging: Bool = false, psi: Double? = nil, temp: Double? = nil) -> DeviceState {
        DeviceState(batteryPercent: p, onMains: charging, batteryStatus: charging ? .charging : .discharging, cpuPressure: psi, temperatureC: temp)
    }

    @Test func scriptedStatesPickModes() {
        var c = PolicyConfiguration(); c.minimumDwellSeconds = 0
        var s = ModeSelector(configuration: c)
        var t: UInt64 = 0
        func mode(_ st: DeviceState) -> PolicyMode { t += 1_000_000_000; _ = s.update(st, at: t); return s.mode }
        #expect(mode(.mains) == .performance)
        #expect(mode(DeviceState(cpuPressure: 5)) == .performance)
        #expect(mode(battery(80)) == .balanced)           // on battery
        #expect(mode(battery(18)) == .saver)              // low battery
        #expect(mode(battery(18, charging: true)) == .performance)  // plugged in
        #expect(mode(DeviceState(cpuPressure: 50)) == .balanced)
        #expect(mode(DeviceState(cpuPressure: 95)) == .saver)
        #expect(mode(DeviceState(cpuPressure: 20)) == .performance)
        #expect(mode(DeviceState(temperatureC: 75)) == .balanced)
        #expect(mode(DeviceState(temperatureC: 90)) == .saver)
        #expect(mode(DeviceState(temperatureC: 40, thermalHeadroomC: 3)) == .saver)
        #expect(mode(DeviceState(cpuQuotaCores: 0.5)) == .balanced)
        #expect(mode(.mains) == .performance)
    }

    @Test func noisyBatteryDoesNotFlap() {
        var c = PolicyConfiguration(); c.minimumDwellSeconds = 0
        var s = ModeSelector(configuration: c)
        var rng = SystemRandomNumberGenerator()
        var changes = 0
        // Battery hovering around the 20 % saver threshold with ±2 % reading noise, draining slowly.
        for i in 0..<2000 {
            let level = 21 - Double(i) * 0.001 + Double.random(in: -2...2, using: &rng)
            if s.update(battery(level), at: UInt64(i) * 1_000_000_000) != nil { changes += 1 }
        }
        #expect(changes <= 2, "\(changes) mode changes")  // into balanced, then at most once into saver
    }

    @Test func dwellTimeDelaysChanges() {
        var s = ModeSelector(configuration: PolicyConfiguration())  // 10 s dwell
        #expect(s.update(battery(50), at: 0)?.mode == .balanced)
        #expect(s.update(battery(10), at: 3_000_000_000) == nil)
        #expect(s.mode == .balanced)
        let late = s.update(battery(10), at: 10_500_000_000)
        #expect(late?.mode == .saver)
        #expect(late?.reason == "battery ≤ 20 %")
        #expect(s.update(.mains, at: 12_000_000_000) == nil)
        #expect(s.update(.mains, at: 21_000_000_000)?.mode == .performance)
    }

    @Test func policyFileDefaultsAndErrors() throws {
        let c = try PolicyConfiguration.parse(Data(#"{"battery": {"saverBelowPercent": 30}, "minimumDwellSeconds": 2}"#.utf8), file: "p.json")
        #expect(c.battery.saverBelowPercent == 30 && c.battery.hysteresisPercent == 5 && c.minimumDwellSeconds == 2)
        #expect(throws: PolicyError.self) { try PolicyConfiguration.parse(Data(#"{"batery": {}}"#.utf8), file: "p.json") }
        #expect(throws: PolicyError.self) { try PolicyConfiguration.parse(Data(#"{"budgets": {"balanced": 9, "saver": 1}}"#.utf8), file: "p.json") }
        #expect(throws: PolicyError.self) { try PolicyConfiguration.parse(Data("[1]".utf8), file: "p.json") }
        let round = try PolicyConfiguration.parse(Data(PolicyConfiguration.defaultJSON.utf8), file: "d.json")
        #expect(round == PolicyConfiguration())
    }
}

@Suite struct ExitPolicyTests {
    /// Runs one input through `policy` on a manual clock: stage `k` takes `stageNs[k]`, exit `k` outputs `outputs[k]`.
    @discardableResult
    func simulate(_ policy: ExitPolicy, _ clock: ManualClock, stageNs: [UInt64], outputs: [[Float]], deadline: UInt64 = 0) -> PolicyOutcome {
        policy.begin(deadlineNanoseconds: deadline)
        for k in 0..<stageNs.count {
            clock.advance(nanoseconds: stageNs[k])
            let last = k == stageNs.count - 1
            let stop = outputs[k].withUnsafeBufferPointer { last || policy.decide(exitIndex: k, values: $0) == .stop }
            if stop { return outputs[k].withUnsafeBufferPointer { policy.finish(exitIndex: k, values: $0) } }
        }
        fatalError()
    }

    @Test func modesPickThresholdsAndLogWhy() throws {
        var lines: [String] = []
        let clock = ManualClock()
        var c = PolicyConfiguration(); c.minimumDwellSeconds = 0
        let p = try ExitPolicy(calibration: sampleCalibration(), configuration: c, mode: .auto, clock: clock) { lines.append($0) }
        #expect(p.mode == .performance)
        p.update(DeviceState(batteryPercent: 18, onMains: false, batteryStatus: .discharging, cpuPressure: 4))
        #expect(p.mode == .saver)
        #expect(p.currentThresholds == [0.6, 0.5, 0])
        #expect(lines.last == "battery 18 % discharging, PSI 4 % → saver (battery ≤ 20 %): budget 5 pt, expected MACs 40 %")
        p.setMode(.balanced)
        #expect(p.currentThresholds == [0.9, 0.85, 0])
        p.setMode(.performance)
        #expect(p.currentThresholds == [.infinity, .infinity, 0])
    }

    @Test func confidenceStopsAndPerformanceRunsToTheEnd() throws {
        let clock = ManualClock()
        var c = PolicyConfiguration(); c.recalibration.enabled = false
        let p = try ExitPolicy(calibration: sampleCalibration(), configuration: c, mode: .balanced, clock: clock)
        let st: [UInt64] = [300, 300, 400]
        #expect(simulate(p, clock, stageNs: st, outputs: [probs(0.95), probs(0.5), probs(0.5)]).exitIndex == 0)
        #expect(simulate(p, clock, stageNs: st, outputs: [probs(0.5), probs(0.86, answer: 2), probs(0.5)]) ==
                PolicyOutcome(exitIndex: 1, predicted: 2, deadlineStop: false, audited: false, elapsedNanoseconds: 600, missedDeadline: false))
        #expect(simulate(p, clock, stageNs: st, outputs: [probs(0.5), probs(0.5), probs(0.5)]).exitIndex == 2)
        // Logits work too: a very peaked logit vector is confident.
        #expect(simulate(p, clock, stageNs: st, outputs: [[9, 0, 0, 0], probs(0.5), probs(0.5)]).exitIndex == 0)
        #expect(p.counters.inputsPerExit == [2, 1, 1])
        #expect(p.counters.macsSaved == 700 * 2 + 400)
        p.setMode(.performance)
        #expect(simulate(p, clock, stageNs: st, outputs: [probs(0.99), probs(0.99), probs(0.5)]).exitIndex == 2)
    }

    @Test func deadlineStopsNeverOverrunByMoreThanOneStage() throws {
        var rng = SeededGenerator(seed: 7)
        let clock = ManualClock()
        var c = PolicyConfiguration(); c.recalibration.enabled = false
        let p = try ExitPolicy(calibration: sampleCalibration(), configuration: c, mode: .performance, clock: clock)
        p.setStageLatencies([1_000_000, 1_000_000, 2_000_000])
        var stops = 0
        for _ in 0..<2000 {
            // Load varies from 0.5× to 4× the calibrated speed, sometimes jumping between inputs.
            let load = Double.random(in: 0.5...4, using: &rng)
            let st = [1_000_000, 1_000_000, 2_000_000].map { UInt64(Double($0) * load * Double.random(in: 0.9...1.1, using: &rng)) }
            let deadline = UInt64.random(in: 1_500_000...6_000_000, using: &rng)
            let o = simulate(p, clock, stageNs: st, outputs: [probs(0.5), probs(0.5), probs(0.5)], deadline: deadline)
            if o.deadlineStop { stops += 1 }
            // The first stage always runs; after that a stage starts only if it is predicted to fit, so the
            // overrun is at most the stage that was mispredicted.
            let ranUpTo = o.exitIndex
            let lastStage = st[ranUpTo]
            if ranUpTo > 0 { #expect(o.elapsedNanoseconds <= deadline + lastStage, "overran by more than one stage") }
        }
        #expect(stops > 200)
        #expect(p.counters.deadlineStops == stops)
        // After a burst of slow inputs the load factor has caught up.
        #expect(p.loadFactor > 0.4)
    }

    @Test func loadFactorTracksSlowdown() throws {
        let clock = ManualClock()
        let p = try ExitPolicy(calibration: sampleCalibration(), mode: .performance, clock: clock)
        p.setStageLatencies([1000, 1000, 2000])
        for _ in 0..<50 { simulate(p, clock, stageNs: [3000, 3000, 6000], outputs: [probs(0.5), probs(0.5), probs(0.5)]) }
        #expect(abs(p.loadFactor - 3) < 0.05)
        // Deadline 5 µs: stage 2 (predicted 3 µs × 1.1) does not fit after 3 µs + 3 µs... stop after exit 0? elapsed 3 µs + 3.3 µs > 5 µs.
        let o = simulate(p, clock, stageNs: [3000, 3000, 6000], outputs: [probs(0.5), probs(0.5), probs(0.5)], deadline: 5000)
        #expect(o.exitIndex == 0 && o.deadlineStop && !o.missedDeadline)
    }

    @Test func recalibrationTightensOnDriftAndRelaxesAfter() throws {
        let clock = ManualClock()
        var c = PolicyConfiguration()
        c.recalibration.share = 0.5; c.recalibration.window = 10; c.recalibration.minAuditsBetweenChanges = 10
        var lines: [String] = []
        let p = try ExitPolicy(calibration: sampleCalibration(), configuration: c, mode: .balanced, clock: clock) { lines.append($0) }
        let st: [UInt64] = [300, 300, 400]
        // Drift: exit 0 is confident but disagrees with the final exit.
        for _ in 0..<200 { simulate(p, clock, stageNs: st, outputs: [probs(0.99, answer: 1), probs(0.1), probs(0.9, answer: 0)]) }
        #expect(p.counters.audits >= 40)
        #expect(p.recalibrationOffsets[0] > 0)
        #expect(p.currentThresholds[0] > 0.9)
        #expect(lines.contains { $0.hasPrefix("exit early1: agreement with final") && $0.contains("→ threshold 0.900 → 0.920") })
        let tightened = p.recalibrationOffsets[0]
        // Agreement returns.
        for _ in 0..<400 { simulate(p, clock, stageNs: st, outputs: [probs(0.99, answer: 0), probs(0.1), probs(0.9, answer: 0)]) }
        #expect(p.recalibrationOffsets[0] < tightened)
        #expect(lines.contains { $0.contains("back to") })
    }

    @Test func auditsAreSkippedOnLowBatteryAndWhenTheDeadlineIsTight() throws {
        let clock = ManualClock()
        var c = PolicyConfiguration(); c.recalibration.share = 1; c.minimumDwellSeconds = 0
        let p = try ExitPolicy(calibration: sampleCalibration(), configuration: c, mode: .saver, clock: clock)
        p.setStageLatencies([300, 300, 400])
        let outs = [probs(0.99), probs(0.1), probs(0.9)]
        #expect(simulate(p, clock, stageNs: [300, 300, 400], outputs: outs).audited)
        #expect(simulate(p, clock, stageNs: [300, 300, 400], outputs: outs, deadline: 600).exitIndex == 0)
        p.update(DeviceState(batteryPercent: 10, onMains: false, batteryStatus: .discharging))
        #expect(simulate(p, clock, stageNs: [300, 300, 400], outputs: outs).exitIndex == 0)
    }

    @Test(.enabled(if: isReleaseBuild, "zero-allocation decisions are a release-build property"))
    func decisionsAllocateNothing() throws {
        var cfg = DSCNN.Config.small
        cfg.earlyExitAfterBlock = 2
        let e = try Executor(graph: try DSCNN.build(cfg))
        let exits = e.exits
        let cal = PolicyCalibration(measure: .entropy, exitNames: exits.map(\.name), exitMACs: exits.map(\.cumulativeMACs), finalAccuracy: 0.9,
                                    samples: 1, points: [OperatingPoint(budgetPoints: 1, thresholds: [0.05, 0], accuracy: 0.9, expectedMACFraction: 0.5,
                                                                        exitRates: [0.5, 0.5], exitAccuracy: [0.9, 0.9], agreement: [0.5, 1])])
        var c = PolicyConfiguration(); c.recalibration.share = 0.5; c.recalibration.tolerancePoints = 100
        let p = try ExitPolicy(calibration: cal, configuration: c, mode: .balanced)
        p.measureLatency(e, iterations: 3)
        for i in 0..<e.input.count { e.input[i] = Float(i % 7) * 0.1 }
        p.run(e, deadlineNanoseconds: 1_000_000_000)
        ew_malloc_counter_start()
        for i in 0..<200 { p.run(e, deadlineNanoseconds: i % 2 == 0 ? 0 : 50_000) }
        let mallocs = ew_malloc_counter_stop()
        #expect(mallocs == 0, "\(mallocs) heap allocations in 200 policy-run inferences")
        #expect(p.counters.inputs == 201)
    }

    @Test func decisionOverheadIsSmall() throws {
        // Not a benchmark (timings on a shared CI machine are noisy): a generous bound that catches an accidental O(n²) or allocation.
        let p = try ExitPolicy(calibration: sampleCalibration(), mode: .balanced)
        let out = probs(0.5)
        let n = 100_000
        let t0 = MonotonicClock().nanoseconds()
        var stops = 0
        out.withUnsafeBufferPointer { v in
            for _ in 0..<n { p.begin(); if p.decide(exitIndex: 0, values: v) == .stop { stops += 1 } }
        }
        let ns = Double(MonotonicClock().nanoseconds() - t0) / Double(n)
        #expect(ns < 20_000, "\(ns) ns per decision")
        #expect(stops == 0)
    }
}

@Suite struct CalibrationTests {
    /// Synthetic 3-exit observations: exit k is right with probability rising with k; confidence
    /// correlates with being right.
    func observations(_ n: Int = 600, seed: UInt64 = 3) -> ExitObservations {
        var rng = SeededGenerator(seed: seed)
        var obs = ExitObservations(exitNames: ["early1", "early2", "final"], exitMACs: [300, 600, 1000])
        for _ in 0..<n {
            let label = Int.random(in: 0..<4, using: &rng)
            let easy = Double.random(in: 0...1, using: &rng)
            var outs: [[Float]] = []
            for k in 0..<3 {
                let right = easy + 0.2 * Double(k) > 0.55
                let conf = Float(right ? 0.5 + 0.5 * min(1, easy + 0.2 * Double(k)) : 0.3 + 0.3 * easy)
                outs.append(probs(conf, answer: right ? label : (label + 1) % 4))
            }
            obs.append(outputs: outs, label: label)
        }
        return obs
    }

    @Test func operatingPointsMeetTheirBudgetsWithFewerMACs() {
        let obs = observations()
        let cal = Calibrator.calibrate(obs, measure: .maxProbability)
        #expect(cal.points.map(\.budgetPoints) == [0, 0.5, 1, 2, 5])
        var lastMACs = 1.0 + 1e-9
        for p in cal.points {
            #expect(p.accuracy >= cal.finalAccuracy - p.budgetPoints / 100 - 1e-9)
            #expect(p.expectedMACFraction <= lastMACs)
            lastMACs = p.expectedMACFraction
            #expect(abs(p.exitRates.reduce(0, +) - 1) < 1e-9)
        }
        #expect(cal.points.last!.expectedMACFraction < 0.8)
        // Re-evaluating the chosen thresholds reproduces the point.
        let p = cal.points[2]
        #expect(obs.evaluate(measure: .maxProbability, thresholds: p.thresholds).expectedMACFraction == p.expectedMACFraction)
        let curve = Calibrator.sharedEntropyCurve(obs)
        #expect(curve.count == 61)
        #expect(Calibrator.fixedExits(obs).map(\.macFraction) == [0.3, 0.6, 1])
    }

    @Test func operatingPointsRoundTripThroughTheModelFile() throws {
        var cfg = DSCNN.Config.small
        cfg.earlyExitAfterBlock = 1
        let g = try DSCNN.build(cfg)
        let names = g.exits.map(\.head.name)
        var obs = ExitObservations(exitNames: names, exitMACs: [100, 1000])
        var rng = SeededGenerator(seed: 1)
        for i in 0..<200 {
            let c = Float.random(in: 0.3...1, using: &rng)
            obs.append(outputs: [probs(c, answer: c > 0.6 ? i % 4 : 0), probs(0.9, answer: i % 4)], label: i % 4)
        }
        let cal = Calibrator.calibrate(obs, measure: .margin)
        var model = Model(graph: g, labels: ["a", "b", "c", "d"])
        try cal.store(in: &model)
        let path = NSTemporaryDirectory() + "policy-roundtrip-\(UUID().uuidString).edgewise"
        defer { try? FileManager.default.removeItem(atPath: path) }
        try ModelFile.write(model, to: path)
        let back = try ModelFile.read(path: path)
        #expect(back.exitCalibration[names[0]]?.thresholds.count == 5)
        let read = try #require(try PolicyCalibration(model: back))
        #expect(read == cal)
        #expect(try PolicyCalibration(model: Model(graph: g)) == nil)
        // A table that does not match the metadata is an error naming the exit.
        var broken = back
        broken.exitCalibration[names[0]]!.thresholds.removeLast(); broken.exitCalibration[names[0]]!.accuracy.removeLast(); broken.exitCalibration[names[0]]!.exitRate.removeLast()
        #expect { try PolicyCalibration(model: broken, file: "m.edgewise") } throws: { "\($0)".contains(names[0]) }
    }

    @Test func confidenceMeasures() {
        let p: [Float] = [0.7, 0.2, 0.1, 0]
        #expect(ConfidenceMeasure.maxProbability.evaluate(p) == (0.7, 0))
        #expect(abs(ConfidenceMeasure.margin.evaluate(p).score - 0.5) < 1e-6)
        #expect(ConfidenceMeasure.entropy.evaluate([1, 0, 0, 0]).score == 1)
        #expect(abs(ConfidenceMeasure.entropy.evaluate([0.25, 0.25, 0.25, 0.25]).score) < 1e-6)
        // Logits give the same scores as their softmax.
        let z: [Float] = [2, 1, 0.5, -1]
        let e = z.map { expf($0) }, s = e.reduce(0, +)
        let sm = e.map { $0 / s }
        for m in ConfidenceMeasure.allCases { #expect(abs(m.evaluate(z).score - m.evaluate(sm).score) < 1e-5) }
        #expect(ConfidenceMeasure.maxProbability.evaluate([Float.nan, 1]).score.isNaN == false)
    }
}
