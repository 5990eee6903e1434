extension Operator {
    /// Concatenation along `axis` (negative counts from the end). Inputs: two or more tensors equal in
    /// every dimension but `axis`. Model file: `{"concat":{"axis":…}}`.
    public struct Concat: OperatorDefinition {
        public var axis: Int
        public init(axis: Int) { self.axis = axis }

        public var kindName: String { "concat" }
        public var inputArity: ClosedRange<Int> { 2...64 }
        public var integerAttributes: [Int] { [axis] }

        public func outputShape(inputs s: [Shape], check: ShapeCheck) throws -> Shape {
            let r = s[0].rank
            let ax = axis < 0 ? r + axis : axis
            guard ax >= 0 && ax < r else { throw check.fail("concat axis \(axis) out of range for rank \(r)") }
            var o = s[0]
            for t in s.dropFirst() {
                guard t.rank == r else { throw check.fail("concat inputs differ in rank") }
                for d in 0..<r where d != ax && t[d] != o[d] { throw check.fail("concat inputs differ in dimension \(d): \(o) vs \(t)") }
                let (sum, overflow) = o[ax].addingReportingOverflow(t[ax])
                guard !overflow else { throw check.fail("concat size overflows") }
                o[ax] = sum
            }
            return o
        }

        public func compileFloat32(_ c: StepCompiler) throws -> () -> Void {
            let shapes = c.inputShapes, axis = axis, y = c.output
            let ins = c.node.inputs.indices.map { c.input($0) }
            guard c.table != nil else { return { ReferenceKernels.concat(ins, shapes, axis: axis, into: y) } }
            let ax = axis < 0 ? shapes[0].rank + axis : axis
            let outer = shapes[0].dims[..<ax].reduce(1, *), inner = shapes[0].dims[(ax + 1)...].reduce(1, *)
            let slabs = shapes.map { $0[ax] * inner }, pointers = ins.map { $0.baseAddress! }
            return { ChannelLastKernels.concat(pointers, slabs: slabs, outer: outer, into: y.baseAddress!) }
        }
    }
}

extension ReferenceKernels {
    /// Concatenation along `axis` of tensors with shapes `shapes`.
    public static func concat(_ inputs: [UnsafeBufferPointer<Float>], _ shapes: [Shape], axis: Int,
                              into y: UnsafeMutableBufferPointer<Float>) {
        let r = shapes[0].rank
        let ax = axis < 0 ? r + axis : axis
        let outer = shapes[0].dims[..<ax].reduce(1, *)
        let inner = shapes[0].dims[(ax + 1)...].reduce(1, *)
        var dst = 0
        for o in 0..<outer {
            for (buf, s) in zip(inputs, shapes) {
                let chunk = s[ax] * inner
                for j in 0..<chunk { y[dst + j] = buf[o * chunk + j] }
                dst += chunk
            }
        }
    }
}
