import Foundation

/// Why an inspection model could not be read, written or built. Cases name the file.
public enum InspectionError: Error, CustomStringConvertible, Equatable, Sendable {
    case cannotRead(file: String, reason: String)
    case malformedModel(file: String, reason: String)
    case cannotWrite(file: String, reason: String)
    case noImages(directory: String)
    case malformedSplits(file: String, line: Int, reason: String)

    public var description: String {
        switch self {
        case let .cannotRead(f, r): "cannot read inspection model \(f): \(r)"
        case let .malformedModel(f, r): "\(f) is not a valid inspection model: \(r)"
        case let .cannotWrite(f, r): "cannot write \(f): \(r)"
        case let .noImages(d): "no PNG/JPEG images in \(d)"
        case let .malformedSplits(f, l, r): "\(f):\(l): \(r)"
        }
    }
}

/// An enrolled product: feature normalisation, the coarse and fine memory banks and the thresholds.
/// It holds patch features only, never images. File layout: the 8-byte magic `EWINSP01`, a UInt32
/// little-endian length, a JSON header (`Header`), then the float32 arrays in header order.
public struct InspectionModel: Sendable {
    public struct Header: Codable, Sendable, Equatable {
        public var extractor: String
        public var inputSize: Int
        public var coarseDims: Int
        public var fineDims: Int
        public var coarseBankCount: Int
        public var fineBankCount: Int
        /// Raw image scores (max of the smoothed NN-distance map) at which each exit says `defect`.
        public var coarseThreshold: Float
        public var fineThreshold: Float
        /// Early-exit rule on the coarse score as a fraction of its threshold: below `exitLow` the
        /// frame is clearly good, above `exitHigh` clearly defective; in between it goes deeper.
        public var exitLow: Float
        public var exitHigh: Float
        /// Map smoothing (Gaussian σ in input pixels).
        public var sigma: Float
        /// Fine-grid cells at the frame border left out of the map and the score (crop edges of real
        /// parts carry edge artefacts); the coarse stage drops ⌈margin/2⌉ cells.
        public var margin: Int
        /// The false-reject rate the thresholds were set for, on `holdoutImages` good parts.
        public var falseRejectRate: Float
        public var trainImages: Int
        public var holdoutImages: Int
    }

    public var header: Header
    public var coarseMean: [Float]
    public var coarseInvStd: [Float]
    public var fineMean: [Float]
    public var fineInvStd: [Float]
    public var coarseBank: MemoryBank
    public var fineBank: MemoryBank

    static let magic = Array("EWINSP01".utf8)

    public init(header: Header, coarseMean: [Float], coarseInvStd: [Float], fineMean: [Float], fineInvStd: [Float],
                coarseBank: MemoryBank, fineBank: MemoryBank) {
        self.header = header
        self.coarseMean = coarseMean
        self.coarseInvStd = coarseInvStd
        self.fineMean = fineMean
        self.fineInvStd = fineInvStd
        self.coarseBank = coarseBank
        self.fineBank = fineBank
    }

    public func write(to path: String) throws {
        var h = header
        h.coarseBankCount = coarseBank.count
        h.fineBankCount = fineBank.count
        let enc = JSONEncoder()
        enc.outputFormatting = [.sortedKeys]
        let json = try enc.encode(h)
        var data = Data(Self.magic)
        withUnsafeBytes(of: UInt32(json.count).littleEndian) { data.append(contentsOf: $0) }
        data.append(json)
        for array in [coarseMean, coarseInvStd, fineMean, fineInvStd, coarseBank.vectors, fineBank.vectors] {
            array.withUnsafeBytes { data.append(contentsOf: $0) }
        }
        do { try data.write(to: URL(fileURLWithPath: path)) } catch {
            throw InspectionError.cannotWrite(file: path, reason: error.localizedDescription)
        }
    }

    public static func read(from path: String) throws -> InspectionModel {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw InspectionError.cannotRead(file: path, reason: "no such file or not readable")
        }
        guard data.count >= 12, Array(data.prefix(8)) == magic else {
            throw InspectionError.malformedModel(file: path, reason: "missing EWINSP01 magic")
        }
        let jsonLength = data.subdata(in: 8..<12).withUnsafeBytes { Int(UInt32(littleEndian: $0.loadUnaligned(as: UInt32.self))) }
        guard 12 + jsonLength <= data.count else {
            throw InspectionError.malformedModel(file: path, reason: "header length \(jsonLength) runs past the end")
        }
        let h: Header
        do { h = try JSONDecoder().decode(Header.self, from: data.subdata(in: 12..<(12 + jsonLength))) } catch {
            throw InspectionError.malformedModel(file: path, reason: "header: \(error)")
        }
        let counts = [h.coarseDims, h.coarseDims, h.fineDims, h.fineDims, h.coarseBankCount * h.coarseDims, h.fineBankCount * h.fineDims]
        guard counts.allSatisfy({ $0 >= 0 }), h.coarseDims > 0, h.fineDims > 0, h.coarseBankCount > 0, h.fineBankCount > 0 else {
            throw InspectionError.malformedModel(file: path, reason: "non-positive sizes in header")
        }
        let expected = 12 + jsonLength + counts.reduce(0, +) * 4
        guard data.count == expected else {
            throw InspectionError.malformedModel(file: path, reason: "\(data.count) bytes, header implies \(expected)")
        }
        var offset = 12 + jsonLength
        var arrays: [[Float]] = []
        for n in counts {
            let a = data.subdata(in: offset..<(offset + 4 * n)).withUnsafeBytes { raw in
                (0..<n).map { Float(bitPattern: UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: 4 * $0, as: UInt32.self))) }
            }
            arrays.append(a)
            offset += 4 * n
        }
        guard arrays.joined().allSatisfy({ $0.isFinite }) else {
            throw InspectionError.malformedModel(file: path, reason: "non-finite values")
        }
        return InspectionModel(header: h, coarseMean: arrays[0], coarseInvStd: arrays[1], fineMean: arrays[2], fineInvStd: arrays[3],
                               coarseBank: MemoryBank(dims: h.coarseDims, vectors: arrays[4]),
                               fineBank: MemoryBank(dims: h.fineDims, vectors: arrays[5]))
    }
}
