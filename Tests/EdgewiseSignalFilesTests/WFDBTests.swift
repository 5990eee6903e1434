import EdgewiseTesting
import Foundation
import Testing
@testable import EdgewiseSignalFiles

func tempDirectory(_ tag: String = #function) throws -> String {
    let safe = tag.filter { $0.isLetter || $0.isNumber }
    let p = FileManager.default.temporaryDirectory.appendingPathComponent("edgewise-signalfiles-\(safe)-\(UUID().uuidString)").path
    try FileManager.default.createDirectory(atPath: p, withIntermediateDirectories: true)
    return p
}

/// A small deterministic multi-signal record.
func smallRecord(samples n: Int = 301, signals: Int = 3, fs: Double = 250, range: ClosedRange<Int32> = -2048...2047) -> WFDBRecord {
    var state: UInt64 = 12345
    func next() -> Int32 {
        state = state &* 6364136223846793005 &+ 1442695040888963407
        return range.lowerBound + Int32(truncatingIfNeeded: (state >> 33) % UInt64(range.upperBound - range.lowerBound + 1))
    }
    let sigs = (0..<signals).map { k in
        WFDBHeader.Signal(fileName: "x.dat", format: 212, gain: 100 + Double(k), baseline: 7, units: "mV", adcResolution: 12, adcZero: 7, description: "S\(k)")
    }
    let h = WFDBHeader(recordName: "x", samplingFrequency: fs, sampleCount: n, signals: sigs)
    return WFDBRecord(header: h, digital: (0..<signals).map { _ in (0..<n).map { _ in next() } })
}

@Suite struct WFDBHeaderTests {
    static let header100 = "100 2 360 650000\r\n100.dat 212 200 11 1024 995 -22131 0 MLII\r\n100.dat 212 200 11 1024 1011 20052 0 V5\r\n# 69 M 1085 1629 x1\r\n# Aldomet, Inderal\r\n"

    @Test func parsesPhysioNetHeader() throws {
        let h = try WFDBHeader.parse(Self.header100, file: "100.hea")
        #expect(h.recordName == "100" && h.samplingFrequency == 360 && h.sampleCount == 650000)
        #expect(h.signals.count == 2)
        let s = h.signals[1]
        #expect(s.fileName == "100.dat" && s.format == 212 && s.gain == 200 && s.adcResolution == 11 && s.adcZero == 1024)
        #expect(s.baseline == 1024 && s.initialValue == 1011 && s.checksum == 20052 && s.description == "V5" && s.units == "mV")
        #expect(h.comments == ["69 M 1085 1629 x1", "Aldomet, Inderal"])
    }

    @Test func parsesGainBaselineUnitsOffsetAndOtherRates() throws {
        let h = try WFDBHeader.parse("r 2 128/1(0) 1000\nr.dat 16+24 400(-3)/uV 16 0 5 -7 0 ECG lead I\nr.dat 16+24 0 16\n", file: "r.hea")
        #expect(h.samplingFrequency == 128 && h.sampleCount == 1000)
        #expect(h.signals[0].byteOffset == 24 && h.signals[0].gain == 400 && h.signals[0].baseline == -3 && h.signals[0].units == "uV")
        #expect(h.signals[0].description == "ECG lead I")
        #expect(h.signals[1].gain == 200)  // 0 means the default
    }

    @Test func rejectsAbsurdHeaders() {
        let bad = [
            "", "100", "100 x 360", "100 2 -5 10\na 212\nb 212", "100 2 1e300 10\na 212\nb 212", "100 2 360 -1\na 212\nb 212",
            "100 99999 360", "100 3 360 10\na.dat 212\nb.dat 212", "100 1 360 10\na.dat abc", "100 1 360 10\na.dat 212 x/mV",
            "100 1 360 10\na.dat 212 200 11 1024 0 99999999", "100/3 2 360",
        ]
        for t in bad { #expect(throws: SignalFileError.self, "\(t.debugDescription)") { try WFDBHeader.parse(t, file: "t.hea") } }
    }

    @Test func errorsNameFileAndLine() {
        do { _ = try WFDBHeader.parse("r 1 360 10\nr.dat 212 abc", file: "dir/r.hea"); Issue.record("no error") } catch {
            #expect(String(describing: error).hasPrefix("dir/r.hea:2:"))
        }
    }
}

@Suite struct WFDBRecordTests {
    @Test(arguments: [212, 16]) func writesAndReadsBackExactly(format: Int) throws {
        let dir = try tempDirectory()
        for n in [1, 2, 301, 1000] {
            let r = smallRecord(samples: n)
            try r.write(directory: dir, name: "rec\(n)", format: format)
            let back = try WFDBRecord.read(dir + "/rec\(n)")
            #expect(back.digital == r.digital)
            #expect(back.header.signals.map(\.format) == [format, format, format])
            #expect(back.header.samplingFrequency == 250)
            let phys = back.physical(1)
            #expect(abs(phys[0] - Float(r.digital[1][0] - 7) / 101) < 1e-6)
        }
    }

