import Dispatch
import EdgewiseCore
import Foundation

/// Worker threads the dataset loaders use by default: the active processor count (2 on the build VM).
public let defaultThreadCount = max(1, ProcessInfo.processInfo.activeProcessorCount)

// Parallel work uses EdgewiseCore's `parallelChunks(count:threads:_:)` and `UncheckedSendable`.

/// The generator for example `index` of a run seeded with `seed`: independent of thread scheduling.
func exampleGenerator(seed: UInt64, index: Int) -> SeededGenerator {
    var g = SeededGenerator(seed: seed ^ (UInt64(truncatingIfNeeded: index) &* 0xD1B5_4A32_D192_ED03))
    _ = g.next()
    return g
}
