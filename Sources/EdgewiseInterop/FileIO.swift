#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Why ``readWholeFile(_:)`` failed.
struct FileReadError: Error {
    var reason: String
}

/// Reads a whole regular file into memory.
func readWholeFile(_ path: String) throws -> [UInt8] {
    guard let f = fopen(path, "rb") else {
        throw FileReadError(reason: String(cString: strerror(errno)))
    }
    defer { fclose(f) }
    guard fseek(f, 0, SEEK_END) == 0 else { throw FileReadError(reason: "cannot seek (not a regular file?)") }
    let size = ftell(f)
    guard size >= 0 else { throw FileReadError(reason: "cannot tell the file size") }
    guard fseek(f, 0, SEEK_SET) == 0 else { throw FileReadError(reason: "cannot seek") }
    let n = Int(size)
    var got = 0
    let bytes = [UInt8](unsafeUninitializedCapacity: n) { buf, count in
        if let base = buf.baseAddress, n > 0 { got = fread(base, 1, n, f) }
        // Only the bytes actually read are initialised.
        count = got
    }
    guard got == n else { throw FileReadError(reason: "read \(got) of \(n) bytes") }
    return bytes
}
