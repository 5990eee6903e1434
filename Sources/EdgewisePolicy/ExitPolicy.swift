import EdgewiseCore
import Foundation

/// What the policy has done so far.
public struct PolicyCounters: Sendable, Equatable {
    /// Inputs answered at each exit (exit order).
    public var inputsPerExit: [Int]
    /// Inputs stopped because the next stage would have overrun the deadline.
    public var deadlineStops: Int = 0
    /// Inputs that finished after their deadline.
    public var deadlineMisses: Int = 0
    /// Early-stopped inputs also run to the final exit to check agreement.
    public var audits: Int = 0
    /// MACs not executed compared with running every input to the final exit.
    public var macsSaved: Int = 0
    /// MACs executed.
    public var macsExecuted: Int = 0
    /// Mode changes.
    public var modeChanges: Int = 0

    public var inputs: Int { inputsPerExit.reduce(0, +) }
    /// MACs saved as a fraction of all-final.
    public var savedFraction: Double { Double(macsSaved) / Double(max(1, macsSaved + macsExecuted)) }
}

/// How the last input ended.
public struct PolicyOutcome: Sendable, Equatable {
    public var exitIndex: Int
    public var predicted: Int
    public var deadlineStop: Bool
    /// The input was audited (ran to the final exit although an earlier exit was confident).
    public var audited: Bool
    public var elapsedNanoseconds: UInt64
    public var missedDeadline: Bool

    public init(exitIndex: Int, predicted: Int, deadlineStop: Bool, audited: Bool, elapsedNanoseconds: UInt64, missedDeadline: Bool) {
        self.exitIndex = exitIndex; self.predicted = predicted; self.deadlineStop = deadlineStop; self.audited = audited
        self.elapsedNanoseconds = elapsedNanoseconds; self.missedDeadline = missedDeadline
    }
}

/// The adaptive early-exit policy every app uses: one per model (and per thread).
///
/// ```swift
/// let policy = try ExitPolicy(calibration: cal, mode: .auto)       // cal from PolicyCalibration(model:)
/// policy.measureLatency(executor)                                  // per-stage times, at load
/// policy.update(device.snapshot(at: clock.nanoseconds()).state)    // between inputs, e.g. once a second
/// executor.input.update(from: features)
/// let out = policy.run(executor, deadlineNanoseconds: 20_000_000)  // or begin / executor.run { policy.decide($0) } / finish
/// ```
///
/// At each exit it stops when the exit's confidence reaches the operating point's threshold for that
/// exit (``PolicyCalibration/measure``), or when the time spent plus the next stage's predicted time
/// (calibrated stage latency × a load factor tracked by an EWMA) would overrun the deadline. The operating
/// point comes from the mode: `performance` runs to the final exit, `balanced` and `saver` use their
/// accuracy budgets, `auto` picks one of them from the device state (``ModeSelector``).
///
/// Drift recalibration: a random share of the inputs that an exit would stop are run on to the final
/// exit (the app receives the final answer); per exit, the agreement between that exit's answer and the
/// final one is averaged, and the exit's threshold is raised by `step` when agreement falls below the
/// calibrated level by more than the tolerance, and lowered back when it recovers. Each change is logged.
///
/// `decide`, `run` and `finish` perform no heap allocation (mode changes and recalibration messages do,
/// but they are rare). Not thread-safe: use one policy per executor.
public final class ExitPolicy {
    public let calibration: PolicyCalibration
    public let configuration: PolicyConfiguration
    public let clock: any PolicyClock
    /// Receives one line per mode change and per recalibration step.
    public var log: (String) -> Void

    /// The requested mode (`auto` or a fixed one).
    public private(set) var requestedMode: PolicyMode
    /// The mode in force (never `auto`).
    public private(set) var mode: PolicyMode = .performance
    /// The operating point in force (``PolicyCalibration/alwaysFinal`` in performance).
    public private(set) var operatingPoint: OperatingPoint
    public private(set) var counters: PolicyCounters
    /// The last device state fed to ``update(_:)``.
    public private(set) var deviceState = DeviceState.mains
    public private(set) var lastOutcome = PolicyOutcome(exitIndex: 0, predicted: 0, deadlineStop: false, audited: false, elapsedNanoseconds: 0, missedDeadline: false)

