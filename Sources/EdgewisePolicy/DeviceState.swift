import Foundation

/// What the policy knows about the device at one moment. Every field has a documented "unknown" form
/// so a reader that fails never invents a value: the policy treats unknown as the harmless case
/// (no battery = on mains, unknown pressure = idle, unknown temperature = cool).
public struct DeviceState: Sendable, Equatable {
    /// Battery charge in percent (0–100); `nil` when the device has no battery (a desktop, a VM) or the
    /// battery could not be read.
    public var batteryPercent: Double?
    /// Whether the device runs from mains power: an AC/USB supply online, a battery charging or full,
    /// or no battery at all.
    public var onMains: Bool
    /// The battery's own status (`charging`, `discharging`, …); `.unknown` without a battery.
    public var batteryStatus: BatteryStatus
    /// CPU pressure in percent (0–100): PSI `some avg10`, else utilisation since the last reading, else
    /// load average per core. `nil` when nothing could be read.
    public var cpuPressure: Double?
    /// CPU cores the cgroup allows (`cpu.max` quota / period); `nil` = unlimited or unknown.
    public var cpuQuotaCores: Double?
    /// Hottest thermal zone in °C; `nil` without zones.
    public var temperatureC: Double?
    /// Degrees below the lowest passive/hot/critical trip point of the hottest zone; `nil` without trips.
    public var thermalHeadroomC: Double?

    public init(batteryPercent: Double? = nil, onMains: Bool = true, batteryStatus: BatteryStatus = .unknown,
                cpuPressure: Double? = nil, cpuQuotaCores: Double? = nil, temperatureC: Double? = nil,
                thermalHeadroomC: Double? = nil) {
        self.batteryPercent = batteryPercent; self.onMains = onMains; self.batteryStatus = batteryStatus
        self.cpuPressure = cpuPressure; self.cpuQuotaCores = cpuQuotaCores
        self.temperatureC = temperatureC; self.thermalHeadroomC = thermalHeadroomC
    }

    /// A desktop on mains with nothing known: what the policy assumes before any reading.
    public static let mains = DeviceState()

    /// One line for logs: `battery 18 % discharging, PSI 4 %, 41 °C`.
    public var summary: String {
        var parts: [String] = []
        if let b = batteryPercent { parts.append("battery \(Int(b.rounded())) % \(batteryStatus.rawValue)") }
        else { parts.append("no battery") }
        if onMains && batteryPercent != nil { parts.append("on mains") }
        if let p = cpuPressure { parts.append("PSI \(Int(p.rounded())) %") }
        if let q = cpuQuotaCores { parts.append("quota \(format(q, 2)) cores") }
        if let t = temperatureC { parts.append("\(Int(t.rounded())) °C") }
        return parts.joined(separator: ", ")
    }
}

/// `/sys/class/power_supply/*/status` values (Documentation/ABI/testing/sysfs-class-power).
public enum BatteryStatus: String, Sendable, Codable, CaseIterable {
    case charging, discharging, notCharging = "not-charging", full, unknown

    /// Parses the sysfs spelling (`Charging`, `Not charging`, …); `nil` for anything else.
    public init?(sysfs text: String) {
        switch text.trimmingCharacters(in: .whitespacesAndNewlines).lowercased() {
        case "charging": self = .charging
        case "discharging": self = .discharging
        case "not charging", "not-charging": self = .notCharging
        case "full": self = .full
        case "unknown": self = .unknown
        default: return nil
        }
    }
}

/// A device state with where each part came from and what went wrong reading it.
public struct DeviceSnapshot: Sendable, Equatable {
    public var state: DeviceState
    /// Field → the file (or rule) it was read from, e.g. `"battery": "/sys/class/power_supply/BAT0/capacity"`.
    public var sources: [String: String]
    /// Problems met while reading, each naming the file; the affected field fell back as documented.
    public var warnings: [String]
    /// Extra facts readers found (battery energy and power, load average, quota), for `policy status`.
    public var details: [String: String]

    public init(state: DeviceState = .mains, sources: [String: String] = [:], warnings: [String] = [], details: [String: String] = [:]) {
        self.state = state; self.sources = sources; self.warnings = warnings; self.details = details
    }
}

/// Anything that can say what the device looks like now: the live sysfs/procfs readers, or a trace.
public protocol DeviceMonitor: AnyObject {
    /// Reads the state at `nanoseconds` on the policy's clock (a trace uses it; live readers ignore it).
    func snapshot(at nanoseconds: UInt64) -> DeviceSnapshot
}
