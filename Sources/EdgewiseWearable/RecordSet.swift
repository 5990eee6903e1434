import Foundation

/// Why a record set could not be resolved.
public enum RecordSetError: Error, CustomStringConvertible, Equatable {
    case noRecords(directory: String)
    case unknownRecord(name: String, directory: String)

    public var description: String {
        switch self {
        case let .noRecords(d): "no WFDB records in \(d) (no RECORDS file and no .hea files)"
        case let .unknownRecord(n, d): "record \(n) is not in \(d) (its RECORDS file or .hea files)"
        }
    }
}

/// The records of a WFDB data directory, and named subsets of them.
public struct RecordSet: Sendable {
    public let directory: String
    /// Every record in the directory: its `RECORDS` file when there is one, else the `.hea` files, sorted.
    public let all: [String]

    /// de Chazal, O'Dwyer and Reilly (IEEE TBME 2004) inter-patient split of MIT-BIH: training half.
    public static let ds1 = ["101", "106", "108", "109", "112", "114", "115", "116", "118", "119", "122", "124", "201", "203", "205", "207", "208", "209", "215", "220", "223", "230"]
    /// The test half.
    public static let ds2 = ["100", "103", "105", "111", "113", "117", "121", "123", "200", "202", "210", "212", "213", "214", "219", "221", "222", "228", "231", "232", "233", "234"]
    /// Paced records, excluded from the inter-patient protocol.
    public static let paced = ["102", "104", "107", "217"]

    public init(directory: String) throws {
        self.directory = directory
        let fm = FileManager.default
        if let text = try? String(contentsOfFile: directory + "/RECORDS", encoding: .utf8) {
            all = text.split(whereSeparator: \.isNewline).map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty && !$0.hasPrefix("#") }
        } else {
            all = ((try? fm.contentsOfDirectory(atPath: directory)) ?? []).filter { $0.hasSuffix(".hea") }.map { String($0.dropLast(4)) }.sorted()
        }
        if all.isEmpty { throw RecordSetError.noRecords(directory: directory) }
    }

    /// Resolves `DS1`, `DS2` (de Chazal's split, which must be present in the directory), `all`, or a
    /// comma-separated list of record names.
    public func resolve(_ spec: String) throws -> [String] {
        let names: [String]
        switch spec.lowercased() {
        case "all": return all
        case "ds1": names = Self.ds1
        case "ds2": names = Self.ds2
        default: names = spec.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
        }
        for n in names where !all.contains(n) { throw RecordSetError.unknownRecord(name: n, directory: directory) }
        return names
    }

    /// Path of record `name` (without extension).
    public func path(_ name: String) -> String { directory + "/" + name }
}
