#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// An immutable, 64-byte-aligned block of bytes that outlives every tensor viewing it.
///
/// Weights live here: either copied into an aligned heap block or mapped straight from a model file
/// (then `release` unmaps it). A ``TensorData`` is a view into one storage, so a model's weights are
/// used in place without copying.
public final class ByteStorage: @unchecked Sendable {
    /// The bytes. Never mutated after creation.
    public let bytes: UnsafeRawBufferPointer
    private let release: (@Sendable (UnsafeRawBufferPointer) -> Void)?

    /// Wraps bytes owned elsewhere; `release` runs once when the storage is freed.
    public init(bytes: UnsafeRawBufferPointer, release: (@Sendable (UnsafeRawBufferPointer) -> Void)?) {
        self.bytes = bytes
        self.release = release
    }

    /// Copies `count` bytes from `source` into a new 64-byte-aligned block.
    public convenience init(copying source: UnsafeRawBufferPointer) {
        let p = UnsafeMutableRawPointer.allocate(byteCount: max(source.count, 1), alignment: 64)
        if let base = source.baseAddress, source.count > 0 { p.copyMemory(from: base, byteCount: source.count) }
        self.init(bytes: UnsafeRawBufferPointer(start: p, count: source.count)) { b in b.baseAddress?.deallocate() }
    }

    /// Copies an array of trivially-copyable values into a new aligned block.
    public convenience init<T: BitwiseCopyable>(copying values: [T]) {
        let count = values.count * MemoryLayout<T>.stride
        let p = UnsafeMutableRawPointer.allocate(byteCount: max(count, 1), alignment: 64)
        // Copy inside the closure: the array's buffer pointer is valid only there.
        values.withUnsafeBytes { src in
            if let base = src.baseAddress, count > 0 { p.copyMemory(from: base, byteCount: count) }
        }
        self.init(bytes: UnsafeRawBufferPointer(start: p, count: count)) { b in b.baseAddress?.deallocate() }
    }

    deinit { release?(bytes) }
}

/// A typed view of constant tensor bytes inside a ``ByteStorage``.
public struct TensorData: @unchecked Sendable {
    /// Keeps the bytes alive.
    public let storage: ByteStorage
    /// Byte offset of the first element inside `storage`.
    public let offset: Int
    /// Length in bytes.
    public let byteCount: Int

    /// A view of `byteCount` bytes at `offset`. Traps if the range is outside the storage: callers that
    /// read untrusted files check ranges before building a view (see `EdgewiseModel`).
    public init(storage: ByteStorage, offset: Int, byteCount: Int) {
        precondition(offset >= 0 && byteCount >= 0 && offset <= storage.bytes.count - byteCount,
                     "TensorData range \(offset)+\(byteCount) outside storage of \(storage.bytes.count) bytes")
        self.storage = storage
        self.offset = offset
        self.byteCount = byteCount
    }

    /// A fresh storage holding a copy of `values`.
    public init<T: BitwiseCopyable>(copying values: [T]) {
        let s = ByteStorage(copying: values)
        self.init(storage: s, offset: 0, byteCount: s.bytes.count)
    }

    /// The raw bytes of this view.
    public var bytes: UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(rebasing: storage.bytes[offset..<(offset + byteCount)])
    }

    /// The bytes viewed as `Float` (the view must hold float32 data, 4-byte aligned).
    public var floats: UnsafeBufferPointer<Float> { bytes.assumingMemoryBound(to: Float.self) }

    /// A copy of the bytes as an array of `T`.
    public func toArray<T: BitwiseCopyable>(of: T.Type = T.self) -> [T] {
        let n = byteCount / MemoryLayout<T>.stride
        return [T](unsafeUninitializedCapacity: n) { buf, count in
            UnsafeMutableRawBufferPointer(buf).copyMemory(from: UnsafeRawBufferPointer(rebasing: bytes[0..<(n * MemoryLayout<T>.stride)]))
            count = n
        }
    }
}