    @Test func format212PacksAsPhysioNetDoes() throws {
        // Two samples 0x123 and 0xABC (−1348 as 12-bit) pack into 23 C1 BC.
        let flat = try WFDBRecord.decode([0x23, 0xA1, 0xBC], from: 0, format: 212, file: "t", samples: 2)
        #expect(flat == [0x123, Int32(0xABC) - 4096])
    }

    @Test func sliceUpdatesChecksums() throws {
        let dir = try tempDirectory()
        let r = smallRecord(samples: 500).slice(100..<350)
        try r.write(directory: dir, name: "cut")
        let back = try WFDBRecord.read(dir + "/cut")
        #expect(back.digital == r.digital && back.header.sampleCount == 250)
    }

    @Test func badChecksumAndTruncationAreErrors() throws {
        let dir = try tempDirectory()
        let r = smallRecord(samples: 400)
        let (hea, dat) = try r.write(directory: dir, name: "x")
        var bytes = try readBytes(dat)
        bytes[100] ^= 0x40
        try writeBytes(bytes, to: dat)
        #expect(throws: SignalFileError.self) { try WFDBRecord.read(dir + "/x") }
        #expect((try? WFDBRecord.read(dir + "/x", verifyChecksums: false)) != nil)
        try writeBytes(Array(bytes.prefix(200)), to: dat)
        do { _ = try WFDBRecord.read(hea); Issue.record("no error") } catch let e as SignalFileError {
            guard case .truncated(let file, _, _) = e else { Issue.record("\(e)"); return }
            #expect(file.hasSuffix("x.dat"))
        }
        try FileManager.default.removeItem(atPath: dat)
        #expect(throws: SignalFileError.self) { try WFDBRecord.read(hea) }
    }

    @Test func byteFlipsNeverCrash() throws {
        let dir = try tempDirectory()
        let r = smallRecord(samples: 40, signals: 2)
        let (hea, dat) = try r.write(directory: dir, name: "f")
        let ann = dir + "/f.atr"
        try WFDBAnnotationFile.write(AnnotationTests.sample, to: ann)
        for path in [hea, dat, ann] {
            let original = try readBytes(path)
            for i in original.indices {
                for mask: UInt8 in [0x01, 0x80, 0xFF] {
                    var b = original
                    b[i] ^= mask
                    try writeBytes(b, to: path)
                    if path == ann { _ = try? WFDBAnnotationFile.read(ann) } else { _ = try? WFDBRecord.read(hea) }
                }
                // Truncation at every length as well.
                try writeBytes(Array(original.prefix(i)), to: path)
                if path == ann { _ = try? WFDBAnnotationFile.read(ann) } else { _ = try? WFDBRecord.read(hea) }
            }
            try writeBytes(original, to: path)
        }
        #expect(try WFDBRecord.read(hea).digital == r.digital)
    }
}

@Suite struct AnnotationTests {
    static let sample: [WFDBAnnotation] = [
        WFDBAnnotation(sample: 5, code: 28, aux: "(N"),
        WFDBAnnotation(sample: 18, code: 1),
        WFDBAnnotation(sample: 300, code: 5, subtype: 2),
        WFDBAnnotation(sample: 5000, code: 8, channel: 1),
        WFDBAnnotation(sample: 5000, code: 22, channel: 1, number: 3, aux: "odd"),
        WFDBAnnotation(sample: 1_000_000, code: 1, channel: 1, number: 3),
    ]

