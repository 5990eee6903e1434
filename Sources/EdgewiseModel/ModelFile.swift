#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif
import EdgewiseCore

/// Reads and writes Edgewise model files (`.edgewise`): versioned, little-endian, CRC-32-checked, with every
/// constant tensor 64-byte aligned so that ``read(path:)`` can map the file and use the weights in place.
///
/// The byte layout and the versioning rule are in `docs/model-format.md`. Reading never traps on a bad
/// file: truncated, corrupted, oversized-claim and future-major-version files throw a ``ModelFileError``
/// that names the file and the byte offset.
public enum ModelFile {
    /// The format version this build writes. It reads every file of the same major version.
    public static var formatVersion: ModelFileVersion { ModelFileLayout.version }

    /// Serialises `model` to the bytes of a model file.
    ///
    /// Throws ``ModelFileError/invalidGraph(file:offset:_:)`` or
    /// ``ModelFileError/malformedStructure(file:offset:detail:)`` (file `"<memory>"`, offset 0) for a
    /// model the reader would reject, so a written file always reads back.
    public static func encode(_ model: Model) throws -> [UInt8] {
        try ModelFileWriter.encode(model, name: "<memory>")
    }

    /// Writes `model` to `path` atomically and durably (``AtomicFile``: a temporary file beside it, fsync,
    /// rename, fsync of the directory), so a reader or a power cut never sees a half-written file.
    public static func write(_ model: Model, to path: String) throws {
        let bytes = try ModelFileWriter.encode(model, name: path)
        do { try AtomicFile.write(bytes, to: path) } catch { throw ModelFileError.io(file: path, detail: "\(error.step): \(error.reason)") }
    }

    /// Reads the model file at `path` by mapping it read-only.
    ///
    /// The weights are not copied: every constant is a ``EdgewiseCore/TensorData`` view into one
    /// ``EdgewiseCore/ByteStorage`` over the mapping, which is unmapped when the last view is released.
    /// All checksums are verified at load, which reads every page once. The file must not be truncated
    /// by another process while the model is in use (the mapping would fault).
    public static func read(path: String) throws -> Model {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw ModelFileError.io(file: path, detail: "cannot open: \(errnoText())") }
        defer { close(fd) }
        var st = stat()
        guard fstat(fd, &st) == 0 else { throw ModelFileError.io(file: path, detail: "cannot stat: \(errnoText())") }
        guard (st.st_mode & S_IFMT) == S_IFREG else { throw ModelFileError.io(file: path, detail: "not a regular file") }
        let size = Int(st.st_size)
        // mmap cannot map zero bytes; an empty file is a truncated one (as `decode([])` reports it).
        guard size > 0 else { throw ModelFileError.truncated(file: path, offset: 0, needed: 4, available: 0) }
        guard let p = mmap(nil, size, PROT_READ, MAP_PRIVATE, fd, 0), p != UnsafeMutableRawPointer(bitPattern: -1) else {
            throw ModelFileError.io(file: path, detail: "cannot map \(size) bytes: \(errnoText())")
        }
        // From here the storage owns the mapping: it is unmapped when the storage is released, also
        // when parsing throws below.
        let storage = ByteStorage(bytes: UnsafeRawBufferPointer(start: p, count: size)) { b in
            if let base = b.baseAddress { munmap(UnsafeMutableRawPointer(mutating: base), b.count) }
        }
        let parsed = try ModelFileReader.parse(storage.bytes, name: path)
        return try ModelFileReader.assemble(parsed, storage: storage, storageBase: parsed.weightsOffset, name: path)
    }

    /// Decodes a model file held in memory; `name` stands for the file in error messages.
    ///
    /// The weights section is copied once into a fresh 64-byte-aligned ``EdgewiseCore/ByteStorage``
    /// (only after all checks passed), and the constants view it.
    public static func decode(_ bytes: [UInt8], name: String) throws -> Model {
        try bytes.withUnsafeBytes { b in
            let parsed = try ModelFileReader.parse(b, name: name)
            let w = parsed.weightsOffset
            let storage = ByteStorage(copying: UnsafeRawBufferPointer(rebasing: b[w..<(w + parsed.weightsLength)]))
            return try ModelFileReader.assemble(parsed, storage: storage, storageBase: 0, name: name)
        }
    }

    /// For fuzzing and tests: `bytes` with the file-size field set to `bytes.count` and every checksum
    /// whose range is readable recomputed, so that mutated input reaches the checks behind the CRCs.
    /// Never traps.
    @_spi(Fuzzing)
    public static func resealed(_ bytes: [UInt8]) -> [UInt8] {
        var b = bytes
        ModelFileWriter.seal(&b)
        return b
    }

    /// For fuzzing: a well-formed file (valid checksums) around an arbitrary structure section and
    /// weights section, so a fuzzer can mutate the structure JSON directly. Never traps.
    @_spi(Fuzzing)
    public static func wrapping(structureJSON: [UInt8], weights: [UInt8]) -> [UInt8] {
        ModelFileWriter.layOut(structureJSON: structureJSON, weights: weights)
    }

    private static func errnoText() -> String { String(cString: strerror(errno)) }
}
