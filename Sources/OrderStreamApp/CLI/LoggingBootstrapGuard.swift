import Synchronization

/// swift-log may be bootstrapped only once per process; tests run several commands in one
/// process, so later bootstraps are skipped.
enum LoggingBootstrapGuard {
    private static let done = Mutex(false)

    static func run(_ bootstrap: () -> Void) {
        let first = done.withLock { done in
            defer { done = true }
            return !done
        }
        if first { bootstrap() }
    }
}
