import CEdgewiseKernels
#if canImport(Glibc)
import Glibc
#endif

/// Which kernel family runs: the executor's and the trainer's (`TrainingKernels` is this type). Chosen once, at load.
public enum KernelISA: String, CaseIterable, Codable, Sendable, CustomStringConvertible {
    /// The plain Swift reference kernels (the test oracle).
    case reference
    /// Portable C kernels: any CPU, including aarch64 boards.
    case generic
    /// x86-64 AVX2 + FMA kernels.
    case avx2
    /// x86-64 AVX-512 kernels.
    case avx512

    /// The best family this CPU can run.
    public static var best: KernelISA {
        switch ew_cpu_best_isa() {
        case EW_ISA_AVX512: return .avx512
        case EW_ISA_AVX2: return .avx2
        default: return .generic
        }
    }

    /// Whether this CPU and build can run the family.
    public var isAvailable: Bool { self == .reference || table != nil }

    /// The C function table, or `nil` for `.reference` or an unavailable family.
    var table: UnsafePointer<ew_kernel_table>? {
        switch self {
        case .reference: return nil
        case .generic: return ew_kernel_table_for(EW_ISA_GENERIC)
        case .avx2: return ew_kernel_table_for(EW_ISA_AVX2)
        case .avx512: return ew_kernel_table_for(EW_ISA_AVX512)
        }
    }

    /// Resolves a user request: `nil` or `"auto"` reads `EDGEWISE_ISA` from the environment, else
    /// takes the best available family. Throws when the request names an unknown or unavailable family.
    public static func resolve(_ request: String?) throws -> KernelISA {
        var r = request
        if r == nil || r == "auto", let env = getenv("EDGEWISE_ISA") { r = String(cString: env) }
        guard let name = r, name != "auto", !name.isEmpty else { return best }
        let aliases = ["ref": "reference", "avx512vnni": "avx512"]
        guard let isa = KernelISA(rawValue: aliases[name] ?? name) else { throw ExecutorError.unknownISA(name) }
        guard isa.isAvailable else { throw ExecutorError.isaUnavailable(isa) }
        return isa
    }

    public var description: String { rawValue }
}
