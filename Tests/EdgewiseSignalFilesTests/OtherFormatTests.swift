import EdgewiseTesting
import Foundation
import Testing
@testable import EdgewiseSignalFiles

@Suite struct CSVTests {
    @Test func readsTimeAndChannels() throws {
        let dir = try tempDirectory()
        let p = dir + "/w.csv"
        var s = "time,ppg,ax,ay,az\n"
        for i in 0..<250 { s += "\(Double(i) / 125),\(i),0.1,0.2,\(Double(i) * 0.5)\n" }
        try s.write(toFile: p, atomically: true, encoding: .utf8)
        let r = try CSVSignalFile.read(p)
        #expect(abs(r.samplingRate - 125) < 1e-6 && r.channels.map(\.label) == ["ppg", "ax", "ay", "az"] && r.length == 250)
        #expect(r.channels[3].samples[10] == 5 && r.channels[1].units == "g")
        let back = dir + "/back.csv"
        try CSVSignalFile.write(r, to: back)
        #expect(try CSVSignalFile.read(back).channels == r.channels)
    }

    @Test func errorsNameLineAndColumn() throws {
        var p = CSVLineParser(file: "live")
        #expect(try p.consume("time,ecg") == nil)
        #expect(try p.consume("0.0,1.5") == [0, 1.5])
        do { try p.consume("0.1,abc"); Issue.record("no error") } catch { #expect(String(describing: error).contains("line 3, column 2")) }
        do { try p.consume("0.1,1,2"); Issue.record("no error") } catch { #expect(String(describing: error).contains("line 4")) }
        var q = CSVLineParser(file: "x")
        #expect(throws: SignalFileError.self) { try q.consume("1,2") }   // numbers where the header should be
        #expect(throws: SignalFileError.self) { try CSVLineParser(file: "e").record(name: "e", samplingRate: nil) }
    }
}

@Suite struct EDFTests {
    static func record() -> SignalRecord {
        let n = 256 * 3
        return SignalRecord(name: "e", samplingRate: 256, channels: [
            SignalChannel(label: "ECG", units: "mV", samples: (0..<n).map { Float(sin(Double($0) * 0.1)) }),
            SignalChannel(label: "Resp", units: "uV", samples: (0..<n).map { Float($0 % 50) }),
        ])
    }

    @Test func writesAndReadsBack() throws {
        let dir = try tempDirectory()
        try EDFFile.write(Self.record(), to: dir + "/e.edf")
        let r = try EDFFile.read(dir + "/e.edf")
        #expect(r.samplingRate == 256 && r.channels.map(\.label) == ["ECG", "Resp"] && r.length == 768)
        for (a, b) in zip(r.channels[0].samples, Self.record().channels[0].samples) { #expect(abs(a - b) < 1e-3) }
        #expect(r.channels[1].units == "uV")
    }

    @Test func malformedEDFIsAnError() throws {
        let dir = try tempDirectory()
        let p = dir + "/e.edf"
        try EDFFile.write(Self.record(), to: p)
        let good = try readBytes(p)
        #expect(throws: SignalFileError.self) { try EDFFile.parse(Array(good.prefix(700)), file: p) }           // truncated data
        #expect(throws: SignalFileError.self) { try EDFFile.parse(Array(good.prefix(100)), file: p) }           // truncated header
        var b = good; b[252] = UInt8(ascii: "9")                                                                // signal count vs header size
        #expect(throws: SignalFileError.self) { try EDFFile.parse(b, file: p) }
        for i in stride(from: 0, to: 768, by: 3) {                                                              // header byte flips
            var c = good; c[i] ^= 0x5A; _ = try? EDFFile.parse(c, file: p)
        }
    }
}

@Suite struct MATTests {
    @Test func writesAndReadsAMatrix() throws {
        let dir = try tempDirectory()
        let m = MATFile.Matrix(rows: 5, columns: 40, values: (0..<200).map { Double($0) * 0.5 })
        try MATFile.write(m, variable: "sig", to: dir + "/t.mat")
        let back = try MATFile.read(dir + "/t.mat", variable: "sig")
        #expect(back == m)
        let r = try MATFile.readTroika(dir + "/t.mat")
        #expect(r.channels.map(\.label) == ["ppg1", "ppg2", "ax", "ay", "az"] && r.length == 40 && r.channels[1].samples[3] == 8)
        #expect(throws: SignalFileError.self) { try MATFile.read(dir + "/t.mat", variable: "nope") }
        try writeBytes(Array("not a mat file at all".utf8), to: dir + "/bad.mat")
        #expect(throws: SignalFileError.self) { try MATFile.read(dir + "/bad.mat", variable: "sig") }
        #expect(throws: SignalFileError.self) { try MATFile.read(dir + "/missing.mat", variable: "sig") }
    }

    @Test(.enabled(if: SharedData.path("datasets/troika") != nil, "TROIKA not found (../shared or EDGEWISE_SHARED)"))
    func troikaShapesMatchProvenance() throws {
        let d = SharedData.path("datasets/troika")!
        let r = try MATFile.readTroika(d + "/Training_data/DATA_01_TYPE01.mat")
        #expect(r.channels.count == 6 && r.length == 37937)
        #expect(try MATFile.readTroikaBPM(d + "/Training_data/DATA_01_TYPE01_BPMtrace.mat").count == 148)
        let t = try MATFile.readTroika(d + "/TestData/TEST_S04_T02.mat")
        #expect(t.channels.count == 5 && t.length == 26000)
        let bpm = try MATFile.readTroikaBPM(d + "/TrueBPM/True_S04_T02.mat")
        #expect(bpm.count == 101 && abs(bpm.min()! - 101.0) < 0.05)
    }
}