    private var selector: ModeSelector
    private let exits: Int
    private let thresholds: UnsafeMutableBufferPointer<Float>
    private let offsets: UnsafeMutableBufferPointer<Float>
    /// Calibrated time of each stage (from the previous exit, or the start, to this exit), ns.
    private let stageNanoseconds: UnsafeMutableBufferPointer<Double>
    private let auditAnswer: UnsafeMutableBufferPointer<Int>
    /// 1: audited (confident at the effective threshold), 2: in the band between the calibrated and the
    /// tightened threshold (runs on anyway, so observed for free).
    private let auditKind: UnsafeMutableBufferPointer<Int>
    private let agreement: UnsafeMutableBufferPointer<Double>
    private let bandAgreement: UnsafeMutableBufferPointer<Double>
    private let bandSinceChange: UnsafeMutableBufferPointer<Int>
    private let auditsSinceChange: UnsafeMutableBufferPointer<Int>
    private let inputsPerExit: UnsafeMutableBufferPointer<Int>
    /// Observed / calibrated stage time, EWMA.
    public private(set) var loadFactor: Double = 1
    private var rng: UInt64
    // Per-input state.
    private var start: UInt64 = 0, mark: UInt64 = 0, deadline: UInt64 = 0
    private var auditing = false, deadlineStop = false, stoppedAt = -1

    /// `calibration` gives the exits, their MACs and the operating points. `mode` may be changed later.
    public init(calibration: PolicyCalibration, configuration: PolicyConfiguration = .init(), mode: PolicyMode = .auto,
                clock: any PolicyClock = MonotonicClock(), log: @escaping (String) -> Void = { _ in }) throws(PolicyError) {
        guard calibration.exitNames.count >= 1, !calibration.points.isEmpty,
              calibration.points.allSatisfy({ $0.thresholds.count == calibration.exitNames.count && $0.agreement.count == calibration.exitNames.count }) else {
            throw .calibrationMismatch("calibration has \(calibration.exitNames.count) exits and points of other sizes")
        }
        if let p = configuration.problem { throw .badConfiguration(file: "policy", reason: p) }
        self.calibration = calibration; self.configuration = configuration; self.clock = clock; self.log = log
        self.requestedMode = mode
        exits = calibration.exitNames.count
        func buffer<T>(_ v: T) -> UnsafeMutableBufferPointer<T> {
            let b = UnsafeMutableBufferPointer<T>.allocate(capacity: calibration.exitNames.count)
            b.initialize(repeating: v)
            return b
        }
        thresholds = buffer(Float.infinity); offsets = buffer(Float(0)); stageNanoseconds = buffer(0.0)
        auditAnswer = buffer(-1); auditKind = buffer(0); agreement = buffer(1.0); bandAgreement = buffer(1.0); bandSinceChange = buffer(0); auditsSinceChange = buffer(0); inputsPerExit = buffer(0)
        // Until measured, stage time ∝ MACs at 1 ns per MAC (deliberately pessimistic).
        var prev = 0
        for (e, m) in calibration.exitMACs.enumerated() { stageNanoseconds[e] = Double(max(1, m - prev)); prev = m }
        rng = configuration.recalibration.seed | 1
        operatingPoint = calibration.alwaysFinal
        counters = PolicyCounters(inputsPerExit: [Int](repeating: 0, count: calibration.exitNames.count))
        selector = ModeSelector(configuration: configuration)
        if mode == .auto { apply(.performance, reason: "start") } else { apply(mode, reason: "requested") }
    }

    deinit {
        thresholds.deallocate(); offsets.deallocate(); stageNanoseconds.deallocate(); auditAnswer.deallocate()
        auditKind.deallocate(); bandAgreement.deallocate(); bandSinceChange.deallocate()
        agreement.deallocate(); auditsSinceChange.deallocate(); inputsPerExit.deallocate()
    }

    // MARK: Mode

    /// Switches the requested mode (`auto` re-evaluates at the next ``update(_:)``).
    public func setMode(_ m: PolicyMode) {
        requestedMode = m
        selector = ModeSelector(configuration: configuration)
        if m != .auto { apply(m, reason: "requested") } else { update(deviceState) }
    }

    /// Feeds the current device state; in `auto` this may change the mode (logged with its reason).
    public func update(_ state: DeviceState) {
        deviceState = state
        guard requestedMode == .auto else { return }
        if let (m, why) = selector.update(state, at: clock.nanoseconds()) { apply(m, reason: why, state: state) }
    }

    private func apply(_ m: PolicyMode, reason: String, state: DeviceState? = nil) {
        let changed = m != mode
        mode = m
        let point = configuration.budget(for: m).map { calibration.point(forBudget: $0) } ?? calibration.alwaysFinal
        operatingPoint = point
        for e in 0..<exits {
            agreement[e] = point.agreement[e]; bandAgreement[e] = point.agreement[e]
            auditsSinceChange[e] = 0; bandSinceChange[e] = 0
        }
        refreshThresholds()
        if changed { counters.modeChanges += 1 }
        let budget = configuration.budget(for: m).map { "budget \(format($0, $0 < 1 ? 1 : 0)) pt" } ?? "always final"
        log("\((state ?? deviceState).summary) → \(m.rawValue) (\(reason)): \(budget), expected MACs \(Int((point.expectedMACFraction * 100).rounded())) %")
    }

