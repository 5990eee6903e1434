import Foundation

/// A recorded or scripted device state over time, replayed instead of the live readers
/// (`--device-trace FILE`), for demos, simulations and tests.
///
/// CSV with this header (columns in any order, extra columns ignored):
/// ```
/// time_s,battery_percent,charging,psi,temperature_c,deadline_ms
/// 0,100,1,2,45,20
/// 60,80,0,3,47,20
/// ```
/// `time_s` (seconds, non-decreasing) is required; an empty `battery_percent` means "no battery",
/// an empty `psi`, `temperature_c` or `deadline_ms` means unknown / no deadline. `charging` is
/// `1/0`, `true/false` or `yes/no` (charging means on mains). Lines starting with `#` are comments.
public struct DeviceTrace: Sendable, Equatable {
    public struct Row: Sendable, Equatable {
        public var time: Double
        public var state: DeviceState
        /// The request deadline in effect at this time, in milliseconds.
        public var deadlineMilliseconds: Double?
        /// 1-based line in the file.
        public var line: Int
    }
    public let file: String
    public let rows: [Row]

    /// Parses `text` (as read from `file`, which names errors).
    public init(text: String, file: String) throws(DeviceTraceError) {
        self.file = file
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false).map { $0.hasSuffix("\r") ? $0.dropLast() : $0 }
        var header: [String]? = nil
        var rows: [Row] = []
        for (i, raw) in lines.enumerated() {
            let n = i + 1
            let line = raw.trimmingCharacters(in: .whitespaces)
            if line.isEmpty || line.hasPrefix("#") { continue }
            let fields = line.split(separator: ",", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
            guard let h = header else {
                header = fields.map { $0.lowercased() }
                for required in ["time_s"] where !header!.contains(required) {
                    throw .malformed(file: file, line: n, reason: "header lacks '\(required)' (expected time_s,battery_percent,charging,psi,temperature_c,deadline_ms)")
                }
                continue
            }
            guard fields.count == h.count else {
                throw .malformed(file: file, line: n, reason: "\(fields.count) fields, the header has \(h.count)")
            }
            func field(_ name: String) -> String? {
                guard let k = h.firstIndex(of: name) else { return nil }
                return fields[k].isEmpty ? nil : fields[k]
            }
            func value(_ name: String, _ range: ClosedRange<Double>) throws(DeviceTraceError) -> Double? {
                guard let t = field(name) else { return nil }
                guard let v = Double(t), v.isFinite, range.contains(v) else {
                    throw .malformed(file: file, line: n, reason: "\(name) '\(t)' is not a number in \(range.lowerBound)…\(range.upperBound)")
                }
                return v
            }
            guard let time = try value("time_s", 0...1e9) else { throw .malformed(file: file, line: n, reason: "time_s is empty") }
            if let last = rows.last, time < last.time {
                throw .malformed(file: file, line: n, reason: "time_s \(time) goes back (previous row \(last.time))")
            }
            var s = DeviceState()
            s.batteryPercent = try value("battery_percent", 0...100)
            var charging = s.batteryPercent == nil
            if let c = field("charging") {
                switch c.lowercased() {
                case "1", "true", "yes": charging = true
                case "0", "false", "no": charging = false
                default: throw .malformed(file: file, line: n, reason: "charging '\(c)' is not 1/0, true/false or yes/no")
                }
            }
            s.onMains = charging || s.batteryPercent == nil
            s.batteryStatus = s.batteryPercent == nil ? .unknown : (charging ? .charging : .discharging)
            s.cpuPressure = try value("psi", 0...100)
            s.temperatureC = try value("temperature_c", -50...200)
            let deadline = try value("deadline_ms", 0...1e7)
            rows.append(Row(time: time, state: s, deadlineMilliseconds: deadline, line: n))
        }
        guard header != nil else { throw .malformed(file: file, line: 1, reason: "no header line") }
        guard !rows.isEmpty else { throw .malformed(file: file, line: lines.count, reason: "no data rows") }
        self.rows = rows
    }

    /// Reads and parses `path`.
    public init(path: String) throws(DeviceTraceError) {
        guard let data = FileManager.default.contents(atPath: path) else { throw .unreadable(file: path) }
        guard let text = String(data: data, encoding: .utf8) else { throw .malformed(file: path, line: 1, reason: "not UTF-8") }
        try self.init(text: text, file: path)
    }

    /// Duration from the first to the last row, in seconds.
    public var duration: Double { rows.last!.time - rows.first!.time }

    /// The row in effect at `time` seconds: the last row at or before it (the first row before the start).
    public func row(at time: Double) -> Row {
        var lo = 0, hi = rows.count - 1
        if time <= rows[0].time { return rows[0] }
        while lo < hi {
            let mid = (lo + hi + 1) / 2
            if rows[mid].time <= time { lo = mid } else { hi = mid - 1 }
        }
        return rows[lo]
    }
}

/// Why a device trace was rejected, naming the file and line.
public enum DeviceTraceError: Error, Equatable, CustomStringConvertible {
    case unreadable(file: String)
    case malformed(file: String, line: Int, reason: String)

    public var description: String {
        switch self {
        case .unreadable(let f): return "\(f): cannot read the device trace"
        case .malformed(let f, let l, let r): return "\(f):\(l): \(r)"
        }
    }
}

/// Replays a ``DeviceTrace``: the clock's nanoseconds since `start` pick the row.
public final class TraceDeviceMonitor: DeviceMonitor, @unchecked Sendable {
    public let trace: DeviceTrace
    /// Clock reading that corresponds to the trace's first row.
    public var startNanoseconds: UInt64

    public init(trace: DeviceTrace, startNanoseconds: UInt64 = 0) {
        self.trace = trace; self.startNanoseconds = startNanoseconds
    }

    public func snapshot(at nanoseconds: UInt64) -> DeviceSnapshot {
        let t = trace.rows[0].time + Double(nanoseconds &- min(nanoseconds, startNanoseconds)) / 1e9
        let r = trace.row(at: t)
        var d: [String: String] = [:]
        if let dl = r.deadlineMilliseconds { d["deadline_ms"] = format(dl, 1) }
        let src = "\(trace.file):\(r.line)"
        return DeviceSnapshot(state: r.state, sources: ["battery": src, "power": src, "pressure": src, "temperature": src], warnings: [], details: d)
    }
}
