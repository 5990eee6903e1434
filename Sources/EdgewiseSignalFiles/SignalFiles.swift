import Foundation

/// Opens any signal file the project reads, choosing the reader by extension: `.hea`/`.dat` or a bare
/// record name (WFDB), `.csv`, `.edf`, `.mat` (TROIKA layout).
public enum SignalFiles {
    /// Reads `path` as a ``SignalRecord``.
    public static func read(_ path: String) throws -> SignalRecord {
        switch (path as NSString).pathExtension.lowercased() {
        case "csv": return try CSVSignalFile.read(path)
        case "edf", "rec": return try EDFFile.read(path)
        case "mat": return try MATFile.readTroika(path)
        case "hea": return try WFDBRecord.read(path).signalRecord
        case "dat": return try WFDBRecord.read((path as NSString).deletingPathExtension).signalRecord
        default:
            if FileManager.default.fileExists(atPath: path + ".hea") { return try WFDBRecord.read(path).signalRecord }
            throw SignalFileError.unsupported(file: path, reason: "unknown signal file type (read: WFDB record, .csv, .edf, .mat)")
        }
    }
}
