import EdgewiseTesting
import Foundation

/// Locates `/work/shared`-style fixtures: env `EDGEWISE_SHARED`, else `../shared` next to the package root.
enum Fixtures {
    static var packageRoot: URL { SharedData.packageRoot }
    static var shared: String? { SharedData.root }

    /// `models/fixtures/kws_frontend` under shared, if present.
    static let kwsFrontend: String? = {
        guard let s = shared else { return nil }
        let p = s + "/models/fixtures/kws_frontend"
        return FileManager.default.fileExists(atPath: p + "/mfcc_tf_ops.npy") ? p : nil
    }()

    struct WAVError: Error, CustomStringConvertible { var description: String }

    /// Reads a canonical PCM16 WAV (walks the RIFF chunks): samples and sample rate; mono only.
    static func readWAV16(_ path: String) throws -> (samples: [Int16], sampleRate: Int) {
        let b = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
        func u32(_ o: Int) -> Int { Int(b[o]) | Int(b[o + 1]) << 8 | Int(b[o + 2]) << 16 | Int(b[o + 3]) << 24 }
        func u16(_ o: Int) -> Int { Int(b[o]) | Int(b[o + 1]) << 8 }
        guard b.count >= 12, String(bytes: b[0..<4], encoding: .ascii) == "RIFF", String(bytes: b[8..<12], encoding: .ascii) == "WAVE"
        else { throw WAVError(description: "\(path): not RIFF/WAVE") }
        var o = 12, rate = 0, channels = 0, bits = 0
        while o + 8 <= b.count {
            let id = String(bytes: b[o..<o + 4], encoding: .ascii) ?? "", size = u32(o + 4)
            if id == "fmt " { channels = u16(o + 10); rate = u32(o + 12); bits = u16(o + 22) }
            if id == "data" {
                guard channels == 1, bits == 16, o + 8 + size <= b.count else { throw WAVError(description: "\(path): need mono PCM16") }
                let samples = (0..<size / 2).map { Int16(bitPattern: UInt16(u16(o + 8 + 2 * $0))) }
                return (samples, rate)
            }
            o += 8 + size + (size & 1)
        }
        throw WAVError(description: "\(path): no data chunk")
    }
}
