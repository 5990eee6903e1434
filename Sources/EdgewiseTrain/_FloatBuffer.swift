import EdgewiseCore

/// A zero-initialised, 64-byte-aligned float buffer owned by a training session.
final class FloatBuffer {
    let p: UnsafeMutableBufferPointer<Float>
    init(count: Int) {
        let raw = UnsafeMutableRawPointer.allocate(byteCount: max(1, count) * 4, alignment: 64)
        let f = raw.bindMemory(to: Float.self, capacity: max(1, count))
        f.initialize(repeating: 0, count: max(1, count))
        p = UnsafeMutableBufferPointer(start: f, count: count)
    }
    convenience init(_ values: [Float]) {
        self.init(count: values.count)
        _ = p.update(fromContentsOf: values)
    }
    deinit { UnsafeMutableRawPointer(p.baseAddress!).deallocate() }
    var count: Int { p.count }
    var base: UnsafeMutablePointer<Float> { p.baseAddress! }
    var ro: UnsafeBufferPointer<Float> { UnsafeBufferPointer(p) }
    func zero() { p.update(repeating: 0) }
    var array: [Float] { Array(p) }
}

/// Scratch memory grown on demand and reused across nodes.
struct ScratchPool {
    private var buffers: [FloatBuffer] = []
    /// Slot `i` with at least `count` floats (contents unspecified).
    mutating func get(_ i: Int, _ count: Int) -> UnsafeMutablePointer<Float> {
        while buffers.count <= i { buffers.append(FloatBuffer(count: 0)) }
        if buffers[i].count < count { buffers[i] = FloatBuffer(count: count) }
        return buffers[i].base
    }
}
