import Logging
import OrderStreamCommon

/// Async wrappers: each runs the blocking call through `Blocking` (never on Swift's cooperative
/// pool; the connection's lock keeps calls to one session serial) and resumes the caller when
/// it is done. Cancelling the calling
/// task sends a cancel request for the running statement (it then fails `.queryCanceled`).
extension PGConnection {
    public static func connect(
        _ configuration: PGConnectionConfiguration,
        logger: Logger = Logger(label: "PostgreSQL")
    ) async throws(PGError) -> PGConnection {
        try await Blocking.run { () throws(PGError) -> PGConnection in
            try PGConnection.connect(configuration, logger: logger)
        }
    }

    @discardableResult
    public func query(_ sql: String, _ params: [PGValue?] = []) async throws(PGError) -> PGResult {
        try await onQueue { () throws(PGError) -> PGResult in try self.query(sql, params) }
    }

    @discardableResult
    public func execute(_ sql: String, _ params: [PGValue?] = []) async throws(PGError) -> Int {
        try await onQueue { () throws(PGError) -> Int in try self.execute(sql, params) }
    }

    public func listen(_ channel: String) async throws(PGError) {
        try await onQueue { () throws(PGError) in try self.listen(channel) }
    }

    public func waitForNotifications(timeout: Duration) async throws(PGError) -> [PGNotification] {
        try await onQueue { () throws(PGError) -> [PGNotification] in
            try self.waitForNotifications(timeout: timeout)
        }
    }

    @discardableResult
    public func copyIn(sql: String, rows: some Sequence<String> & Sendable) async throws(PGError) -> Int {
        try await onQueue { () throws(PGError) -> Int in try self.copyIn(sql: sql, rows: rows) }
    }

    private func onQueue<T: Sendable>(
        _ work: @escaping @Sendable () throws(PGError) -> T
    ) async throws(PGError) -> T {
        let result: Result<T, PGError> = await withTaskCancellationHandler {
            await Blocking.run { Result(catching: work) }
        } onCancel: {
            self.cancelRunningQuery()
        }
        return try result.get()
    }
}
