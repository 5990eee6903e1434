import Foundation
import Testing

/// Where the shared reference data lives for tests: `$EDGEWISE_SHARED`, else `../shared` beside the
/// package root (models under `models/`, datasets under `datasets/`). This is the one place tests locate
/// it. A test that needs it carries the trait `SharedData.needs("models/…")`: it runs when the files are
/// there and is skipped when they are not, unless `EDGEWISE_REQUIRE_SHARED=1` is set (as `.ci/run` does),
/// in which case the missing data is a test failure that names the missing path. The project's own unit
/// tests never need it.
public enum SharedData {
    /// The package root (this file is `Sources/EdgewiseTesting/SharedData.swift`).
    public static let packageRoot: URL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// Where the shared folder is looked for (whether or not it exists).
    public static let expectedRoot: String = {
        if let env = ProcessInfo.processInfo.environment["EDGEWISE_SHARED"], !env.isEmpty { return env }
        return packageRoot.deletingLastPathComponent().appendingPathComponent("shared").path
    }()

    /// The shared folder, or `nil` when it does not exist.
    public static let root: String? = FileManager.default.fileExists(atPath: expectedRoot) ? expectedRoot : nil

    /// True when `EDGEWISE_REQUIRE_SHARED=1`: tests that need shared data fail instead of skipping.
    public static var isRequired: Bool { ProcessInfo.processInfo.environment["EDGEWISE_REQUIRE_SHARED"] == "1" }

    /// `root/relative` when that file or folder exists.
    public static func path(_ relative: String) -> String? {
        guard let root else { return nil }
        let p = root + "/" + relative
        return FileManager.default.fileExists(atPath: p) ? p : nil
    }

    /// The shared files a test needs are missing while `EDGEWISE_REQUIRE_SHARED=1` is set.
    public struct Missing: Error, CustomStringConvertible {
        /// The relative paths that were not found under `root`.
        public var paths: [String]
        /// Where they were looked for.
        public var root: String
        public var description: String {
            "EDGEWISE_REQUIRE_SHARED=1 but shared data is missing under \(root): \(paths.joined(separator: ", ")) "
                + "(set EDGEWISE_SHARED or place the shared folder beside the package)"
        }
    }

    /// Checks that every `relative` path exists: true when all do; false (skip) when some do not; throws
    /// `Missing` when some do not and `EDGEWISE_REQUIRE_SHARED=1` is set.
    public static func check(_ relative: [String], required: Bool = isRequired) throws -> Bool {
        let missing = relative.filter { path($0) == nil }
        if missing.isEmpty { return true }
        if required { throw Missing(paths: missing, root: expectedRoot) }
        return false
    }

    /// The trait for a test or suite that reads `relative` paths under the shared folder: enabled when they
    /// exist, skipped when they do not, and failed (the thrown `Missing` is recorded as the test's issue)
    /// when they do not and `EDGEWISE_REQUIRE_SHARED=1`.
    public static func needs(_ relative: String...) -> ConditionTrait {
        .enabled("needs \(relative.joined(separator: ", ")) under the shared folder (../shared or $EDGEWISE_SHARED)") {
            try check(relative)
        }
    }
}
