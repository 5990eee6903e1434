#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Writes whole files so that a crash or power loss at any moment leaves either the old file or the
/// new one at the path, never a mix or a truncated file: the bytes go to a fresh temporary file beside
/// the target (created with `O_EXCL`, so two writers never share one), which is `fsync`ed, renamed over
/// the target with `rename(2)` (atomic within a file system), and then the directory is `fsync`ed so the
/// rename itself is durable. Used for model files and training checkpoints.
public enum AtomicFile {
    /// Why an atomic write failed: the target, the step, and the system's reason.
    public struct WriteError: Error, CustomStringConvertible, Equatable, Sendable {
        /// The file that was to be written.
        public var path: String
        /// What failed, e.g. "cannot create '/dir/.model.edgewise.tmp-12-3'".
        public var step: String
        /// `strerror(errno)` at the failure.
        public var reason: String
        public var description: String { "cannot write '\(path)': \(step): \(reason)" }
    }

    /// Writes `bytes` to `path` atomically and durably (see ``AtomicFile``). On failure the temporary
    /// file is removed and the previous file at `path`, if any, is untouched.
    public static func write(_ bytes: [UInt8], to path: String) throws(WriteError) {
        let slash = path.lastIndex(of: "/")
        let dir = slash.map { $0 == path.startIndex ? "/" : String(path[..<$0]) } ?? "."
        let name = slash.map { String(path[path.index(after: $0)...]) } ?? path
        var fd: Int32 = -1
        var tmp = ""
        for attempt in 0..<100 {
            tmp = "\(dir)/.\(name).tmp-\(getpid())-\(attempt)"
            fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
            if fd >= 0 || errno != EEXIST { break }
        }
        guard fd >= 0 else { throw WriteError(path: path, step: "cannot create '\(tmp)'", reason: errnoText()) }
        var renamed = false
        defer { if !renamed { unlink(tmp) } }
        var done = 0
        let failure: String? = bytes.withUnsafeBytes { buf in
            guard let base = buf.baseAddress else { return nil }
            while done < buf.count {
                let r = posixWrite(fd, base + done, buf.count - done)
                if r < 0 {
                    if errno == EINTR { continue }
                    return errnoText()
                }
                done += r
            }
            return nil
        }
        if let failure {
            close(fd)
            throw WriteError(path: path, step: "cannot write '\(tmp)' at offset \(done)", reason: failure)
        }
        if fsync(fd) != 0 {
            let e = errnoText(); close(fd)
            throw WriteError(path: path, step: "cannot fsync '\(tmp)'", reason: e)
        }
        if close(fd) != 0 { throw WriteError(path: path, step: "cannot close '\(tmp)'", reason: errnoText()) }
        guard rename(tmp, path) == 0 else { throw WriteError(path: path, step: "cannot rename '\(tmp)' over it", reason: errnoText()) }
        renamed = true
        // The rename is durable only once the directory entry is on disk.
        let dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard dfd >= 0 else { throw WriteError(path: path, step: "cannot open directory '\(dir)' to fsync it", reason: errnoText()) }
        defer { close(dfd) }
        if fsync(dfd) != 0 { throw WriteError(path: path, step: "cannot fsync directory '\(dir)'", reason: errnoText()) }
    }

    private static func errnoText() -> String { String(cString: strerror(errno)) }
}

/// `write(2)`, named apart from the `write` methods in scope.
private func posixWrite(_ fd: Int32, _ p: UnsafeRawPointer, _ n: Int) -> Int { write(fd, p, n) }
