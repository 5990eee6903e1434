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
        .library(name: "EdgewiseArchitectures", targets: ["EdgewiseArchitectures"]),
        .library(name: "EdgewiseReport", targets: ["EdgewiseReport"]),
        .library(name: "EdgewiseInterop", targets: ["EdgewiseInterop"]),
        .library(name: "EdgewiseTrain", targets: ["EdgewiseTrain"]),
        .library(name: "EdgewiseSignal", targets: ["EdgewiseSignal"]),
        .library(name: "EdgewiseData", targets: ["EdgewiseData"]),
        .library(name: "EdgewisePolicy", targets: ["EdgewisePolicy"]),
        .library(name: "EdgewiseDevices", targets: ["EdgewiseDevices"]),
        .library(name: "EdgewiseSpeech", targets: ["EdgewiseSpeech"]),
        .executable(name: "edgewise", targets: ["edgewise"]),
        .executable(name: "voice", targets: ["voice"]),
        .library(name: "EdgewiseSignalFiles", targets: ["EdgewiseSignalFiles"]),
        .executable(name: "wearable", targets: ["wearable"]),
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
        // zlib (CRC-32 of the model file), Debian package zlib1g-dev.
        .systemLibrary(name: "CZlib", path: "Sources/CZlib", pkgConfig: "zlib", providers: [.apt(["zlib1g-dev"])]),
        // Reference architectures built as graphs (DS-CNN keyword spotting).
        .target(name: "EdgewiseArchitectures", dependencies: ["EdgewiseCore"], path: "Sources/EdgewiseArchitectures"),
        // Human-readable reports: aligned text tables, the per-layer model report.
        .target(name: "EdgewiseReport", dependencies: ["EdgewiseCore"], path: "Sources/EdgewiseReport"),
        // The versioned, checksummed, mmap-able model file.
        .target(name: "EdgewiseModel", dependencies: ["EdgewiseCore", "CZlib"], path: "Sources/EdgewiseModel"),
        // Importers (TFLite now, ONNX later).
        .target(name: "EdgewiseInterop", dependencies: ["EdgewiseCore", "EdgewiseModel"], path: "Sources/EdgewiseInterop"),
        // Training: backward kernels, losses, optimisers, multi-exit training and distillation.
        .target(name: "EdgewiseTrain", dependencies: ["EdgewiseCore", "EdgewiseModel", "EdgewiseArchitectures", "CEdgewiseKernels"], path: "Sources/EdgewiseTrain"),
        // Front ends: audio features (MFCC), later ECG/PPG filtering and image normalisation.
        .target(name: "EdgewiseSignal", dependencies: ["EdgewiseCore"], path: "Sources/EdgewiseSignal"),
        // libsndfile (FLAC/WAV decoding), Debian package libsndfile1-dev.
        .systemLibrary(name: "CSndfile", path: "Sources/CSndfile", pkgConfig: "sndfile", providers: [.apt(["libsndfile1-dev"])]),
        // libasound (ALSA capture), Debian package libasound2-dev.
        .systemLibrary(name: "CALSA", path: "Sources/CALSA", pkgConfig: "alsa", providers: [.apt(["libasound2-dev"])]),
        // Streaming keyword spotting (incremental MFCC, sliding window, smoothing, exits) and its evaluation: apart
        // from EdgewiseSignal, which stays a pure front end without models or decisions.
        .target(name: "EdgewiseSpeech", dependencies: ["EdgewiseCore", "EdgewiseModel", "EdgewiseSignal", "EdgewiseData"], path: "Sources/EdgewiseSpeech"),
        // Dataset readers (Speech Commands, later MIT-BIH, TROIKA, magnetic tiles) and synthetic stand-ins.
        .target(name: "EdgewiseData", dependencies: ["EdgewiseCore", "EdgewiseSignal", "CSndfile"], path: "Sources/EdgewiseData"),
        // Adaptive early exit: device-state readers (sysfs/procfs, traces), calibration, the exit policy.
        .target(name: "EdgewisePolicy", dependencies: ["EdgewiseCore", "EdgewiseModel"], path: "Sources/EdgewisePolicy"),
        // libmatio (MATLAB .mat files: TROIKA), Debian package libmatio-dev.
        .systemLibrary(name: "CMatio", path: "Sources/CMatio", pkgConfig: "matio", providers: [.apt(["libmatio-dev"])]),
        // Wearable signal files: WFDB (headers, formats 212/16, annotations), EDF/EDF+, CSV, MATLAB via libmatio.
        .target(name: "EdgewiseSignalFiles", dependencies: ["CMatio"], path: "Sources/EdgewiseSignalFiles"),
        // libv4l2 (camera capture, format conversion), Debian libv4l-dev; shim wraps the variadic calls and VIDIOC_* macros.
        .systemLibrary(name: "CV4L2", path: "Sources/CV4L2", pkgConfig: "libv4l2", providers: [.apt(["libv4l-dev"])]),
        // libpng (PNG read/write through the simplified API), Debian libpng-dev.
        .systemLibrary(name: "CPNG", path: "Sources/CPNG", pkgConfig: "libpng", providers: [.apt(["libpng-dev"])]),
        // libjpeg-turbo (JPEG/MJPEG decode and encode, setjmp error handling in the shim), Debian libjpeg62-turbo-dev.
        .systemLibrary(name: "CJPEG", path: "Sources/CJPEG", pkgConfig: "libjpeg", providers: [.apt(["libjpeg62-turbo-dev"])]),
        // Device I/O: V4L2 cameras, image files and Y4M streams as frame sources (inspect); audio capture (voice).
        .target(name: "EdgewiseDevices", dependencies: ["CALSA", "CV4L2", "CPNG", "CJPEG", "EdgewiseData"], path: "Sources/EdgewiseDevices"),
        // Anomaly detection for inspect: patch features at two depths, coreset memory bank, GEMM nearest
        // neighbours, maps, regions, multi-exit; enrolment, evaluation (AUROC), the synthetic demo surfaces.
        .target(name: "EdgewiseInspection", dependencies: ["EdgewiseCore", "EdgewiseDevices", "CEdgewiseKernels"], path: "Sources/EdgewiseInspection"),
        // The command-line tool: argument parsing and wiring only.
        .executableTarget(
            name: "edgewise",
            dependencies: [
                "EdgewiseCore", "EdgewiseModel", "EdgewiseInterop", "EdgewiseTrain", "EdgewiseSignal", "EdgewiseData", "EdgewisePolicy",
                "EdgewiseArchitectures", "EdgewiseReport",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "Apps/edgewise"),
        // Local voice commands: `voice listen|devices|eval` (argument parsing and wiring only).
        .executableTarget(
            name: "voice",
            dependencies: [
                "EdgewiseCore", "EdgewiseModel", "EdgewiseInterop", "EdgewiseData", "EdgewiseDevices", "EdgewiseSpeech",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            path: "Apps/voice"),
        // Wearable pipeline: ECG records, QRS scoring (bxb-style), beat features and classes, replay, PPG heart rate.
        .target(name: "EdgewiseWearable", dependencies: ["EdgewiseCore", "EdgewiseModel", "EdgewiseTrain", "EdgewiseSignal", "EdgewiseSignalFiles", "EdgewisePolicy"],
                path: "Sources/EdgewiseWearable"),
        // The wearable app: argument parsing and wiring only.
        .executableTarget(name: "wearable", dependencies: ["EdgewiseWearable", "EdgewiseSignal", "EdgewiseSignalFiles", "EdgewiseModel", "EdgewisePolicy",
                                                           .product(name: "ArgumentParser", package: "swift-argument-parser")],
                          path: "Apps/wearable"),
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
        // Test-only: locating the shared reference data (EDGEWISE_REQUIRE_SHARED), isReleaseBuild; imported by test targets only.
        .target(name: "EdgewiseTesting", path: "Sources/EdgewiseTesting"),
        // Test-only: counts malloc/calloc/realloc calls so tests can prove zero-allocation inference.
        .target(name: "CMallocCounter", path: "Tests/Support/CMallocCounter"),
        // Test-only: interposes snd_pcm_readi/snd_pcm_open to inject overruns and unplugs (no sound card needed).
        .target(name: "CALSAFaults", path: "Tests/Support/CALSAFaults"),
        // Test-only: an emulated V4L2 camera (interposes glibc's syscall, which libv4l2 uses; memfd-backed buffers).
        .target(name: "CFakeCamera", path: "Tests/Support/CFakeCamera"),
        .testTarget(name: "EdgewiseCoreTests", dependencies: ["EdgewiseTesting", "EdgewiseCore", "EdgewiseArchitectures", "CMallocCounter"], path: "Tests/EdgewiseCoreTests"),
        .testTarget(name: "EdgewiseInspectionTests", dependencies: ["EdgewiseInspection", "EdgewiseCore", "EdgewiseTesting", "CMallocCounter"], path: "Tests/EdgewiseInspectionTests"),
        .testTarget(name: "EdgewiseModelTests", dependencies: ["EdgewiseModel"], path: "Tests/EdgewiseModelTests"),
        .testTarget(name: "EdgewiseInteropTests", dependencies: ["EdgewiseTesting", "EdgewiseInterop", "CMallocCounter"], path: "Tests/EdgewiseInteropTests",
                    exclude: ["Fixtures"]),  // Fixtures/litert-int8: LiteRT reference CRCs (Scripts/litert-int8-fixtures.py)
        // End to end: runs the built `edgewise` binary (the dependency makes SwiftPM build it first).
        .testTarget(name: "EdgewiseAppTests", dependencies: ["EdgewiseTesting", "edgewise", "wearable"], path: "Tests/EdgewiseAppTests"),
        .testTarget(name: "EdgewiseTrainTests", dependencies: ["EdgewiseTesting", "EdgewiseTrain", "EdgewiseArchitectures"], path: "Tests/EdgewiseTrainTests"),
        .testTarget(name: "EdgewiseSignalTests", dependencies: ["EdgewiseTesting", "EdgewiseSignal", "CMallocCounter"], path: "Tests/EdgewiseSignalTests"),
        .testTarget(name: "EdgewisePolicyTests", dependencies: ["EdgewiseTesting", "EdgewisePolicy", "EdgewiseArchitectures", "CMallocCounter"], path: "Tests/EdgewisePolicyTests"),
        .testTarget(name: "EdgewiseSignalFilesTests", dependencies: ["EdgewiseTesting", "EdgewiseSignalFiles"], path: "Tests/EdgewiseSignalFilesTests"),
        .testTarget(name: "EdgewiseWearableTests", dependencies: ["EdgewiseTesting", "EdgewiseWearable", "EdgewiseSignal", "EdgewiseSignalFiles", "EdgewiseModel", "EdgewisePolicy"], path: "Tests/EdgewiseWearableTests"),
        .testTarget(name: "EdgewiseDataTests", dependencies: ["EdgewiseTesting", "EdgewiseData"], path: "Tests/EdgewiseDataTests"),
        // End to end: runs the built `voice` binary on the bundled stream (the dependency builds it first).
        .testTarget(name: "VoiceAppTests", dependencies: ["EdgewiseTesting", "voice"], path: "Tests/VoiceAppTests"),
        .testTarget(name: "EdgewiseSpeechTests", dependencies: ["EdgewiseSpeech", "EdgewiseArchitectures", "CMallocCounter"], path: "Tests/EdgewiseSpeechTests"),
        .testTarget(name: "EdgewiseDevicesTests", dependencies: ["EdgewiseDevices", "CALSAFaults", "CFakeCamera", "CMallocCounter"], path: "Tests/EdgewiseDevicesTests"),
    ]
)
