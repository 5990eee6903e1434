import Foundation

/// Reads small text files below a root directory (`/` on a device, a temp directory in tests), the way
/// every device reader here does: missing, unreadable, empty and over-long files are distinguished, and
/// numbers are parsed strictly (no trailing garbage, finite).
public struct SysfsRoot: Sendable {
    /// The directory that stands for `/`: `ROOT/sys/class/…`, `ROOT/proc/…`.
    public let root: String

    public init(_ root: String = "/") { self.root = root }

    /// `ROOT/relative` (relative paths start without a slash: `sys/class/power_supply`).
    public func path(_ relative: String) -> String {
        root.hasSuffix("/") ? root + relative : root + "/" + relative
    }

    /// The file's text without the trailing newline, or `nil` when it is missing, unreadable, not UTF-8
    /// or over 64 KiB (sysfs attributes are one page at most).
    public func text(_ relative: String) -> String? {
        let p = path(relative)
        guard let h = FileHandle(forReadingAtPath: p) else { return nil }
        defer { try? h.close() }
        guard let data = try? h.read(upToCount: 65_536 + 1), data.count <= 65_536,
              let s = String(data: data, encoding: .utf8) else { return nil }
        return s.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// Entries of a directory, sorted; empty when it is missing.
    public func list(_ relative: String) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: path(relative))) ?? []).sorted()
    }

    public func exists(_ relative: String) -> Bool { FileManager.default.fileExists(atPath: path(relative)) }
}

/// A strict number parse: the whole text must be one finite number.
func number(_ text: String?) -> Double? {
    guard let t = text, !t.isEmpty, let v = Double(t), v.isFinite else { return nil }
    return v
}

// MARK: - Power supply

/// One power supply as sysfs shows it.
public struct PowerSupplyReading: Sendable, Equatable {
    public var name: String
    /// `Battery`, `Mains`, `USB`, `UPS`, …
    public var type: String
    /// `online` for mains/USB supplies.
    public var online: Bool?
    /// `capacity` (percent), validated to 0…100.
    public var capacityPercent: Double?
    public var status: BatteryStatus?
    /// `present` for batteries (a battery slot can be empty).
    public var present: Bool?
    /// Remaining energy in watt-hours (`energy_now`, µWh) and draw in watts (`power_now`, µW), where present.
    public var energyWh: Double?
    public var powerW: Double?
}

/// The power-supply class: batteries and mains adapters.
public protocol PowerSupplySensor: Sendable {
    /// Every supply found, with warnings naming files that were missing or unreadable.
    func readSupplies() -> (supplies: [PowerSupplyReading], warnings: [String])
}

/// `ROOT/sys/class/power_supply/*/{type,online,capacity,status,present,energy_now,power_now}`.
///
/// Fallbacks: a supply without a readable `type` is skipped with a warning; a battery whose `capacity`
/// is missing, garbage or outside 0–100 is reported without a level (the policy then treats the device
/// as on mains unless the status says discharging, in which case it assumes the battery is low: see
/// ``DeviceStateReader``); a battery that disappears between readings simply is not listed.
public struct SysfsPowerSupply: PowerSupplySensor {
    public let root: SysfsRoot
    public init(root: SysfsRoot = SysfsRoot()) { self.root = root }

    public func readSupplies() -> (supplies: [PowerSupplyReading], warnings: [String]) {
        let base = "sys/class/power_supply"
        var out: [PowerSupplyReading] = [], warnings: [String] = []
        for name in root.list(base) {
            let dir = base + "/" + name
            guard let type = root.text(dir + "/type"), !type.isEmpty else {
                warnings.append("\(root.path(dir + "/type")): missing or unreadable; supply '\(name)' ignored")
                continue
            }
            var r = PowerSupplyReading(name: name, type: type)
            if let o = root.text(dir + "/online") {
                if o == "0" || o == "1" || o == "2" { r.online = o != "0" }
                else { warnings.append("\(root.path(dir + "/online")): '\(o.prefix(20))' is not 0/1; treated as unknown") }
            }
            if let p = root.text(dir + "/present") { r.present = p != "0" }
            if type == "Battery" {
                let capFile = dir + "/capacity"
                if let raw = root.text(capFile) {
                    if let c = number(raw), c >= 0, c <= 100 { r.capacityPercent = c }
                    else { warnings.append("\(root.path(capFile)): '\(raw.prefix(20))' is not a percentage 0–100; level unknown") }
                } else if r.present != false {
                    warnings.append("\(root.path(capFile)): missing or unreadable; level unknown")
                }
                if let s = root.text(dir + "/status") {
                    if let st = BatteryStatus(sysfs: s) { r.status = st }
                    else { warnings.append("\(root.path(dir + "/status")): unknown status '\(s.prefix(20))'; treated as Unknown") }
                }
                if let e = number(root.text(dir + "/energy_now")), e >= 0, e < 1e12 { r.energyWh = e / 1e6 }
                if let p = number(root.text(dir + "/power_now")), p >= 0, p < 1e12 { r.powerW = p / 1e6 }
            }
            out.append(r)
        }
        return (out, warnings)
    }
}