    private func refreshThresholds() {
        for e in 0..<exits {
            thresholds[e] = e == exits - 1 ? 0 : operatingPoint.thresholds[e] + offsets[e]
        }
    }

    /// The effective threshold of each exit (operating point + drift offset).
    public var currentThresholds: [Float] { Array(thresholds) }
    /// The drift offsets recalibration has applied, per exit.
    public var recalibrationOffsets: [Float] { Array(offsets) }

    // MARK: Latency

    /// Sets the calibrated time of each stage (start or previous exit → this exit), in nanoseconds.
    public func setStageLatencies(_ ns: [Double]) {
        precondition(ns.count == exits)
        for e in 0..<exits { stageNanoseconds[e] = max(1, ns[e]) }
        loadFactor = 1
    }

    /// Calibrated stage times, ns.
    public var stageLatencies: [Double] { Array(stageNanoseconds) }

    /// Measures each stage's time on `executor` (median of `iterations` full runs, whatever input it
    /// holds) and uses it as the calibrated latency.
    public func measureLatency(_ executor: Executor, iterations: Int = 30) {
        var samples = [[Double]](repeating: [], count: exits)
        for _ in 0..<max(1, iterations) {
            var last = clock.nanoseconds(), k = 0
            executor.run { _ in
                let now = clock.nanoseconds()
                samples[k].append(Double(now &- last)); last = now; k += 1
                return .continue
            }
            samples[exits - 1].append(Double(clock.nanoseconds() &- last))
        }
        setStageLatencies(samples.map { s in s.isEmpty ? 1 : s.sorted()[s.count / 2] })
    }

    // MARK: Decisions

    /// Starts an input. `deadlineNanoseconds` is the time budget from now (0 = none).
    @inline(__always)
    public func begin(deadlineNanoseconds: UInt64 = 0) {
        start = clock.nanoseconds(); mark = start; deadline = deadlineNanoseconds
        auditing = false; deadlineStop = false; stoppedAt = -1
        for e in 0..<exits { auditAnswer[e] = -1; auditKind[e] = 0 }
    }

    /// The decision after exit `exitIndex` (not the final one) with that exit's output.
    public func decide(exitIndex e: Int, values: UnsafeBufferPointer<Float>) -> ExitDecision {
        let now = clock.nanoseconds()
        observe(stage: e, nanoseconds: now &- mark)
        mark = now
        if mode != .performance {
            let (score, answer) = calibration.measure.evaluate(values)
            if score >= thresholds[e] {
                if auditing { auditAnswer[e] = answer; auditKind[e] = 1 }
                else if audit(now: now, from: e) { auditing = true; auditAnswer[e] = answer; auditKind[e] = 1; counters.audits += 1 }
                else { stoppedAt = e; return .stop }
            } else if offsets[e] > 0 && score >= thresholds[e] - offsets[e] {
                auditAnswer[e] = answer; auditKind[e] = 2
            }
        }
        if deadline > 0 && e + 1 < exits {
            let next = stageNanoseconds[e + 1] * loadFactor * configuration.deadline.safetyFactor
            if Double(now &- start) + next > Double(deadline) { deadlineStop = true; stoppedAt = e; return .stop }
        }
        return .continue
    }

    /// ``decide(exitIndex:values:)`` for an executor's exit.
    @inline(__always)
    public func decide(_ exit: ExitOutput) -> ExitDecision { decide(exitIndex: exit.index, values: exit.values) }

    /// Ends the input that stopped at exit `exitIndex` with `values`; updates counters, the latency
    /// estimate and, for audited inputs, the agreement per exit.
    @discardableResult
    public func finish(exitIndex e: Int, values: UnsafeBufferPointer<Float>) -> PolicyOutcome {
        let now = clock.nanoseconds()
        let last = exits - 1
        if e == last && stoppedAt < 0 { observe(stage: e, nanoseconds: now &- mark) }
        let answer = calibration.measure.evaluate(values).argmax
        inputsPerExit[e] += 1
        counters.inputsPerExit[e] = inputsPerExit[e]
        let final = calibration.exitMACs[last]
        counters.macsExecuted += calibration.exitMACs[e]
        counters.macsSaved += final - calibration.exitMACs[e]
        if deadlineStop { counters.deadlineStops += 1 }
        let elapsed = now &- start
        let missed = deadline > 0 && elapsed > deadline
        if missed { counters.deadlineMisses += 1 }
        if e == last {
            for k in 0..<last where auditKind[k] > 0 { recordAgreement(exit: k, agrees: auditAnswer[k] == answer, band: auditKind[k] == 2) }
        }
        lastOutcome = PolicyOutcome(exitIndex: e, predicted: answer, deadlineStop: deadlineStop, audited: auditing && e == last,
                                    elapsedNanoseconds: elapsed, missedDeadline: missed)
        return lastOutcome
    }

