import EdgewiseCore
import Foundation

/// Everything needed to continue a run exactly: parameters (with batch-norm running statistics),
/// optimiser state, the position in the data (epoch, next batch; the order itself is a function of
/// the seed and epoch), the step (which seeds dropout), the running epoch sums and the log so far.
/// Stored as JSON with float arrays as base64 of their IEEE bits, so a resume is bit-exact.
struct Checkpoint: Codable {
    static let currentVersion = 1
    var version = Checkpoint.currentVersion
    var phase: String
    var seed: UInt64
    /// Training finished; the parameters are final.
    var complete: Bool
    var epoch: Int
    var nextBatch: Int
    var step: Int
    var optimizerStep: Int
    var epochLossSum: Double, epochCorrect: Int, epochSeen: Int, epochSeconds: Double
    var parameters: [String: Data]
    var firstMoments: [String: Data]
    var secondMoments: [String: Data]
    var history: [EpochRecord]

    static func encode(_ v: [Float]) -> Data { v.withUnsafeBytes { Data($0) } }
    static func decode(_ d: Data) -> [Float] {
        [Float](unsafeUninitializedCapacity: d.count / 4) { buf, n in
            _ = d.copyBytes(to: UnsafeMutableRawBufferPointer(buf))
            n = d.count / 4
        }
    }

    func write(to path: String) throws {
        let data = try JSONEncoder().encode(self)
        let tmp = path + ".tmp"
        try data.write(to: URL(fileURLWithPath: tmp))
        _ = try? FileManager.default.removeItem(atPath: path)
        try FileManager.default.moveItem(atPath: tmp, toPath: path)
    }

    static func read(path: String) throws -> Checkpoint? {
        guard let data = FileManager.default.contents(atPath: path) else { return nil }
        let c: Checkpoint
        do { c = try JSONDecoder().decode(Checkpoint.self, from: data) } catch { throw TrainingError.badCheckpoint("'\(path)': \(error)") }
        guard c.version == currentVersion else { throw TrainingError.badCheckpoint("'\(path)' has version \(c.version), this build reads \(currentVersion)") }
        return c
    }
}
