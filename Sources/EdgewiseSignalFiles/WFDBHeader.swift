import Foundation

/// A WFDB header (`.hea`), as PhysioNet writes it: the record line and one line per signal.
///
/// Record line: `name[/segments] nsig [fs[/counterfreq[(base)]] [nsamp [time [date]]]]`.
/// Signal line: `file format[xspf][:skew][+offset] [gain[(baseline)][/units] [adcres [adczero [initval [checksum [blocksize [description]]]]]]]`.
/// Multi-segment records are not supported.
public struct WFDBHeader: Sendable, Equatable {
    /// One signal line.
    public struct Signal: Sendable, Equatable {
        public var fileName: String
        /// Storage format (212, 16, 80, 61, 8 …; ``WFDBRecord`` reads 212, 16, 61 and 80).
        public var format: Int
        /// Samples per frame (1 unless the line has `x`).
        public var samplesPerFrame: Int
        /// Byte offset of the first sample in the file (`+offset`).
        public var byteOffset: Int
        /// ADC units per physical unit (0 in the file means the WFDB default, 200).
        public var gain: Double
        /// ADC value at physical zero (defaults to `adcZero`).
        public var baseline: Int
        public var units: String
        public var adcResolution: Int
        public var adcZero: Int
        /// First sample, when the header gives it.
        public var initialValue: Int?
        /// 16-bit sum of all samples, when the header gives it.
        public var checksum: Int?
        public var blockSize: Int
        public var description: String

        public init(fileName: String, format: Int, samplesPerFrame: Int = 1, byteOffset: Int = 0, gain: Double = 200,
                    baseline: Int = 0, units: String = "mV", adcResolution: Int = 12, adcZero: Int = 0,
                    initialValue: Int? = nil, checksum: Int? = nil, blockSize: Int = 0, description: String = "") {
            self.fileName = fileName; self.format = format; self.samplesPerFrame = samplesPerFrame; self.byteOffset = byteOffset
            self.gain = gain; self.baseline = baseline; self.units = units; self.adcResolution = adcResolution
            self.adcZero = adcZero; self.initialValue = initialValue; self.checksum = checksum; self.blockSize = blockSize
            self.description = description
        }
    }

    public var recordName: String
    public var samplingFrequency: Double
    /// Samples per signal (nil: not given; then the signal file's length decides).
    public var sampleCount: Int?
    public var signals: [Signal]
    /// Comment lines (`#…`), without the `#`.
    public var comments: [String]

    public init(recordName: String, samplingFrequency: Double, sampleCount: Int?, signals: [Signal], comments: [String] = []) {
        self.recordName = recordName; self.samplingFrequency = samplingFrequency; self.sampleCount = sampleCount
        self.signals = signals; self.comments = comments
    }

    /// Largest sampling rate, sample count and signal count accepted (absurd values are errors).
    static let maxFrequency = 1e6, maxSamples = 1 << 34, maxSignals = 4096