    @Test func roundTripsSkipNumSubChnAux() throws {
        let bytes = try WFDBAnnotationFile.encode(Self.sample)
        let back = try WFDBAnnotationFile.parse(bytes, file: "t.atr")
        #expect(back == Self.sample)
        #expect(back.map(\.symbol) == ["+", "N", "V", "A", "\"", "N"])
        #expect(back.filter(\.isBeat).count == 4)
    }

    @Test func malformedStreamsAreErrors() {
        #expect(throws: SignalFileError.self) { try WFDBAnnotationFile.parse([0x05], file: "t") }                 // half a word
        #expect(throws: SignalFileError.self) { try WFDBAnnotationFile.parse([0x00, 0xF4, 0x01], file: "t") }     // SKIP without interval
        #expect(throws: SignalFileError.self) { try WFDBAnnotationFile.parse([0x03, 0xFC], file: "t") }           // AUX before any annotation
        #expect(throws: SignalFileError.self) { try WFDBAnnotationFile.parse([0x01, 0x04, 0x09, 0xFC, 0x41], file: "t") }  // AUX longer than the file
        #expect(throws: SignalFileError.self) { try WFDBAnnotationFile.encode([WFDBAnnotation(sample: 9, code: 1), WFDBAnnotation(sample: 3, code: 1)]) }
    }
}

/// Against the shared MIT-BIH copy: the counts its PROVENANCE file gives.
@Suite(.enabled(if: SharedData.path("datasets/mitdb/RECORDS") != nil, "MIT-BIH not found (../shared or EDGEWISE_SHARED)"))
struct MITBIHReaderTests {
    static var dir: String { SharedData.path("datasets/mitdb")! }

    @Test func record100MatchesItsHeader() throws {
        let r = try WFDBRecord.read(Self.dir + "/100")
        #expect(r.digital.count == 2 && r.digital[0].count == 650_000)
        #expect(r.digital[0][0] == 995 && r.digital[1][0] == 1011)
        #expect(r.header.signals.map(\.description) == ["MLII", "V5"])
        let rec = r.signalRecord
        #expect(rec.samplingRate == 360 && abs(rec.channels[0].samples[0] - Float(995 - 1024) / 200) < 1e-6)
    }

    @Test func all48RecordsAndAnnotationCounts() throws {
        let names = try String(contentsOfFile: Self.dir + "/RECORDS", encoding: .utf8).split(whereSeparator: \.isNewline).map(String.init)
        #expect(names.count == 48)
        var total = 0, beats = 0
        var perSymbol: [String: Int] = [:]
        for n in names {
            let h = try WFDBHeader.read(Self.dir + "/\(n).hea")
            #expect(h.sampleCount == 650_000 && h.signals.count == 2 && h.signals.allSatisfy { $0.format == 212 && $0.gain == 200 && $0.adcZero == 1024 })
            let a = try WFDBAnnotationFile.read(record: Self.dir + "/" + n)
            #expect(zip(a, a.dropFirst()).allSatisfy { $0.sample <= $1.sample } && a.last!.sample < 650_000)
            total += a.count
            beats += a.filter(\.isBeat).count
            for x in a { perSymbol[x.symbol, default: 0] += 1 }
            if n == "232" { #expect(a.filter { $0.symbol == "A" }.count == 1382) }
        }
        #expect(total == 112_647 && beats == 109_494)
        #expect(perSymbol["N"] == 75_052 && perSymbol["V"] == 7_130 && perSymbol["/"] == 7_028 && perSymbol["A"] == 2_546)
        #expect(perSymbol["!"] == 472 && perSymbol["+"] == 1_291 && perSymbol["x"] == 193 && perSymbol["S"] == 2 && perSymbol["e"] == 16)
    }

    @Test func everyRecordsChecksumsVerify() throws {
        let names = try String(contentsOfFile: Self.dir + "/RECORDS", encoding: .utf8).split(whereSeparator: \.isNewline).map(String.init)
        for n in names { _ = try WFDBRecord.read(Self.dir + "/" + n) }  // throws on any checksum mismatch
    }

    @Test func record114HasSwappedLeads() throws {
        let h = try WFDBHeader.read(Self.dir + "/114.hea")
        #expect(h.signals.map(\.description) == ["V5", "MLII"])
    }
}
