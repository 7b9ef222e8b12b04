import Logging

/// Bootstraps swift-log once per process with the configured format and level.
public enum LoggingSetup {
    public static func bootstrap(format: OrderStreamConfiguration.LogFormat, level: String) {
        let level = Logger.Level(rawValue: level) ?? .info
        LoggingSystem.bootstrap { label in
            switch format {
            case .json:
                return JSONLinesLogHandler(label: label, level: level)
            case .text:
                var handler = StreamLogHandler.standardError(label: label)
                handler.logLevel = level
                return handler
            }
        }
    }
}
