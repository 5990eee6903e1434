import Foundation

/// Comma-separated signal files, the shape most wearables export: a header line naming the columns
/// (`time,ecg` or `time,ppg,ax,ay,az`; a `time` column in seconds is optional), then one row per sample.
public enum CSVSignalFile {
    /// Parses the header line into column names.
    static func columns(_ line: Substring, file: String) throws -> [String] {
        let cols = line.split(separator: ",", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces).lowercased() }
        guard cols.count >= 1, !cols.contains(where: \.isEmpty) else { throw SignalFileError.badHeader(file: file, line: 1, reason: "expected column names such as 'time,ecg'") }
        guard Double(cols[0]) == nil else { throw SignalFileError.badHeader(file: file, line: 1, reason: "the first line must name the columns (e.g. 'time,ecg')") }
        return cols
    }

    /// Reads a CSV signal file. The sampling rate comes from the `time` column (median step), or from
    /// `samplingRate` when there is no time column.
    public static func read(_ path: String, samplingRate: Double? = nil) throws -> SignalRecord {
        let bytes = try readBytes(path)
        let text = String(decoding: bytes, as: UTF8.self)
        var reader = CSVLineParser(file: path)
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) { try reader.consume(line) }
        let name = ((path as NSString).lastPathComponent as NSString).deletingPathExtension
        return try reader.record(name: name, samplingRate: samplingRate)
    }

    /// Writes `channels` (equal lengths) with a leading `time` column.
    public static func write(_ record: SignalRecord, to path: String) throws {
        var s = "time," + record.channels.map(\.label).joined(separator: ",") + "\n"
        for t in 0..<record.length {
            s += String(format: "%.6f", Double(t) / record.samplingRate)
            for c in record.channels { s += "," + String(c.samples[t]) }
            s += "\n"
        }
        try writeBytes(Array(s.utf8), to: path)
    }
}

/// Parses CSV signal lines one at a time (the header first), so a live stream can be consumed as it
/// arrives (`wearable replay --stdin`).
public struct CSVLineParser: Sendable {
    public let file: String
    /// Column names, once the header has been read.
    public private(set) var columns: [String]? = nil
    /// Values of each column so far (including `time`).
    public private(set) var values: [[Double]] = []
    private var line = 0

    public init(file: String) { self.file = file }

    /// Parses one line; returns the row's values (nil for the header, blank lines and comments).
    @discardableResult
    public mutating func consume<S: StringProtocol>(_ raw: S) throws -> [Double]? {
        line += 1
        let l = raw.trimmingCharacters(in: .whitespacesAndNewlines)
        if l.isEmpty || l.hasPrefix("#") { return nil }
        guard let cols = columns else {
            columns = try CSVSignalFile.columns(Substring(l), file: file)
            values = Array(repeating: [], count: columns!.count)
            return nil
        }
        let cells = l.split(separator: ",", omittingEmptySubsequences: false)
        guard cells.count == cols.count else {
            throw SignalFileError.badData(file: file, position: "line \(line)", reason: "\(cells.count) values, header has \(cols.count) columns")
        }
        var row: [Double] = []
        row.reserveCapacity(cells.count)
        for (k, c) in cells.enumerated() {
            guard let v = Double(c.trimmingCharacters(in: .whitespaces)), v.isFinite else {
                throw SignalFileError.badData(file: file, position: "line \(line), column \(k + 1)", reason: "'\(c)' is not a number")
            }
            row.append(v)
        }
        for k in row.indices { values[k].append(row[k]) }
        return row
    }

    /// The index of the `time` column, if any.
    public var timeColumn: Int? { columns?.firstIndex(of: "time") ?? columns?.firstIndex(of: "t") }

    /// Sampling rate from the time column's median step.
    public func estimatedRate() -> Double? {
        guard let tc = timeColumn, values[tc].count >= 2 else { return nil }
        let t = values[tc]
        var d = (1..<t.count).map { t[$0] - t[$0 - 1] }
        d.sort()
        let m = d[d.count / 2]
        return m > 0 ? 1 / m : nil
    }

    /// Everything read so far as a record.
    public func record(name: String, samplingRate: Double?) throws -> SignalRecord {
        guard let cols = columns else { throw SignalFileError.badHeader(file: file, line: 1, reason: "empty file (no header line)") }
        guard let fs = samplingRate ?? estimatedRate() else {
            throw SignalFileError.badData(file: file, position: "line \(line)", reason: "no time column with increasing times; give the sampling rate")
        }
        guard fs > 0, fs < 1e6 else { throw SignalFileError.badData(file: file, position: "time column", reason: "implausible sampling rate \(fs) Hz") }
        let chans = cols.indices.filter { $0 != timeColumn }.map {
            SignalChannel(label: cols[$0], units: cols[$0] == "ecg" ? "mV" : (["ax", "ay", "az"].contains(cols[$0]) ? "g" : "adu"), samples: values[$0].map { Float($0) })
        }
        return SignalRecord(name: name, samplingRate: fs, channels: chans)
    }
}