// MARK: - CPU pressure

/// A CPU-pressure reading in percent with the file it came from.
public struct CPUPressureReading: Sendable, Equatable {
    /// 0–100, or `nil` when no source could be read.
    public var percent: Double?
    /// The file and rule used (`/proc/pressure/cpu some avg10`, `/proc/stat utilisation`, `/proc/loadavg`).
    public var source: String
    public var loadAverage1: Double?
    public var warnings: [String]
}

/// How busy the CPU is.
public protocol CPUPressureSensor: AnyObject {
    func readPressure() -> CPUPressureReading
}

/// `ROOT/proc/pressure/cpu` (PSI `some avg10`, Documentation/accounting/psi.rst); without PSI, the
/// non-idle share of `ROOT/proc/stat` since the previous reading (the first reading uses the totals since
/// boot); without that, the 1-minute `ROOT/proc/loadavg` divided by the CPU count, capped at 100 %.
/// Values outside 0–100 are rejected with a warning and the next source is tried.
public final class ProcCPUPressure: CPUPressureSensor, @unchecked Sendable {
    public let root: SysfsRoot
    /// Cores for the load-average fallback.
    public let cores: Int
    private var lastStat: (busy: Double, total: Double)?

    public init(root: SysfsRoot = SysfsRoot(), cores: Int = ProcessInfo.processInfo.activeProcessorCount) {
        self.root = root; self.cores = max(1, cores)
    }

    public func readPressure() -> CPUPressureReading {
        var warnings: [String] = []
        let load = root.text("proc/loadavg").flatMap { $0.split(separator: " ").first.flatMap { number(String($0)) } }
        let psiFile = "proc/pressure/cpu"
        if let text = root.text(psiFile) {
            if let v = Self.someAvg10(text), v >= 0, v <= 100 {
                return CPUPressureReading(percent: v, source: root.path(psiFile) + " some avg10", loadAverage1: load, warnings: warnings)
            }
            warnings.append("\(root.path(psiFile)): no valid 'some avg10=' in 0–100; falling back to /proc/stat")
        }
        if let text = root.text("proc/stat"), let (busy, total) = Self.cpuTimes(text) {
            defer { lastStat = (busy, total) }
            var b = busy, t = total
            if let last = lastStat, total > last.total, busy >= last.busy { b -= last.busy; t -= last.total }
            if t > 0, b >= 0, b <= t {
                return CPUPressureReading(percent: 100 * b / t, source: root.path("proc/stat") + " utilisation", loadAverage1: load, warnings: warnings)
            }
            warnings.append("\(root.path("proc/stat")): inconsistent cpu times; falling back to /proc/loadavg")
        } else if root.exists("proc/stat") {
            warnings.append("\(root.path("proc/stat")): no parsable 'cpu' line; falling back to /proc/loadavg")
        }
        if let l = load, l >= 0, l < 1e6 {
            return CPUPressureReading(percent: min(100, 100 * l / Double(cores)), source: root.path("proc/loadavg") + " 1-min / \(cores) cores",
                                      loadAverage1: l, warnings: warnings)
        }
        warnings.append("no CPU pressure source under \(root.root) (pressure/cpu, stat, loadavg); assuming idle")
        return CPUPressureReading(percent: nil, source: "none", loadAverage1: nil, warnings: warnings)
    }

    /// `some avg10=4.25 avg60=… total=…` → 4.25.
    static func someAvg10(_ text: String) -> Double? {
        for line in text.split(separator: "\n") where line.hasPrefix("some ") {
            for field in line.split(separator: " ") where field.hasPrefix("avg10=") {
                return number(String(field.dropFirst(6)))
            }
        }
        return nil
    }

