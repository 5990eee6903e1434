import Foundation

/// A WFDB record: its header and every signal's digital samples. Reads formats 212, 16, 61, 80, 24
/// and 32 (one sample per frame), verifies each signal's initial value and 16-bit checksum against the
/// header, and writes formats 212 and 16.
public struct WFDBRecord: Sendable, Equatable {
    public var header: WFDBHeader
    /// Digital (ADC) samples, one array per signal.
    public var digital: [[Int32]]

    public init(header: WFDBHeader, digital: [[Int32]]) { self.header = header; self.digital = digital }

    /// The sample value WFDB uses to mark a missing sample, per format.
    static func invalidValue(_ format: Int) -> Int32? {
        switch format {
        case 212: -2048
        case 16, 61: -32768
        case 80: -128
        default: nil
        }
    }

    /// Reads `<directory>/<record>.hea` and its signal files. `path` may name the record with or
    /// without `.hea`. Checksums are verified unless `verifyChecksums` is false.
    public static func read(_ path: String, verifyChecksums: Bool = true) throws -> WFDBRecord {
        let headerPath = path.hasSuffix(".hea") ? path : path + ".hea"
        let header = try WFDBHeader.read(headerPath)
        let dir = (headerPath as NSString).deletingLastPathComponent
        var digital = [[Int32]](repeating: [], count: header.signals.count)
        // Signals sharing a file are interleaved in it, in header order.
        var groups: [(file: String, members: [Int])] = []
        for (i, s) in header.signals.enumerated() {
            if let g = groups.firstIndex(where: { $0.file == s.fileName }) { groups[g].members.append(i) } else { groups.append((s.fileName, [i])) }
        }
        for g in groups {
            let sigs = g.members.map { header.signals[$0] }
            let fmt = sigs[0].format
            guard sigs.allSatisfy({ $0.format == fmt }) else { throw SignalFileError.unsupported(file: headerPath, reason: "signals in \(g.file) mix formats") }
            guard sigs.allSatisfy({ $0.samplesPerFrame == 1 }) else { throw SignalFileError.unsupported(file: headerPath, reason: "more than one sample per frame in \(g.file)") }
            guard g.file != "-" else { throw SignalFileError.unsupported(file: headerPath, reason: "signals on standard input") }
            let filePath = g.file.hasPrefix("/") ? g.file : (dir.isEmpty ? g.file : dir + "/" + g.file)
            let bytes = try readBytes(filePath)
            let offset = sigs[0].byteOffset
            guard offset <= bytes.count else { throw SignalFileError.truncated(file: filePath, offset: bytes.count, reason: "byte offset \(offset) is past the end") }
            let flat = try decode(bytes, from: offset, format: fmt, file: filePath,
                                  samples: header.sampleCount.map { $0 * sigs.count })
            let n = flat.count / sigs.count
            if let want = header.sampleCount, n < want {
                throw SignalFileError.truncated(file: filePath, offset: bytes.count, reason: "\(n) of \(want) samples per signal")
            }
            for (k, idx) in g.members.enumerated() {
                var a = [Int32](repeating: 0, count: n)
                a.withUnsafeMutableBufferPointer { out in
                    flat.withUnsafeBufferPointer { src in
                        var j = k
                        for t in 0..<n { out[t] = src[j]; j += sigs.count }
                    }
                }
                digital[idx] = a
            }
        }
        let record = WFDBRecord(header: header, digital: digital)
        if verifyChecksums { try record.verify(file: headerPath) }
        return record
    }

    /// Checks every signal's initial value and checksum (when the header gives them).
    public func verify(file: String) throws {
        for (i, s) in header.signals.enumerated() {
            let d = digital[i]
            if let iv = s.initialValue, let first = d.first, Int(first) != iv, !(iv == 0 && header.sampleCount == nil) {
                throw SignalFileError.checksumMismatch(file: file, signal: i, expected: iv, computed: Int(first))
            }
            if let c = s.checksum, header.sampleCount != nil {
                let sum = Self.checksum(d)
                if (sum - c) & 0xFFFF != 0 { throw SignalFileError.checksumMismatch(file: file, signal: i, expected: c, computed: sum) }
            }
        }
    }

    /// WFDB's checksum: the sum of all samples as a signed 16-bit number.
    public static func checksum(_ d: [Int32]) -> Int {
        var s: Int32 = 0
        for v in d { s = s &+ v }
        return Int(Int16(truncatingIfNeeded: s))
    }

