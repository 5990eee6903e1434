import EdgewiseCore
import EdgewiseModel
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
    /// The floats in `d`; a length that is not a multiple of 4 is a corrupt checkpoint.
    static func decode(_ d: Data, _ what: String, in path: String) throws -> [Float] {
        guard d.count % 4 == 0 else { throw TrainingError.badCheckpoint("'\(path)': \(what) has \(d.count) bytes, not a whole number of floats") }
        return [Float](unsafeUninitializedCapacity: d.count / 4) { buf, n in
            _ = d.copyBytes(to: UnsafeMutableRawBufferPointer(buf))
            n = d.count / 4
        }
    }

    /// Writes the checkpoint atomically and durably (``AtomicFile``): a power cut leaves the previous
    /// checkpoint or this one, never a torn file.
    func write(to path: String) throws {
        let data = try JSONEncoder().encode(self)
        do { try AtomicFile.write([UInt8](data), to: path) } catch { throw TrainingError.badCheckpoint(error.description) }
    }

    /// The checkpoint at `path`; `nil` only when there is no file there (a fresh run). A file that
    /// exists but cannot be read or decoded is an error saying so, never a silent restart from scratch.
    static func read(path: String) throws -> Checkpoint? {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        if fd < 0 {
            if errno == ENOENT { return nil }
            throw TrainingError.badCheckpoint("'\(path)' exists but cannot be opened: \(String(cString: strerror(errno)))")
        }
        close(fd)
        let data: Data
        do { data = try Data(contentsOf: URL(fileURLWithPath: path)) } catch {
            throw TrainingError.badCheckpoint("'\(path)' cannot be read: \(error.localizedDescription)")
        }
        let c: Checkpoint
        do { c = try JSONDecoder().decode(Checkpoint.self, from: data) } catch {
            throw TrainingError.badCheckpoint("'\(path)' is corrupt (\(data.count) bytes, not a checkpoint this build can decode: \(error)); "
                                              + "delete it to start the run from scratch")
        }
        guard c.version == currentVersion else { throw TrainingError.badCheckpoint("'\(path)' has version \(c.version), this build reads \(currentVersion)") }
        return c
    }
}