    /// The aggregate `cpu` line: busy = total − idle − iowait.
    static func cpuTimes(_ text: String) -> (busy: Double, total: Double)? {
        guard let line = text.split(separator: "\n").first(where: { $0.hasPrefix("cpu ") }) else { return nil }
        let f = line.split(separator: " ").dropFirst().map { Double($0) }
        guard f.count >= 4, f.allSatisfy({ $0 != nil && $0! >= 0 }) else { return nil }
        let v = f.map { $0! }
        let total = v.prefix(8).reduce(0, +)
        let idle = v[3] + (v.count > 4 ? v[4] : 0)
        return (total - idle, total)
    }
}

// MARK: - cgroup quota

/// The cgroup v2 CPU limit.
public protocol CPUQuotaSensor: Sendable {
    /// Cores allowed (quota / period), `nil` for `max` or no file; warnings for garbage.
    func readQuota() -> (cores: Double?, source: String?, warnings: [String])
}

/// `ROOT/sys/fs/cgroup/cpu.max`: `max 100000` (unlimited) or `50000 100000` (half a core).
public struct CgroupCPUQuota: CPUQuotaSensor {
    public let root: SysfsRoot
    public init(root: SysfsRoot = SysfsRoot()) { self.root = root }

    public func readQuota() -> (cores: Double?, source: String?, warnings: [String]) {
        let file = "sys/fs/cgroup/cpu.max"
        guard let text = root.text(file) else { return (nil, nil, []) }
        let f = text.split(separator: " ")
        if f.count == 2, f[0] == "max", let p = number(String(f[1])), p > 0 { return (nil, root.path(file), []) }
        if f.count == 2, let q = number(String(f[0])), let p = number(String(f[1])), q > 0, p > 0, q / p < 4096 {
            return (q / p, root.path(file), [])
        }
        return (nil, root.path(file), ["\(root.path(file)): '\(text.prefix(40))' is not '<quota|max> <period>'; treated as unlimited"])
    }
}

// MARK: - Thermal

/// One thermal zone.
public struct ThermalZoneReading: Sendable, Equatable {
    public var name: String
    public var type: String?
    public var temperatureC: Double
    /// Trip points (`passive`, `hot`, `critical`, `active`) in °C.
    public var trips: [(type: String, celsius: Double)]

    public static func == (a: Self, b: Self) -> Bool {
        a.name == b.name && a.type == b.type && a.temperatureC == b.temperatureC
            && a.trips.map(\.type) == b.trips.map(\.type) && a.trips.map(\.celsius) == b.trips.map(\.celsius)
    }
}

/// Temperatures.
public protocol ThermalSensor: Sendable {
    func readZones() -> (zones: [ThermalZoneReading], warnings: [String])
}

/// `ROOT/sys/class/thermal/thermal_zone*/{type,temp,trip_point_N_temp,trip_point_N_type}` (millidegrees
/// Celsius). A zone whose temperature is missing, garbage, or outside −50…200 °C (sensors report
/// −273 °C or 0xFFFF when broken) is skipped with a warning; no zones means "temperature unknown",
/// which the policy treats as cool.
public struct SysfsThermal: ThermalSensor {
    public let root: SysfsRoot
    public init(root: SysfsRoot = SysfsRoot()) { self.root = root }

    public func readZones() -> (zones: [ThermalZoneReading], warnings: [String]) {
        let base = "sys/class/thermal"
        var out: [ThermalZoneReading] = [], warnings: [String] = []
        for name in root.list(base) where name.hasPrefix("thermal_zone") {
            let dir = base + "/" + name
            guard let raw = root.text(dir + "/temp") else {
                warnings.append("\(root.path(dir + "/temp")): missing or unreadable; zone ignored"); continue
            }
            guard let mc = number(raw), mc / 1000 >= -50, mc / 1000 <= 200 else {
                warnings.append("\(root.path(dir + "/temp")): '\(raw.prefix(20))' is not a temperature in −50…200 °C (millidegrees); zone ignored")
                continue
            }
            var trips: [(String, Double)] = []
            for k in 0..<32 {
                guard let t = number(root.text(dir + "/trip_point_\(k)_temp")) else { if k > 0 { break } else { continue } }
                let type = root.text(dir + "/trip_point_\(k)_type") ?? "passive"
                if t / 1000 > -50, t / 1000 <= 200 { trips.append((type, t / 1000)) }
            }
            out.append(ThermalZoneReading(name: name, type: root.text(dir + "/type"), temperatureC: mc / 1000, trips: trips))
        }
        return (out, warnings)
    }
}