    static func decode(_ b: [UInt8], from start: Int, format: Int, file: String, samples: Int?) throws -> [Int32] {
        let avail = b.count - start
        func need(_ bytes: Int, _ n: Int) throws {
            if bytes > avail { throw SignalFileError.truncated(file: file, offset: b.count, reason: "need \(bytes) bytes for \(n) samples after offset \(start)") }
        }
        return try b.withUnsafeBufferPointer { p -> [Int32] in
            let p = UnsafeBufferPointer(rebasing: p[start...])
            switch format {
            case 212:
                let n = samples ?? (avail / 3 * 2)
                try need((n * 3 + 1) / 2, n)
                var out = [Int32](repeating: 0, count: n)
                var i = 0, j = 0
                while i + 1 < n {
                    let b0 = Int32(p[j]), b1 = Int32(p[j + 1]), b2 = Int32(p[j + 2])
                    out[i] = ((b0 | ((b1 & 0x0F) << 8)) << 20) >> 20
                    out[i + 1] = ((b2 | ((b1 & 0xF0) << 4)) << 20) >> 20
                    i += 2; j += 3
                }
                if i < n { out[i] = ((Int32(p[j]) | ((Int32(p[j + 1]) & 0x0F) << 8)) << 20) >> 20 }
                return out
            case 16, 61:
                let n = samples ?? avail / 2
                try need(n * 2, n)
                var out = [Int32](repeating: 0, count: n)
                for i in 0..<n {
                    let lo = UInt16(p[2 * i]), hi = UInt16(p[2 * i + 1])
                    out[i] = Int32(Int16(bitPattern: format == 16 ? lo | hi << 8 : hi | lo << 8))
                }
                return out
            case 80:
                let n = samples ?? avail
                try need(n, n)
                return (0..<n).map { Int32(p[$0]) - 128 }
            case 24:
                let n = samples ?? avail / 3
                try need(n * 3, n)
                return (0..<n).map { i -> Int32 in
                    let u: Int32 = Int32(p[3 * i]) | (Int32(p[3 * i + 1]) << 8) | (Int32(p[3 * i + 2]) << 16)
                    return (u << 8) >> 8
                }
            case 32:
                let n = samples ?? avail / 4
                try need(n * 4, n)
                return (0..<n).map { i -> Int32 in
                    let u: UInt32 = UInt32(p[4 * i]) | (UInt32(p[4 * i + 1]) << 8) | (UInt32(p[4 * i + 2]) << 16) | (UInt32(p[4 * i + 3]) << 24)
                    return Int32(bitPattern: u)
                }
            default:
                throw SignalFileError.unsupported(file: file, reason: "signal format \(format) (read: 212, 16, 61, 80, 24, 32)")
            }
        }
    }

    /// Physical values of signal `i`: `(digital − baseline) / gain`; invalid samples become 0.
    public func physical(_ i: Int) -> [Float] {
        let s = header.signals[i]
        let inv = Self.invalidValue(s.format)
        let scale = Float(1 / s.gain), base = Int32(s.baseline)
        return digital[i].map { v in v == inv ? 0 : Float(v - base) * scale }
    }

    /// The record as a ``SignalRecord`` in physical units.
    public var signalRecord: SignalRecord {
        SignalRecord(name: header.recordName, samplingRate: header.samplingFrequency,
                     channels: header.signals.indices.map { SignalChannel(label: header.signals[$0].description, units: header.signals[$0].units, samples: physical($0)) })
    }

    /// Samples `range` of every signal, with the header's sample count, initial values and checksums updated.
    public func slice(_ range: Range<Int>) -> WFDBRecord {
        var r = self
        r.digital = digital.map { Array($0[range]) }
        r.header.sampleCount = range.count
        for i in r.header.signals.indices {
            r.header.signals[i].initialValue = r.digital[i].first.map(Int.init) ?? 0
            r.header.signals[i].checksum = Self.checksum(r.digital[i])
        }
        return r
    }

    /// Writes `<directory>/<name>.hea` and `<name>.dat` (every signal in one file, format 212 or 16),
    /// with initial values and checksums computed from the samples. Returns the two paths.
    @discardableResult
    public func write(directory: String, name: String? = nil, format: Int = 212) throws -> (header: String, data: String) {
        guard format == 212 || format == 16 else { throw SignalFileError.unsupported(file: directory, reason: "writing format \(format) (write: 212, 16)") }
        let name = name ?? header.recordName
        var h = header
        h.recordName = name
        let n = digital.map(\.count).min() ?? 0
        h.sampleCount = n
        for i in h.signals.indices {
            h.signals[i].fileName = "\(name).dat"; h.signals[i].format = format; h.signals[i].byteOffset = 0
            h.signals[i].samplesPerFrame = 1
            if format == 212 { h.signals[i].adcResolution = min(h.signals[i].adcResolution, 12) }
            h.signals[i].initialValue = digital[i].first.map(Int.init) ?? 0
            h.signals[i].checksum = Self.checksum(Array(digital[i].prefix(n)))
        }
        var flat: [Int32] = []
        flat.reserveCapacity(n * digital.count)
        for t in 0..<n { for s in digital.indices { flat.append(digital[s][t]) } }
        var bytes: [UInt8] = []
        if format == 16 {
            for v in flat { let u = UInt16(bitPattern: Int16(clamping: v)); bytes += [UInt8(u & 0xFF), UInt8(u >> 8)] }
        } else {
            let lo: Int32 = -2048, hi: Int32 = 2047
            for v in flat where v < lo || v > hi {
                throw SignalFileError.cannotWrite(file: directory + "/\(name).dat", reason: "sample \(v) does not fit format 212's 12 bits")
            }
            var i = 0
            while i < flat.count {
                let a = UInt32(bitPattern: flat[i]) & 0xFFF
                let b = i + 1 < flat.count ? UInt32(bitPattern: flat[i + 1]) & 0xFFF : 0
                bytes.append(UInt8(a & 0xFF))
                bytes.append(UInt8(((a >> 8) & 0x0F) | ((b >> 4) & 0xF0)))
                if i + 1 < flat.count { bytes.append(UInt8(b & 0xFF)) }
                i += 2
            }
        }
        let dat = directory + "/\(name).dat", hea = directory + "/\(name).hea"
        try writeBytes(bytes, to: dat)
        try writeBytes(Array(h.text().utf8), to: hea)
        return (hea, dat)
    }
}
