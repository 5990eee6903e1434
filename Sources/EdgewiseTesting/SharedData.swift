import Foundation

/// Where the shared reference data lives for tests: `$EDGEWISE_SHARED`, else `../shared` beside the
/// package root (models under `models/`, datasets under `datasets/`). Tests that need it skip with a
/// message when it is absent; the project's own tests never need it.
public enum SharedData {
    /// The package root (this file is `Sources/EdgewiseTesting/SharedData.swift`).
    public static let packageRoot: URL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// The shared folder, or `nil` when it does not exist.
    public static let root: String? = {
        if let env = ProcessInfo.processInfo.environment["EDGEWISE_SHARED"], !env.isEmpty {
            return FileManager.default.fileExists(atPath: env) ? env : nil
        }
        let p = packageRoot.deletingLastPathComponent().appendingPathComponent("shared").path
        return FileManager.default.fileExists(atPath: p) ? p : nil
    }()

    /// `root/relative` when that file or folder exists.
    public static func path(_ relative: String) -> String? {
        guard let root else { return nil }
        let p = root + "/" + relative
        return FileManager.default.fileExists(atPath: p) ? p : nil
    }
}
