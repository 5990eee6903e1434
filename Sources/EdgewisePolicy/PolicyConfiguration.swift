import Foundation

/// The policy's modes. `auto` moves between the other three from the device state.
public enum PolicyMode: String, Codable, CaseIterable, Sendable {
    /// Every input runs to the final exit (only a deadline can stop it earlier).
    case performance
    /// The `balanced` accuracy budget (default 1 point).
    case balanced
    /// The `saver` accuracy budget (default 5 points).
    case saver
    /// Picks one of the three from battery, power source, CPU pressure and temperature.
    case auto

    var severity: Int { switch self { case .performance: 0; case .balanced: 1; case .saver: 2; case .auto: 0 } }
    static func from(severity: Int) -> PolicyMode { [.performance, .balanced, .saver][max(0, min(2, severity))] }
}

/// Thresholds and mode rules: the JSON policy file (`--policy FILE`). Every key is optional; a missing
/// key keeps its default, shown here:
///
/// ```json
/// {
///   "budgets": {"balanced": 1, "saver": 5},
///   "battery": {"balancedBelowPercent": 100, "saverBelowPercent": 20, "hysteresisPercent": 5},
///   "pressure": {"balancedAbovePercent": 40, "saverAbovePercent": 80, "hysteresisPercent": 10},
///   "temperature": {"balancedAboveC": 70, "saverAboveC": 85, "hysteresisC": 5, "saverBelowHeadroomC": 5},
///   "quota": {"balancedBelowCores": 1},
///   "minimumDwellSeconds": 10,
///   "deadline": {"ewmaAlpha": 0.2, "safetyFactor": 1.1},
///   "recalibration": {"enabled": true, "share": 0.03, "window": 50, "tolerancePoints": 3, "step": 0.02,
///                     "maxOffset": 0.3, "minAuditsBetweenChanges": 20, "pauseBelowBatteryPercent": 15, "seed": 1}
/// }
/// ```
/// Battery rules apply only on battery (not on mains); "no battery" is on mains. A rule raises the mode
/// as soon as its value crosses the threshold and lowers it only once the value is back past the
/// threshold by the hysteresis. Any change of mode waits until the previous one is
/// `minimumDwellSeconds` old.
public struct PolicyConfiguration: Codable, Equatable, Sendable {
    public struct Budgets: Codable, Equatable, Sendable { public var balanced = 1.0, saver = 5.0 }
    public struct Battery: Codable, Equatable, Sendable { public var balancedBelowPercent = 100.0, saverBelowPercent = 20.0, hysteresisPercent = 5.0 }
    public struct Pressure: Codable, Equatable, Sendable { public var balancedAbovePercent = 40.0, saverAbovePercent = 80.0, hysteresisPercent = 10.0 }
    public struct Temperature: Codable, Equatable, Sendable {
        public var balancedAboveC = 70.0, saverAboveC = 85.0, hysteresisC = 5.0, saverBelowHeadroomC = 5.0
    }
    public struct Quota: Codable, Equatable, Sendable { public var balancedBelowCores = 1.0 }
    public struct Deadline: Codable, Equatable, Sendable {
        /// Weight of the newest observation in the load-factor EWMA.
        public var ewmaAlpha = 0.2
        /// Predicted stage times are multiplied by this before comparing with the time left.
        public var safetyFactor = 1.1
    }
    public struct Recalibration: Codable, Equatable, Sendable {
        public var enabled = true
        /// Share of early-stopped inputs also run to the final exit (0.02–0.05 is sensible).
        public var share = 0.03
        /// Audits averaged per exit (EWMA with weight 1/window).
        public var window = 50.0
        /// Tighten when agreement falls this many points below the calibrated level; relax when it is
        /// back within half of it.
        public var tolerancePoints = 3.0
        /// Threshold change per adjustment (confidence units, 0…1).
        public var step = 0.02
        public var maxOffset = 0.3
        public var minAuditsBetweenChanges = 20
        /// No audits on battery below this level.
        public var pauseBelowBatteryPercent = 15.0
        public var seed: UInt64 = 1
    }
    public var budgets = Budgets()
    public var battery = Battery()
    public var pressure = Pressure()
    public var temperature = Temperature()
    public var quota = Quota()
    public var minimumDwellSeconds = 10.0
    public var deadline = Deadline()
    public var recalibration = Recalibration()

    public init() {}

    /// The defaults as pretty JSON (`edgewise policy status --print-default-policy`).
    public static var defaultJSON: String {
        let enc = JSONEncoder()
        enc.outputFormatting = [.prettyPrinted, .sortedKeys]
        return String(decoding: try! enc.encode(PolicyConfiguration()), as: UTF8.self)
    }

    /// Parses a policy file; unknown keys are errors (a typo must not silently keep a default).
    public static func read(path: String) throws(PolicyError) -> PolicyConfiguration {
        guard let data = FileManager.default.contents(atPath: path) else { throw .badConfiguration(file: path, reason: "cannot read the policy file") }
        return try parse(data, file: path)
    }

