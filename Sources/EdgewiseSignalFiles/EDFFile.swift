import Foundation

/// EDF and EDF+ (European Data Format): a 256-byte ASCII header, 256 bytes per signal, then data
/// records of 16-bit little-endian samples. EDF+ annotation signals (`EDF Annotations`) are skipped.
/// Signals are resampled to nothing: the record keeps the signals that share the highest rate.
public enum EDFFile {
    /// The parsed header of one signal.
    public struct Signal: Sendable, Equatable {
        public var label: String, units: String
        public var physicalMin: Double, physicalMax: Double
        public var digitalMin: Int, digitalMax: Int
        public var samplesPerRecord: Int
    }

    /// Reads an EDF/EDF+ file. Signals whose rate differs from the first data signal's are dropped.
    public static func read(_ path: String) throws -> SignalRecord {
        let b = try readBytes(path)
        return try parse(b, file: path)
    }

    public static func parse(_ b: [UInt8], file: String) throws -> SignalRecord {
        guard b.count >= 256 else { throw SignalFileError.truncated(file: file, offset: b.count, reason: "EDF header is 256 bytes") }
        func field(_ o: Int, _ n: Int) -> String {
            String(decoding: b[o..<o + n], as: UTF8.self).trimmingCharacters(in: .whitespaces)
        }
        func int(_ o: Int, _ n: Int, _ what: String) throws -> Int {
            guard let v = Int(field(o, n)) else { throw SignalFileError.badHeader(file: file, line: 0, reason: "byte \(o): bad \(what) '\(field(o, n))'") }
            return v
        }
        func dbl(_ o: Int, _ n: Int, _ what: String) throws -> Double {
            guard let v = Double(field(o, n)), v.isFinite else { throw SignalFileError.badHeader(file: file, line: 0, reason: "byte \(o): bad \(what) '\(field(o, n))'") }
            return v
        }
        guard field(0, 8) == "0" else { throw SignalFileError.badHeader(file: file, line: 0, reason: "byte 0: version '\(field(0, 8))' is not EDF's '0'") }
        let headerBytes = try int(184, 8, "header size")
        let reserved = field(192, 44)
        if reserved.hasPrefix("EDF+D") { throw SignalFileError.unsupported(file: file, reason: "discontinuous EDF+D recording") }
        var nrec = try int(236, 8, "number of data records")
        let duration = try dbl(244, 8, "data record duration")
        let ns = try int(252, 4, "number of signals")
        guard ns >= 1, ns <= 4096 else { throw SignalFileError.badHeader(file: file, line: 0, reason: "byte 252: \(ns) signals") }
        guard headerBytes == 256 * (ns + 1) else { throw SignalFileError.badHeader(file: file, line: 0, reason: "byte 184: header size \(headerBytes) ≠ 256 × (\(ns) + 1)") }
        guard b.count >= headerBytes else { throw SignalFileError.truncated(file: file, offset: b.count, reason: "signal headers need \(headerBytes) bytes") }
        guard duration > 0, duration <= 1e6 else { throw SignalFileError.badHeader(file: file, line: 0, reason: "byte 244: data record duration \(duration)") }
        var sigs: [Signal] = []
        var o = 256
        func col(_ width: Int) -> [Int] { let start = o; o += width * ns; return (0..<ns).map { start + $0 * width } }
        let labels = col(16), trans = col(80), dims = col(8), pmin = col(8), pmax = col(8), dmin = col(8), dmax = col(8), pre = col(80), spr = col(8)
        _ = trans; _ = pre
        for k in 0..<ns {
            let s = Signal(label: field(labels[k], 16), units: field(dims[k], 8),
                           physicalMin: try dbl(pmin[k], 8, "physical minimum"), physicalMax: try dbl(pmax[k], 8, "physical maximum"),
                           digitalMin: try int(dmin[k], 8, "digital minimum"), digitalMax: try int(dmax[k], 8, "digital maximum"),
                           samplesPerRecord: try int(spr[k], 8, "samples per record"))
            guard s.samplesPerRecord >= 1, s.samplesPerRecord <= 1 << 24 else {
                throw SignalFileError.badHeader(file: file, line: 0, reason: "signal \(k) '\(s.label)': \(s.samplesPerRecord) samples per record")
            }
            guard s.digitalMax > s.digitalMin, s.physicalMax != s.physicalMin else {
                throw SignalFileError.badHeader(file: file, line: 0, reason: "signal \(k) '\(s.label)': empty digital or physical range")
            }
            sigs.append(s)
        }
        let recordBytes = sigs.reduce(0) { $0 + 2 * $1.samplesPerRecord }
        let available = (b.count - headerBytes) / recordBytes
        if nrec == -1 { nrec = available }
        guard nrec >= 0, nrec <= available else {
            throw SignalFileError.truncated(file: file, offset: b.count, reason: "header declares \(nrec) data records, file holds \(available)")
        }
        let data = sigs.indices.filter { sigs[$0].label != "EDF Annotations" }
        guard let first = data.first else { throw SignalFileError.unsupported(file: file, reason: "no data signals (annotations only)") }
        let spr0 = sigs[first].samplesPerRecord
        let keep = data.filter { sigs[$0].samplesPerRecord == spr0 }
        var offsets: [Int] = []
        var acc = 0
        for s in sigs { offsets.append(acc); acc += 2 * s.samplesPerRecord }
        var channels: [SignalChannel] = []
        for k in keep {
            let s = sigs[k]
            let scale = (s.physicalMax - s.physicalMin) / Double(s.digitalMax - s.digitalMin)
            var out = [Float](); out.reserveCapacity(nrec * s.samplesPerRecord)
            for r in 0..<nrec {
                var p = headerBytes + r * recordBytes + offsets[k]
                for _ in 0..<s.samplesPerRecord {
                    let d = Int(Int16(bitPattern: UInt16(b[p]) | UInt16(b[p + 1]) << 8))
                    out.append(Float(s.physicalMin + Double(d - s.digitalMin) * scale))
                    p += 2
                }
            }
            channels.append(SignalChannel(label: s.label, units: s.units, samples: out))
        }
        let name = ((file as NSString).lastPathComponent as NSString).deletingPathExtension
        return SignalRecord(name: name, samplingRate: Double(spr0) / duration, channels: channels)
    }