    @discardableResult @inline(__always)
    public func finish(_ exit: ExitOutput) -> PolicyOutcome { finish(exitIndex: exit.index, values: exit.values) }

    /// Runs `executor` (its input already written) under the policy: begin, decide at each exit, finish.
    @discardableResult
    public func run(_ executor: Executor, deadlineNanoseconds: UInt64 = 0) -> ExitOutput {
        begin(deadlineNanoseconds: deadlineNanoseconds)
        let out = executor.run { self.decide($0) }
        finish(out)
        return out
    }

    @inline(__always)
    private func observe(stage e: Int, nanoseconds ns: UInt64) {
        let ratio = Double(ns) / stageNanoseconds[e]
        let a = configuration.deadline.ewmaAlpha
        loadFactor = (1 - a) * loadFactor + a * min(100, max(0.01, ratio))
    }

    /// Whether to audit an input that exit `e` would stop: recalibration on, a random draw within the
    /// share, battery not low, and time to run to the final exit before the deadline.
    @inline(__always)
    private func audit(now: UInt64, from e: Int) -> Bool {
        let r = configuration.recalibration
        guard r.enabled, r.share > 0 else { return false }
        rng = rng &+ 0x9E37_79B9_7F4A_7C15
        var z = rng
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        z ^= z >> 31
        guard Double(z >> 11) / Double(1 << 53) < r.share else { return false }
        if !deviceState.onMains, let b = deviceState.batteryPercent, b < r.pauseBelowBatteryPercent { return false }
        if deadline > 0 {
            var rest = 0.0
            for k in (e + 1)..<exits { rest += stageNanoseconds[k] }
            if Double(now &- start) + rest * loadFactor * configuration.deadline.safetyFactor > Double(deadline) { return false }
        }
        return true
    }

    private func recordAgreement(exit k: Int, agrees: Bool, band: Bool) {
        let r = configuration.recalibration
        let w = 1 / r.window
        let calibrated = operatingPoint.agreement[k], tol = r.tolerancePoints / 100
        let name = calibration.exitNames[k]
        if band {
            // Inputs the calibrated threshold would stop but the tightened one does not: relax when they agree again.
            bandAgreement[k] = (1 - w) * bandAgreement[k] + w * (agrees ? 1 : 0)
            bandSinceChange[k] += 1
            guard bandSinceChange[k] >= r.minAuditsBetweenChanges, offsets[k] > 0, bandAgreement[k] >= calibrated - tol / 2 else { return }
            let old = thresholds[k]
            offsets[k] = Float(max(0, Double(offsets[k]) - r.step))
            refreshThresholds(); bandSinceChange[k] = 0; auditsSinceChange[k] = 0
            agreement[k] = bandAgreement[k]
            log("exit \(name): agreement with final back to \(pct(bandAgreement[k])) above the tightened threshold's band (calibrated \(pct(calibrated))) → threshold \(format(Double(old), 3)) → \(format(Double(thresholds[k]), 3))")
            return
        }
        agreement[k] = (1 - w) * agreement[k] + w * (agrees ? 1 : 0)
        auditsSinceChange[k] += 1
        guard auditsSinceChange[k] >= r.minAuditsBetweenChanges else { return }
        if agreement[k] < calibrated - tol && Double(offsets[k]) < r.maxOffset - 1e-9 {
            let old = thresholds[k]
            offsets[k] = Float(min(r.maxOffset, Double(offsets[k]) + r.step))
            refreshThresholds(); auditsSinceChange[k] = 0; bandSinceChange[k] = 0
            bandAgreement[k] = agreement[k]
            log("exit \(name): agreement with final \(pct(agreement[k])) < calibrated \(pct(calibrated)) − \(format(r.tolerancePoints, 0)) pt → threshold \(format(Double(old), 3)) → \(format(Double(thresholds[k]), 3))")
        }
    }

    /// Audited agreement per exit (EWMA), starting at the calibrated level.
    public var agreementEstimates: [Double] { Array(agreement) }

    private func pct(_ x: Double) -> String { "\(format(x * 100, 1)) %" }
}