// MARK: - All of them

/// The live readers together: one ``DeviceSnapshot`` from sysfs and procfs under one root.
///
/// Combination rules (documented fallbacks):
/// - Power: on mains when any non-battery supply is online, or a battery is charging or full, or there
///   is no battery at all. The battery level is the present battery with the lowest capacity.
///   A battery that reports `Discharging` but no readable level is assumed at 50 % (neither full nor
///   critical), with a warning.
/// - Pressure: see ``ProcCPUPressure``; unknown pressure counts as 0 % (idle).
/// - Temperature: the hottest valid zone; headroom to its lowest passive/hot/critical trip.
public final class DeviceStateReader: DeviceMonitor, @unchecked Sendable {
    public let power: any PowerSupplySensor
    public let pressure: any CPUPressureSensor
    public let quota: any CPUQuotaSensor
    public let thermal: any ThermalSensor

    public init(power: any PowerSupplySensor, pressure: any CPUPressureSensor, quota: any CPUQuotaSensor, thermal: any ThermalSensor) {
        self.power = power; self.pressure = pressure; self.quota = quota; self.thermal = thermal
    }

    /// Readers for the files under `root` (`/` on a device).
    public convenience init(root: String = "/") {
        let r = SysfsRoot(root)
        self.init(power: SysfsPowerSupply(root: r), pressure: ProcCPUPressure(root: r), quota: CgroupCPUQuota(root: r), thermal: SysfsThermal(root: r))
    }

    public func snapshot(at nanoseconds: UInt64 = 0) -> DeviceSnapshot {
        var s = DeviceSnapshot()
        let (supplies, pw) = power.readSupplies()
        s.warnings += pw
        let batteries = supplies.filter { $0.type == "Battery" && $0.present != false }
        let mains = supplies.filter { $0.type != "Battery" && $0.online == true }
        if let b = batteries.filter({ $0.capacityPercent != nil }).min(by: { $0.capacityPercent! < $1.capacityPercent! }) ?? batteries.first {
            s.state.batteryStatus = b.status ?? .unknown
            if let c = b.capacityPercent {
                s.state.batteryPercent = c
                s.sources["battery"] = "sys/class/power_supply/\(b.name)/capacity"
            } else if b.status == .discharging {
                s.state.batteryPercent = 50
                s.sources["battery"] = "assumed 50 % (\(b.name) discharging, level unreadable)"
                s.warnings.append("battery \(b.name) is discharging but its level is unreadable; assuming 50 %")
            }
            if let e = b.energyWh { s.details["battery_energy_wh"] = format(e, 2) }
            if let p = b.powerW { s.details["battery_power_w"] = format(p, 2) }
            let charging = b.status == .charging || b.status == .full
            s.state.onMains = !mains.isEmpty || charging || (b.capacityPercent == nil && b.status != .discharging)
            s.sources["power"] = mains.first.map { "sys/class/power_supply/\($0.name)/online" } ?? "sys/class/power_supply/\(b.name)/status"
        } else {
            s.state.onMains = true
            s.sources["power"] = mains.first.map { "sys/class/power_supply/\($0.name)/online" } ?? "no battery under sys/class/power_supply: on mains"
        }
        let p = pressure.readPressure()
        s.warnings += p.warnings
        s.state.cpuPressure = p.percent
        s.sources["pressure"] = p.source
        if let l = p.loadAverage1 { s.details["loadavg_1min"] = format(l, 2) }
        let q = quota.readQuota()
        s.warnings += q.warnings
        s.state.cpuQuotaCores = q.cores
        if let src = q.source { s.sources["quota"] = src }
        let (zones, tw) = thermal.readZones()
        s.warnings += tw
        if let hot = zones.max(by: { $0.temperatureC < $1.temperatureC }) {
            s.state.temperatureC = hot.temperatureC
            s.sources["temperature"] = "sys/class/thermal/\(hot.name)/temp" + (hot.type.map { " (\($0))" } ?? "")
            let limits = hot.trips.filter { ["passive", "hot", "critical"].contains($0.type) }.map(\.celsius)
            if let lowest = limits.min() { s.state.thermalHeadroomC = lowest - hot.temperatureC }
        } else {
            s.sources["temperature"] = "no thermal zones: unknown (treated as cool)"
        }
        return s
    }
}