    /// Writes a plain EDF file (1-second data records; the record's rate must be an integer).
    public static func write(_ record: SignalRecord, to path: String) throws {
        let fs = Int(record.samplingRate)
        guard Double(fs) == record.samplingRate, fs >= 1 else { throw SignalFileError.cannotWrite(file: path, reason: "EDF writer needs an integer sampling rate, got \(record.samplingRate)") }
        let ns = record.channels.count
        let nrec = record.length / fs
        func pad(_ s: String, _ n: Int) -> [UInt8] { Array((s + String(repeating: " ", count: max(0, n - s.count))).utf8.prefix(n)) }
        var h: [UInt8] = []
        h += pad("0", 8) + pad("X X X X", 80) + pad("Startdate X X X X", 80) + pad("01.01.00", 8) + pad("00.00.00", 8)
        h += pad(String(256 * (ns + 1)), 8) + pad("", 44) + pad(String(nrec), 8) + pad("1", 8) + pad(String(ns), 4)
        var ranges: [(Double, Double)] = []
        for c in record.channels {
            let lo = Double(c.samples.min() ?? -1), hi = Double(c.samples.max() ?? 1)
            ranges.append(lo == hi ? (lo - 1, hi + 1) : (lo, hi))
        }
        for c in record.channels { h += pad(c.label, 16) }
        for _ in record.channels { h += pad("", 80) }
        for c in record.channels { h += pad(c.units, 8) }
        for r in ranges { h += pad(String(format: "%.6g", r.0), 8) }
        for r in ranges { h += pad(String(format: "%.6g", r.1), 8) }
        for _ in record.channels { h += pad("-32768", 8) }
        for _ in record.channels { h += pad("32767", 8) }
        for _ in record.channels { h += pad("", 80) }
        for _ in record.channels { h += pad(String(fs), 8) }
        for _ in record.channels { h += pad("", 32) }
        // Re-read the rounded physical ranges so the samples are scaled exactly as a reader will.
        let written = ranges.map { (Double(String(format: "%.6g", $0.0))!, Double(String(format: "%.6g", $0.1))!) }
        for r in 0..<nrec {
            for (k, c) in record.channels.enumerated() {
                let (lo, hi) = written[k]
                let scale = 65535 / (hi - lo)
                for t in r * fs..<(r + 1) * fs {
                    let d = Int16(clamping: Int((Double(c.samples[t]) - lo) * scale - 32768).clamped(-32768, 32767))
                    let u = UInt16(bitPattern: d)
                    h.append(UInt8(u & 0xFF)); h.append(UInt8(u >> 8))
                }
            }
        }
        try writeBytes(h, to: path)
    }
}

extension Int {
    fileprivate func clamped(_ lo: Int, _ hi: Int) -> Int { Swift.min(Swift.max(self, lo), hi) }
}
