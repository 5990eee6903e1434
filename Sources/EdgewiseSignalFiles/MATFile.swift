import CMatio
import Foundation

/// MATLAB `.mat` files through libmatio (the C library made for the format): reads numeric matrices
/// as doubles. Used for TROIKA's recordings (`sig`, rows = channels) and ground truth (`BPM0`).
public enum MATFile {
    /// A matrix read from a MAT-file, column-major as MATLAB stores it.
    public struct Matrix: Sendable, Equatable {
        public var rows: Int, columns: Int
        /// Column-major values.
        public var values: [Double]
        /// Row `r` (0-based).
        public func row(_ r: Int) -> [Double] { (0..<columns).map { values[$0 * rows + r] } }
    }

    /// Reads variable `name` (a real double, single or integer matrix, 1-D or 2-D).
    public static func read(_ path: String, variable name: String) throws -> Matrix {
        guard FileManager.default.fileExists(atPath: path) else { throw SignalFileError.cannotOpen(file: path, reason: "no such file") }
        guard let mat = Mat_Open(path, Int32(MAT_ACC_RDONLY.rawValue)) else { throw SignalFileError.cannotOpen(file: path, reason: "not a MAT-file libmatio can open") }
        defer { Mat_Close(mat) }
        guard let v = Mat_VarRead(mat, name) else { throw SignalFileError.badData(file: path, position: "variable '\(name)'", reason: "missing or unreadable") }
        defer { Mat_VarFree(v) }
        let m = v.pointee
        guard m.isComplex == 0, m.rank >= 1, m.rank <= 2, let dims = m.dims, let data = m.data else {
            throw SignalFileError.unsupported(file: path, reason: "variable '\(name)' is not a real 1-D or 2-D matrix")
        }
        let rows = dims[0], cols = m.rank == 2 ? dims[1] : 1
        let (count, overflow) = rows.multipliedReportingOverflow(by: cols)
        guard !overflow, count < 1 << 31 else { throw SignalFileError.badData(file: path, position: "variable '\(name)'", reason: "absurd size \(rows)×\(cols)") }
        var values = [Double](repeating: 0, count: count)
        switch m.class_type {
        case MAT_C_DOUBLE:
            guard m.nbytes >= count * 8 else { throw SignalFileError.truncated(file: path, offset: 0, reason: "variable '\(name)' data") }
            let p = data.assumingMemoryBound(to: Double.self)
            for i in 0..<count { values[i] = p[i] }
        case MAT_C_SINGLE:
            let p = data.assumingMemoryBound(to: Float.self)
            for i in 0..<count { values[i] = Double(p[i]) }
        case MAT_C_INT16:
            let p = data.assumingMemoryBound(to: Int16.self)
            for i in 0..<count { values[i] = Double(p[i]) }
        case MAT_C_INT32:
            let p = data.assumingMemoryBound(to: Int32.self)
            for i in 0..<count { values[i] = Double(p[i]) }
        default:
            throw SignalFileError.unsupported(file: path, reason: "variable '\(name)' has MATLAB class \(m.class_type.rawValue)")
        }
        return Matrix(rows: rows, columns: cols, values: values)
    }

    /// Writes a double matrix (MAT 5 format, uncompressed), for tests and exports.
    public static func write(_ matrix: Matrix, variable name: String, to path: String) throws {
        guard let mat = Mat_CreateVer(path, nil, MAT_FT_MAT5) else { throw SignalFileError.cannotWrite(file: path, reason: "libmatio cannot create it") }
        defer { Mat_Close(mat) }
        var dims = [matrix.rows, matrix.columns]
        var vals = matrix.values
        let v = vals.withUnsafeMutableBytes { buf in
            dims.withUnsafeMutableBufferPointer { d in
                Mat_VarCreate(name, MAT_C_DOUBLE, MAT_T_DOUBLE, 2, d.baseAddress, buf.baseAddress, 0)
            }
        }
        guard let v else { throw SignalFileError.cannotWrite(file: path, reason: "cannot create variable '\(name)'") }
        defer { Mat_VarFree(v) }
        guard Mat_VarWrite(mat, v, MAT_COMPRESSION_NONE) == 0 else { throw SignalFileError.cannotWrite(file: path, reason: "writing variable '\(name)' failed") }
    }

    /// A TROIKA recording (`sig`: 6 × N with ECG, or 5 × N without) as a record at 125 Hz with channels
    /// `ecg` (when present), `ppg1`, `ppg2`, `ax`, `ay`, `az`.
    public static func readTroika(_ path: String) throws -> SignalRecord {
        let m = try read(path, variable: "sig")
        let labels: [String]
        switch m.rows {
        case 6: labels = ["ecg", "ppg1", "ppg2", "ax", "ay", "az"]
        case 5: labels = ["ppg1", "ppg2", "ax", "ay", "az"]
        default: throw SignalFileError.badData(file: path, position: "variable 'sig'", reason: "\(m.rows) rows; TROIKA files have 5 or 6")
        }
        let chans = labels.enumerated().map { k, l in
            SignalChannel(label: l, units: l.hasPrefix("a") ? "g" : "adu", samples: m.row(k).map { Float($0) })
        }
        let name = ((path as NSString).lastPathComponent as NSString).deletingPathExtension
        return SignalRecord(name: name, samplingRate: 125, channels: chans)
    }

    /// TROIKA ground truth (`BPM0`): one heart rate per 8 s window, windows 2 s apart.
    public static func readTroikaBPM(_ path: String) throws -> [Double] {
        try read(path, variable: "BPM0").values
    }
}
