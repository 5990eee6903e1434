/// One WFDB annotation.
public struct WFDBAnnotation: Sendable, Equatable {
    /// Sample index (time) of the annotation.
    public var sample: Int
    /// Annotation code (1 = N, 5 = V, …; see ``WFDBAnnotation/symbols``).
    public var code: Int
    public var subtype: Int
    public var channel: Int
    public var number: Int
    /// Auxiliary text (rhythm labels such as `(AFIB`), if any.
    public var aux: String?

    public init(sample: Int, code: Int, subtype: Int = 0, channel: Int = 0, number: Int = 0, aux: String? = nil) {
        self.sample = sample; self.code = code; self.subtype = subtype; self.channel = channel; self.number = number; self.aux = aux
    }

    /// From a mnemonic such as `"N"` or `"V"`.
    public init?(sample: Int, symbol: String, aux: String? = nil) {
        guard let c = Self.symbols.firstIndex(of: symbol), !symbol.isEmpty else { return nil }
        self.init(sample: sample, code: c, aux: aux)
    }

    /// The code's mnemonic (`N`, `V`, `+`, …), as WFDB's `ecgcodes.h` defines them.
    public var symbol: String { code >= 0 && code < Self.symbols.count ? Self.symbols[code] : "[\(code)]" }

    /// Mnemonics indexed by code (empty: unused code).
    public static let symbols: [String] = [
        "", "N", "L", "R", "a", "V", "F", "J", "A", "S", "E", "j", "/", "Q", "~", "", "|", "", "s", "T", "*",
        "D", "\"", "=", "p", "B", "^", "t", "+", "u", "?", "!", "[", "]", "e", "n", "@", "x", "f", "(", ")", "r",
    ]

    /// The standard beat codes (`N L R B A a J S V r F e j n E / f Q ?`).
    public static let beatSymbols: Set<String> = ["N", "L", "R", "B", "A", "a", "J", "S", "V", "r", "F", "e", "j", "n", "E", "/", "f", "Q", "?"]

    /// Whether this annotation marks a beat.
    public var isBeat: Bool { Self.beatSymbols.contains(symbol) }
}

/// WFDB annotation files in MIT format (`.atr`, …): 16-bit little-endian words, 6-bit code and 10-bit
/// time increment, with the pseudo-codes SKIP (59), NUM (60), SUB (61), CHN (62) and AUX (63).
public enum WFDBAnnotationFile {
    static let skip = 59, num = 60, sub = 61, chn = 62, aux = 63

    /// Parses annotation bytes; `file` names the file in errors.
    public static func parse(_ b: [UInt8], file: String) throws -> [WFDBAnnotation] {
        var out: [WFDBAnnotation] = []
        var i = 0, time = 0, number = 0, channel = 0
        func word(_ at: Int) throws -> Int {
            guard at + 1 < b.count else { throw SignalFileError.truncated(file: file, offset: b.count, reason: "annotation word at byte \(at) is incomplete") }
            return Int(b[at]) | Int(b[at + 1]) << 8
        }
        while i < b.count {
            let w = try word(i)
            let a = w >> 10, v = w & 0x3FF
            if w == 0 { return out }  // end of file
            switch a {
            case skip:
                guard i + 5 < b.count else { throw SignalFileError.truncated(file: file, offset: b.count, reason: "SKIP at byte \(i) lacks its 32-bit interval") }
                let hi = try word(i + 2), lo = try word(i + 4)
                let interval = Int(Int32(bitPattern: UInt32(hi) << 16 | UInt32(lo)))
                time += interval
                i += 6
                continue
            case num:
                guard !out.isEmpty else { throw SignalFileError.badData(file: file, position: "byte \(i)", reason: "NUM before any annotation") }
                number = Int(Int16(truncatingIfNeeded: v << 6) >> 6); out[out.count - 1].number = number
            case sub:
                guard !out.isEmpty else { throw SignalFileError.badData(file: file, position: "byte \(i)", reason: "SUB before any annotation") }
                out[out.count - 1].subtype = v
            case chn:
                guard !out.isEmpty else { throw SignalFileError.badData(file: file, position: "byte \(i)", reason: "CHN before any annotation") }
                channel = v; out[out.count - 1].channel = v
            case aux:
                guard !out.isEmpty else { throw SignalFileError.badData(file: file, position: "byte \(i)", reason: "AUX before any annotation") }
                let start = i + 2
                guard start + v <= b.count else { throw SignalFileError.truncated(file: file, offset: b.count, reason: "AUX at byte \(i) declares \(v) bytes") }
                let bytes = b[start..<start + v].prefix { $0 != 0 }
                out[out.count - 1].aux = String(decoding: bytes, as: UTF8.self)
                i = start + v + (v & 1)
                continue
            default:
                time += v
                guard time >= 0 else { throw SignalFileError.badData(file: file, position: "byte \(i)", reason: "annotation time \(time) is negative") }
                out.append(WFDBAnnotation(sample: time, code: a, subtype: 0, channel: channel, number: number, aux: nil))
            }
            i += 2
        }
        return out  // no end marker: tolerated, as WFDB does
    }

    /// Reads an annotation file.
    public static func read(_ path: String) throws -> [WFDBAnnotation] { try parse(try readBytes(path), file: path) }

    /// Reads `<record>.<annotator>` (e.g. `mitdb/100` and `atr`).
    public static func read(record: String, annotator: String = "atr") throws -> [WFDBAnnotation] {
        try read(record + "." + annotator)
    }

    /// Encodes annotations (sorted by sample) in MIT format, ending with the end-of-file word.
    public static func encode(_ annotations: [WFDBAnnotation]) throws -> [UInt8] {
        var b: [UInt8] = []
        func put(_ w: Int) { b.append(UInt8(w & 0xFF)); b.append(UInt8((w >> 8) & 0xFF)) }
        var time = 0, number = 0, channel = 0
        for a in annotations {
            guard (1...49).contains(a.code) else { throw SignalFileError.cannotWrite(file: "annotations", reason: "annotation code \(a.code) at sample \(a.sample) is not 1…49") }
            let d = a.sample - time
            guard d >= 0 else { throw SignalFileError.cannotWrite(file: "annotations", reason: "annotations are not sorted (sample \(a.sample) after \(time))") }
            var inc = d
            if d > 1023 {
                put(skip << 10)
                let u = UInt32(truncatingIfNeeded: d)
                put(Int(u >> 16)); put(Int(u & 0xFFFF))
                inc = 0
            }
            put(a.code << 10 | inc)
            time = a.sample
            if a.subtype != 0 { put(sub << 10 | (a.subtype & 0x3FF)) }
            if a.channel != channel { put(chn << 10 | (a.channel & 0x3FF)); channel = a.channel }
            if a.number != number { put(num << 10 | (a.number & 0x3FF)); number = a.number }
            if let text = a.aux, !text.isEmpty {
                let t = Array(text.utf8.prefix(255))
                put(Self.aux << 10 | t.count)
                b += t
                if t.count & 1 == 1 { b.append(0) }
            }
        }
        put(0)
        return b
    }

    /// Writes annotations to `path`.
    public static func write(_ annotations: [WFDBAnnotation], to path: String) throws {
        do { try writeBytes(encode(annotations), to: path) } catch SignalFileError.cannotWrite(_, let reason) { throw SignalFileError.cannotWrite(file: path, reason: reason) }
    }
}
