// libFuzzer entry point for the TFLite importer and the .npy reader. Not part of Package.swift: built
// only by Scripts/fuzz-tflite-import.sh in its own scratch folder with swiftc's -sanitize=fuzzer,address.
//
// Contract checked: any input either throws (TFLiteImportError / NPYError) or, for TFLite, yields a
// graph that passes validate(), compiles into an executor (64 MiB arena cap) or is refused with an
// error, and runs through every exit (`exerciseExecutor`, Fuzz/Common/ExerciseGraph.swift). A crash, trap, sanitizer report or timeout is a bug.
#if canImport(Glibc)
import Glibc
#endif
import EdgewiseCore
import EdgewiseInterop

/// One input: `.npy` bytes go to the .npy reader, everything else to the TFLite importer.
func fuzzOne(_ bytes: [UInt8]) {
    if bytes.starts(with: [0x93, 0x4E, 0x55, 0x4D, 0x50, 0x59]) {
        _ = try? NPYFile(bytes: bytes, name: "fuzz.npy")
        return
    }
    do {
        let model = try TFLiteImporter.importModel(bytes: bytes, name: "fuzz.tflite")
        do { try model.graph.validate() } catch { fatalError("imported graph does not validate: \(error)") }
        exerciseExecutor(model.graph)
    } catch is TFLiteImportError {
        // Rejected cleanly.
    } catch {
        fatalError("importer threw a non-TFLiteImportError: \(error)")
    }
}

/// libFuzzer's entry for a program with its own `main` (SwiftPM names every executable's entry point
/// itself, so libFuzzer's `main` cannot be used). Declared by symbol name: its arguments are plain
/// pointers and integers, which Swift passes as C does. Same pattern as Fuzz/ModelLoader.
@_silgen_name("LLVMFuzzerRunDriver")
func LLVMFuzzerRunDriver(_ argc: UnsafeMutablePointer<CInt>,
                         _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>>,
                         _ callback: @convention(c) (UnsafePointer<UInt8>?, Int) -> CInt) -> CInt

@main
struct TFLiteImportFuzzer {
    static func main() {
        var argc = CommandLine.argc
        var argv = CommandLine.unsafeArgv
        exit(LLVMFuzzerRunDriver(&argc, &argv) { data, size in
            fuzzOne(data.map { Array(UnsafeBufferPointer(start: $0, count: size)) } ?? [])
            return 0
        })
    }
}
