// swift-tools-version: 6.1
// Allocation benchmarks with ordo-one/benchmark's malloc counters: an independent check that
// steady-state inference makes no heap allocation. A separate package so the main build and CI do not
// build the benchmark harness. Run: make bench-allocations (or `swift package benchmark` here).
import PackageDescription

let package = Package(
    name: "EdgewiseAllocationBenchmarks",
    platforms: [.macOS(.v14)],
    dependencies: [
        // `Edgewise` is a link to the repository root made by `make bench-allocations`, so the package
        // identity does not depend on the name of the folder the repository was cloned into.
        .package(path: "Edgewise"),
        .package(url: "https://github.com/ordo-one/benchmark", from: "1.38.1", traits: ["MallocInterposer"]),
    ],
    targets: [
        .executableTarget(
            name: "InferenceAllocations",
            dependencies: [
                .product(name: "EdgewiseCore", package: "Edgewise"),
                .product(name: "EdgewiseArchitectures", package: "Edgewise"),
                .product(name: "Benchmark", package: "benchmark"),
            ],
            path: "Benchmarks/InferenceAllocations",
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]),
    ]
)
