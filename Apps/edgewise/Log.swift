import Foundation
import Logging

/// The tool's diagnostics: swift-log to standard error. `--verbose` turns on debug messages;
/// otherwise `EDGEWISE_LOG_LEVEL` (trace … critical) or `notice`.
enum Log {
    private static let bootstrapped: Void = { LoggingSystem.bootstrap(StreamLogHandler.standardError) }()

    static func logger(verbose: Bool) -> Logger {
        _ = bootstrapped
        var logger = Logger(label: "edgewise")
        let env = ProcessInfo.processInfo.environment["EDGEWISE_LOG_LEVEL"].flatMap(Logger.Level.init(rawValue:))
        logger.logLevel = verbose ? .debug : (env ?? .notice)
        return logger
    }
}
