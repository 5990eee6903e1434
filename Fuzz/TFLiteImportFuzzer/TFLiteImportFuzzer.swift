// libFuzzer entry point for the TFLite importer and the .npy reader. Not part of Package.swift: built
// only by Scripts/fuzz-tflite-import.sh in its own scratch folder with -sanitize=fuzzer,address.
//
// Contract checked: any input either throws (TFLiteImportError / NPYError) or, for TFLite, yields a
// graph that passes validate(). A crash, trap, sanitizer report or timeout is a bug.
import EdgewiseCore
import EdgewiseInterop

@_cdecl("LLVMFuzzerTestOneInput")
public func tfliteImportFuzzer(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    guard let data else { return 0 }
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    if bytes.starts(with: [0x93, 0x4E, 0x55, 0x4D, 0x50, 0x59]) {
        _ = try? NPYFile(bytes: bytes, name: "fuzz.npy")
        return 0
    }
    do {
        let model = try TFLiteImporter.importModel(bytes: bytes, name: "fuzz.tflite")
        do { try model.graph.validate() } catch { fatalError("imported graph does not validate: \(error)") }
    } catch is TFLiteImportError {
        // Rejected cleanly.
    } catch {
        fatalError("importer threw a non-TFLiteImportError: \(error)")
    }
    return 0
}
