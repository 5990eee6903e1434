// The ISA probe and the function tables.
import CEdgewiseKernels
@testable import EdgewiseCore
import Testing

@Suite("kernel tables and ISA dispatch")
struct KernelTableTests {
    @Test("the generic table always exists; tables exist exactly up to the best ISA")
    func tablesUpToBest() {
        let best = ew_cpu_best_isa()
        #expect(ew_kernel_table_for(EW_ISA_GENERIC) != nil)
        for isa in CKernelTables.all {
            let table = ew_kernel_table_for(isa)
            #expect((table != nil) == (isa.rawValue <= best.rawValue), "\(CKernelTables.name(isa))")
            if let t = table?.pointee {
                #expect(t.isa == isa)
                #expect(String(cString: t.name) == CKernelTables.name(isa))
                #expect(t.gemm_f32 != nil && t.conv2d_f32 != nil && t.depthwise_conv2d_f32 != nil)
            }
        }
        #expect(ew_kernel_table_for(ew_isa(rawValue: 3)) == nil)
        #expect(ew_kernel_table_for(ew_isa(rawValue: UInt32.max)) == nil)
    }

    @Test("the probe agrees with itself across concurrent first calls")
    func probeIsStable() async {
        let first = ew_cpu_best_isa()
        let seen = await withTaskGroup(of: UInt32.self) { group in
            for _ in 0..<8 { group.addTask { ew_cpu_best_isa().rawValue } }
            var all: Set<UInt32> = []
            for await v in group { all.insert(v) }
            return all
        }
        #expect(seen == [first.rawValue])
    }
}
