// The ISA probe and the function tables.
import CEdgewiseKernels
@testable import EdgewiseCore
import Foundation
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

    /// Real first calls, concurrently: the cache is forgotten, then threads released together by a
    /// barrier all make the first call at once; 200 rounds. Every call must return the same level.
    @Test("the probe agrees with itself across concurrent first calls")
    func probeIsStable() {
        let expected = ew_cpu_best_isa().rawValue
        let threads = 4
        final class Round: @unchecked Sendable {
            let lock = NSCondition()
            var arrived = 0
            var results: [UInt32] = []
        }
        for _ in 0..<200 {
            ew_cpu_best_isa_forget()
            let round = Round()
            let done = DispatchSemaphore(value: 0)
            // Dedicated threads (not a pool that could run the iterations one after another and deadlock the barrier).
            for _ in 0..<threads {
                Thread {
                    // Barrier: nobody probes until every thread has arrived.
                    round.lock.lock()
                    round.arrived += 1
                    if round.arrived == threads { round.lock.broadcast() } else { while round.arrived < threads { round.lock.wait() } }
                    round.lock.unlock()
                    let v = ew_cpu_best_isa().rawValue
                    round.lock.lock(); round.results.append(v); round.lock.unlock()
                    done.signal()
                }.start()
            }
            for _ in 0..<threads { done.wait() }
            #expect(round.results == [UInt32](repeating: expected, count: threads))
            if round.results != [UInt32](repeating: expected, count: threads) { return }
        }
    }
}
