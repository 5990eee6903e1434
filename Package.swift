// swift-tools-version: 6.1
// Edgewise: on-device inference, training and compression in Swift.
// Layout: Sources/ holds libraries (one job each), Apps/ thin executables, Tests/ mirrors Sources/.
import PackageDescription

let package = Package(
    name: "Edgewise",
    platforms: [.macOS(.v14)],
    products: [
        .library(name: "EdgewiseCore", targets: ["EdgewiseCore"]),
        .library(name: "EdgewiseModel", targets: ["EdgewiseModel"]),
        .library(name: "EdgewiseInterop", targets: ["EdgewiseInterop"]),
        .library(name: "EdgewiseTrain", targets: ["EdgewiseTrain"]),
        .library(name: "EdgewiseSignal", targets: ["EdgewiseSignal"]),
        .library(name: "EdgewiseData", targets: ["EdgewiseData"]),
        .executable(name: "edgewise", targets: ["edgewise"]),
        .executable(name: "inspect", targets: ["inspect"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.6.0"),
    ],
    targets: [
        // Hot loops: every kernel variant (portable C, AVX2, AVX-512) behind a run-time CPU check.
        .target(name: "CEdgewiseKernels", path: "Sources/CEdgewiseKernels"),
        // Tensors, operators, graphs with exits, arena planning, the executor, Swift reference kernels.
        .target(name: "EdgewiseCore", dependencies: ["CEdgewiseKernels"], path: "Sources/EdgewiseCore"),
        // The versioned, checksummed, mmap-able model file.
        .target(name: "EdgewiseModel", dependencies: ["EdgewiseCore"], path: "Sources/EdgewiseModel"),
        // Importers (TFLite now, ONNX later).
        .target(name: "EdgewiseInterop", dependencies: ["EdgewiseCore", "EdgewiseModel"], path: "Sources/EdgewiseInterop"),
        // Training: backward kernels, losses, optimisers, multi-exit training and distillation.
        .target(name: "EdgewiseTrain", dependencies: ["EdgewiseCore", "EdgewiseModel", "CEdgewiseKernels"], path: "Sources/EdgewiseTrain"),
        // Front ends: audio features (MFCC), later ECG/PPG filtering and image normalisation.
        .target(name: "EdgewiseSignal", dependencies: ["EdgewiseCore"], path: "Sources/EdgewiseSignal"),
        // libsndfile (FLAC/WAV decoding), Debian package libsndfile1-dev.
        .systemLibrary(name: "CSndfile", path: "Sources/CSndfile", pkgConfig: "sndfile", providers: [.apt(["libsndfile1-dev"])]),
        // Dataset readers (Speech Commands, later MIT-BIH, TROIKA, magnetic tiles) and synthetic stand-ins.
        .target(name: "EdgewiseData", dependencies: ["EdgewiseCore", "EdgewiseSignal", "CSndfile"], path: "Sources/EdgewiseData"),
        // libv4l2 (camera capture, format conversion), Debian libv4l-dev; shim wraps the variadic calls and VIDIOC_* macros.
        .systemLibrary(name: "CV4L2", path: "Sources/CV4L2", pkgConfig: "libv4l2", providers: [.apt(["libv4l-dev"])]),
        // libpng (PNG read/write through the simplified API), Debian libpng-dev.
        .systemLibrary(name: "CPNG", path: "Sources/CPNG", pkgConfig: "libpng", providers: [.apt(["libpng-dev"])]),
        // libjpeg-turbo (JPEG/MJPEG decode and encode, setjmp error handling in the shim), Debian libjpeg62-turbo-dev.
        .systemLibrary(name: "CJPEG", path: "Sources/CJPEG", pkgConfig: "libjpeg", providers: [.apt(["libjpeg62-turbo-dev"])]),
        // Device I/O: V4L2 cameras, image files and Y4M streams as frame sources (inspect); audio capture (voice).
        .target(name: "EdgewiseDevices", dependencies: ["CV4L2", "CPNG", "CJPEG"], path: "Sources/EdgewiseDevices"),
        // Anomaly detection for inspect: patch features at two depths, coreset memory bank, GEMM nearest
        // neighbours, maps, regions, multi-exit; enrolment, evaluation (AUROC), the synthetic demo surfaces.
        .target(name: "EdgewiseInspection", dependencies: ["EdgewiseCore", "EdgewiseDevices", "CEdgewiseKernels"], path: "Sources/EdgewiseInspection"),
        // The command-line tool: argument parsing and wiring only.
        .executableTarget(
            name: "edgewise",
            dependencies: [
                "EdgewiseCore", "EdgewiseModel", "EdgewiseInterop", "EdgewiseTrain", "EdgewiseSignal", "EdgewiseData",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "Apps/edgewise"),
        // The inspect app (defect detection on camera frames): parsing and wiring only.
        .executableTarget(
            name: "inspect",
            dependencies: ["EdgewiseDevices", "EdgewiseInspection", .product(name: "ArgumentParser", package: "swift-argument-parser")],
            path: "Apps/inspect"),
        // libFuzzer target for the model file loader: Scripts/fuzz-model-loader.sh builds it with
        // -sanitize=fuzzer -DEDGEWISE_FUZZ; a plain build makes a tool that replays crash inputs.
        .executableTarget(name: "edgewise-fuzz-model", dependencies: ["EdgewiseCore", "EdgewiseModel"], path: "Fuzz/ModelLoader"),
        // Kernel micro-benchmark: GFLOP/s per ISA against the FMA peak measured in the same run (release builds).
        .executableTarget(name: "edgewise-kernel-bench", dependencies: ["EdgewiseCore", "CEdgewiseKernels"],
                          path: "Benchmarks/KernelBench"),
        // Test-only: locating the shared reference data (imported by test targets only).
        .target(name: "EdgewiseTesting", path: "Sources/EdgewiseTesting"),
        // Test-only: counts malloc/calloc/realloc calls so tests can prove zero-allocation inference.
        .target(name: "CMallocCounter", path: "Tests/Support/CMallocCounter"),
        // Test-only: an emulated V4L2 camera (interposes glibc's syscall, which libv4l2 uses; memfd-backed buffers).
        .target(name: "CFakeCamera", path: "Tests/Support/CFakeCamera"),
        .testTarget(name: "EdgewiseDevicesTests", dependencies: ["EdgewiseDevices", "CFakeCamera"], path: "Tests/EdgewiseDevicesTests"),
        .testTarget(name: "EdgewiseInspectionTests", dependencies: ["EdgewiseInspection", "EdgewiseCore", "EdgewiseTesting", "CMallocCounter"], path: "Tests/EdgewiseInspectionTests"),
        .testTarget(name: "EdgewiseCoreTests", dependencies: ["EdgewiseCore", "CMallocCounter"], path: "Tests/EdgewiseCoreTests"),
        .testTarget(name: "EdgewiseModelTests", dependencies: ["EdgewiseModel"], path: "Tests/EdgewiseModelTests"),
        .testTarget(name: "EdgewiseInteropTests", dependencies: ["EdgewiseTesting", "EdgewiseInterop", "CMallocCounter"], path: "Tests/EdgewiseInteropTests"),
        // End to end: runs the built `edgewise` binary (the dependency makes SwiftPM build it first).
        .testTarget(name: "EdgewiseAppTests", dependencies: ["EdgewiseTesting", "edgewise"], path: "Tests/EdgewiseAppTests"),
        .testTarget(name: "EdgewiseTrainTests", dependencies: ["EdgewiseTrain"], path: "Tests/EdgewiseTrainTests"),
        .testTarget(name: "EdgewiseSignalTests", dependencies: ["EdgewiseTesting", "EdgewiseSignal", "CMallocCounter"], path: "Tests/EdgewiseSignalTests"),
        .testTarget(name: "EdgewiseDataTests", dependencies: ["EdgewiseTesting", "EdgewiseData"], path: "Tests/EdgewiseDataTests"),
    ]
)