    /// Parses header text; `file` names the header in errors.
    public static func parse(_ text: String, file: String) throws -> WFDBHeader {
        var lines: [(Int, String)] = []
        var comments: [String] = []
        for (i, raw) in text.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline).enumerated() {
            let l = raw.trimmingCharacters(in: .whitespacesAndNewlines)
            if l.isEmpty { continue }
            if l.hasPrefix("#") { comments.append(String(l.dropFirst()).trimmingCharacters(in: .whitespaces)); continue }
            lines.append((i + 1, l))
        }
        guard let (rl, recordLine) = lines.first else { throw SignalFileError.badHeader(file: file, line: 1, reason: "no record line") }
        let f = recordLine.split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init)
        guard f.count >= 2 else { throw SignalFileError.badHeader(file: file, line: rl, reason: "record line needs a name and a signal count") }
        if f[0].contains("/") { throw SignalFileError.unsupported(file: file, reason: "multi-segment record '\(f[0])'") }
        guard let nsig = Int(f[1]), nsig >= 0, nsig <= maxSignals else {
            throw SignalFileError.badHeader(file: file, line: rl, reason: "bad signal count '\(f[1])'")
        }
        var fs = 250.0
        if f.count >= 3 {
            let s = f[2].split(separator: "/").first.map(String.init) ?? ""
            guard let v = Double(s), v > 0, v <= maxFrequency, v.isFinite else {
                throw SignalFileError.badHeader(file: file, line: rl, reason: "bad sampling frequency '\(f[2])'")
            }
            fs = v
        }
        var n: Int? = nil
        if f.count >= 4 {
            guard let v = Int(f[3]), v >= 0, v <= maxSamples else { throw SignalFileError.badHeader(file: file, line: rl, reason: "bad sample count '\(f[3])'") }
            n = v
        }
        guard lines.count - 1 >= nsig else {
            throw SignalFileError.badHeader(file: file, line: rl, reason: "record line declares \(nsig) signals, header has \(lines.count - 1) signal lines")
        }
        var signals: [Signal] = []
        for k in 0..<nsig {
            let (ln, line) = lines[1 + k]
            signals.append(try parseSignal(line, file: file, line: ln))
        }
        return WFDBHeader(recordName: f[0], samplingFrequency: fs, sampleCount: n, signals: signals, comments: comments)
    }

    private static func parseSignal(_ line: String, file: String, line ln: Int) throws -> Signal {
        let f = line.split(maxSplits: 8, whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init)
        func bad(_ why: String) -> SignalFileError { .badHeader(file: file, line: ln, reason: why) }
        guard f.count >= 2 else { throw bad("signal line needs a file name and a format") }
        var fmtField = Substring(f[1])
        var offset = 0, spf = 1
        if let p = fmtField.firstIndex(of: "+") {
            guard let v = Int(fmtField[fmtField.index(after: p)...]), v >= 0, v < 1 << 40 else { throw bad("bad byte offset in '\(f[1])'") }
            offset = v; fmtField = fmtField[..<p]
        }
        if let p = fmtField.firstIndex(of: ":") { fmtField = fmtField[..<p] }  // skew: ignored
        if let p = fmtField.firstIndex(of: "x") {
            guard let v = Int(fmtField[fmtField.index(after: p)...]), v >= 1, v <= 1024 else { throw bad("bad samples per frame in '\(f[1])'") }
            spf = v; fmtField = fmtField[..<p]
        }
        guard let format = Int(fmtField) else { throw bad("bad format '\(f[1])'") }
        var s = Signal(fileName: f[0], format: format, samplesPerFrame: spf, byteOffset: offset)
        var baselineGiven: Int? = nil
        if f.count >= 3 {
            var g = Substring(f[2])
            if let p = g.firstIndex(of: "/") { s.units = String(g[g.index(after: p)...]); g = g[..<p] }
            if let p = g.firstIndex(of: "("), let q = g.firstIndex(of: ")"), p < q {
                guard let b = Int(g[g.index(after: p)..<q]) else { throw bad("bad baseline in '\(f[2])'") }
                baselineGiven = b; g = g[..<p]
            }
            guard let gain = Double(g), gain.isFinite, gain >= 0 else { throw bad("bad gain '\(f[2])'") }
            s.gain = gain == 0 ? 200 : gain
        }
        func int(_ i: Int, _ what: String, _ range: ClosedRange<Int>) throws -> Int? {
            guard f.count > i else { return nil }
            guard let v = Int(f[i]), range.contains(v) else { throw bad("bad \(what) '\(f[i])'") }
            return v
        }
        s.adcResolution = try int(3, "ADC resolution", 0...64) ?? (format == 212 ? 12 : 16)
        s.adcZero = try int(4, "ADC zero", -(1 << 31)...(1 << 31)) ?? 0
        s.initialValue = try int(5, "initial value", -(1 << 31)...(1 << 31))
        s.checksum = try int(6, "checksum", -32768...65535)
        s.blockSize = try int(7, "block size", 0...(1 << 30)) ?? 0
        s.description = f.count > 8 ? f[8] : ""
        s.baseline = baselineGiven ?? s.adcZero
        return s
    }

    /// Reads and parses `path`.
    public static func read(_ path: String) throws -> WFDBHeader {
        let bytes = try readBytes(path)
        guard let text = String(bytes: bytes, encoding: .utf8) ?? String(bytes: bytes, encoding: .isoLatin1) else {
            throw SignalFileError.badHeader(file: path, line: 1, reason: "not text")
        }
        return try parse(text, file: path)
    }

    /// The header as text (CRLF line ends, as PhysioNet writes them).
    public func text() -> String {
        var lines: [String] = []
        var rec = "\(recordName) \(signals.count) \(formatNumber(samplingFrequency))"
        if let sampleCount { rec += " \(sampleCount)" }
        lines.append(rec)
        for s in signals {
            var fmt = "\(s.format)"
            if s.samplesPerFrame != 1 { fmt += "x\(s.samplesPerFrame)" }
            if s.byteOffset != 0 { fmt += "+\(s.byteOffset)" }
            var g = formatNumber(s.gain)
            if s.baseline != s.adcZero { g += "(\(s.baseline))" }
            g += "/\(s.units)"
            var l = "\(s.fileName) \(fmt) \(g) \(s.adcResolution) \(s.adcZero) \(s.initialValue ?? 0) \(s.checksum ?? 0) \(s.blockSize)"
            if !s.description.isEmpty { l += " \(s.description)" }
            lines.append(l)
        }
        for c in comments { lines.append("# \(c)") }
        return lines.joined(separator: "\r\n") + "\r\n"
    }

    private func formatNumber(_ v: Double) -> String {
        v == v.rounded() && abs(v) < 1e15 ? String(Int(v)) : String(v)
    }
}
