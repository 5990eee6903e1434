import EdgewiseTesting
import Foundation

/// Paths to shared data (env `EDGEWISE_SHARED`, else `../shared` next to the package root) and temp-file helpers.
enum Fixtures {
    static var packageRoot: URL { SharedData.packageRoot }
    static var shared: String? { SharedData.root }

    /// `datasets/kws` under shared, when its `splits.csv` is there.
    static let kws: String? = {
        guard let s = shared, FileManager.default.fileExists(atPath: s + "/datasets/kws/splits.csv") else { return nil }
        return s + "/datasets/kws"
    }()

    /// The KWS front-end WAV fixtures, when present.
    static let frontendWAVs: String? = {
        guard let s = shared, FileManager.default.fileExists(atPath: s + "/models/fixtures/kws_frontend/wav/yes.wav") else { return nil }
        return s + "/models/fixtures/kws_frontend/wav"
    }()

    /// A fresh temporary directory.
    static func tempDirectory(_ tag: String = #function) throws -> String {
        let safe = tag.filter { $0.isLetter || $0.isNumber }
        let p = FileManager.default.temporaryDirectory.appendingPathComponent("edgewise-data-\(safe)-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: p, withIntermediateDirectories: true)
        return p
    }

    /// Bytes of a canonical PCM16 WAV.
    static func wavBytes(_ samples: [Int16], sampleRate: Int = 16000, channels: Int = 1) -> [UInt8] {
        func le32(_ v: Int) -> [UInt8] { (0..<4).map { UInt8((v >> (8 * $0)) & 0xFF) } }
        func le16(_ v: Int) -> [UInt8] { (0..<2).map { UInt8((v >> (8 * $0)) & 0xFF) } }
        let data = samples.flatMap { le16(Int(UInt16(bitPattern: $0))) }
        return Array("RIFF".utf8) + le32(36 + data.count) + Array("WAVEfmt ".utf8) + le32(16) + le16(1) + le16(channels)
            + le32(sampleRate) + le32(sampleRate * channels * 2) + le16(channels * 2) + le16(16) + Array("data".utf8) + le32(data.count) + data
    }

    static func write(_ bytes: [UInt8], to path: String) throws {
        try Data(bytes).write(to: URL(fileURLWithPath: path))
    }

    /// Independent PCM16 WAV parser (RIFF chunk walk) used as the oracle for libsndfile.
    static func parseWAV16(_ path: String) throws -> (samples: [Int16], sampleRate: Int, channels: Int) {
        let b = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
        func u32(_ o: Int) -> Int { Int(b[o]) | Int(b[o + 1]) << 8 | Int(b[o + 2]) << 16 | Int(b[o + 3]) << 24 }
        func u16(_ o: Int) -> Int { Int(b[o]) | Int(b[o + 1]) << 8 }
        var o = 12, rate = 0, channels = 0
        while o + 8 <= b.count {
            let id = String(bytes: b[o..<o + 4], encoding: .ascii) ?? "", size = u32(o + 4)
            if id == "fmt " { channels = u16(o + 10); rate = u32(o + 12) }
            if id == "data" { return ((0..<size / 2).map { Int16(bitPattern: UInt16(u16(o + 8 + 2 * $0))) }, rate, channels) }
            o += 8 + size + (size & 1)
        }
        struct NoData: Error {}
        throw NoData()
    }
}