    public static func parse(_ data: Data, file: String) throws(PolicyError) -> PolicyConfiguration {
        let obj: Any
        do { obj = try JSONSerialization.jsonObject(with: data) }
        catch { throw .badConfiguration(file: file, reason: "not JSON: \(error.localizedDescription)") }
        guard let dict = obj as? [String: Any] else { throw .badConfiguration(file: file, reason: "the top level must be an object") }
        // Merge over the defaults so that every key is optional.
        let defaults = try! JSONSerialization.jsonObject(with: try! JSONEncoder().encode(PolicyConfiguration())) as! [String: Any]
        func merge(_ base: [String: Any], _ over: [String: Any], _ path: String) throws(PolicyError) -> [String: Any] {
            var out = base
            for (k, v) in over {
                guard let b = base[k] else { throw .badConfiguration(file: file, reason: "unknown key '\(path)\(k)' (known: \(base.keys.sorted().joined(separator: ", ")))") }
                if let bd = b as? [String: Any] {
                    guard let vd = v as? [String: Any] else { throw .badConfiguration(file: file, reason: "'\(path)\(k)' must be an object") }
                    out[k] = try merge(bd, vd, path + k + ".")
                } else { out[k] = v }
            }
            return out
        }
        let merged = try merge(defaults, dict, "")
        let c: PolicyConfiguration
        do { c = try JSONDecoder().decode(PolicyConfiguration.self, from: try JSONSerialization.data(withJSONObject: merged)) }
        catch { throw .badConfiguration(file: file, reason: "wrong type: \(error)") }
        if let problem = c.problem { throw .badConfiguration(file: file, reason: problem) }
        return c
    }

    /// The first inconsistent setting, if any.
    public var problem: String? {
        if !(budgets.balanced >= 0 && budgets.saver >= budgets.balanced) { return "budgets: need 0 ≤ balanced ≤ saver" }
        if battery.saverBelowPercent > battery.balancedBelowPercent { return "battery: saverBelowPercent above balancedBelowPercent" }
        if pressure.saverAbovePercent < pressure.balancedAbovePercent { return "pressure: saverAbovePercent below balancedAbovePercent" }
        if temperature.saverAboveC < temperature.balancedAboveC { return "temperature: saverAboveC below balancedAboveC" }
        if minimumDwellSeconds < 0 { return "minimumDwellSeconds is negative" }
        if !(deadline.ewmaAlpha > 0 && deadline.ewmaAlpha <= 1) { return "deadline.ewmaAlpha must be in (0, 1]" }
        if deadline.safetyFactor < 1 { return "deadline.safetyFactor must be at least 1" }
        if !(recalibration.share >= 0 && recalibration.share <= 1) { return "recalibration.share must be in 0…1" }
        if recalibration.window < 1 { return "recalibration.window must be at least 1" }
        return nil
    }

    /// The budget of a (non-auto) mode; `nil` for performance (always final).
    public func budget(for mode: PolicyMode) -> Double? {
        switch mode { case .performance, .auto: nil; case .balanced: budgets.balanced; case .saver: budgets.saver }
    }
}

/// `auto`'s choice from the device state, with per-signal hysteresis and a minimum dwell time.
public struct ModeSelector: Sendable {
    public let configuration: PolicyConfiguration
    /// The mode in force.
    public private(set) var mode: PolicyMode = .performance
    /// Level (0 performance, 1 balanced, 2 saver) each signal asks for, after hysteresis.
    private var levels: [String: Int] = [:]
    private var lastChange: UInt64? = nil

    public init(configuration: PolicyConfiguration) { self.configuration = configuration }

    /// Feeds a state read at `nanoseconds`; returns the new mode and its reason when the mode changes.
    public mutating func update(_ s: DeviceState, at nanoseconds: UInt64) -> (mode: PolicyMode, reason: String)? {
        let c = configuration
        var reasons: [(Int, String)] = []
        func rule(_ name: String, _ value: Double?, high: Bool, balanced: Double, saver: Double, hysteresis: Double, unit: String) {
            // Work in "badness" space: larger is worse.
            guard let v = value else { levels[name] = 0; return }
            let x = high ? v : -v, b = high ? balanced : -balanced, sv = high ? saver : -saver
            func level(_ x: Double) -> Int { x >= sv ? 2 : (x >= b ? 1 : 0) }
            let raw = level(x)
            var cur = levels[name] ?? 0
            // Up at once; down only as far as the value is past the thresholds by the hysteresis.
            cur = raw >= cur ? raw : max(raw, min(cur, level(x + hysteresis)))
            levels[name] = cur
            if cur > 0 {
                let limit = cur == 2 ? saver : balanced
                reasons.append((cur, "\(name) \(high ? "≥" : "≤") \(format(limit, 0)) \(unit)"))
            }
        }
        let onBattery = !s.onMains && s.batteryPercent != nil
        rule("battery", onBattery ? s.batteryPercent : nil, high: false, balanced: c.battery.balancedBelowPercent,
             saver: c.battery.saverBelowPercent, hysteresis: c.battery.hysteresisPercent, unit: "%")
        rule("PSI", s.cpuPressure, high: true, balanced: c.pressure.balancedAbovePercent, saver: c.pressure.saverAbovePercent,
             hysteresis: c.pressure.hysteresisPercent, unit: "%")
        rule("temperature", s.temperatureC, high: true, balanced: c.temperature.balancedAboveC, saver: c.temperature.saverAboveC,
             hysteresis: c.temperature.hysteresisC, unit: "°C")
        rule("headroom", s.thermalHeadroomC, high: false, balanced: -1e9, saver: c.temperature.saverBelowHeadroomC,
             hysteresis: c.temperature.hysteresisC, unit: "°C")
        rule("quota", s.cpuQuotaCores, high: false, balanced: c.quota.balancedBelowCores, saver: -1e9, hysteresis: 0, unit: "cores")
        let target = levels.values.max() ?? 0
        let wanted = PolicyMode.from(severity: target)
        guard wanted != mode else { return nil }
        if let last = lastChange, Double(nanoseconds &- last) / 1e9 < c.minimumDwellSeconds { return nil }
        mode = wanted
        lastChange = nanoseconds
        let why = reasons.filter { $0.0 == target }.map(\.1)
        return (wanted, why.isEmpty ? (s.onMains ? "on mains, no pressure" : "battery level fine") : why.joined(separator: ", "))
    }
}
