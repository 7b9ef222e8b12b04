import CLibPQ
import Logging
import OrderStreamCommon
import Synchronization

/// One PostgreSQL session over libpq, with a blocking API meant for a dedicated thread and
/// async wrappers that run the blocking calls through `Blocking`, off the cooperative pool.
///
/// Why it looks like this:
/// - libpq is blocking and a `PGconn` must not be used by two threads at once. Every use of
///   the handle happens inside `state.withLock`, so the class is `Sendable` without any
///   unchecked promise; concurrent callers are serialised, not interleaved mid-call.
/// - Still, a connection is a session: use it from ONE caller at a time. Two callers sharing
///   it would share a transaction. `transaction` assumes nobody else uses the connection
///   while its body runs.
/// - Reconnect: when a call finds the connection broken it throws `.connectionLost` (or
///   `.adminShutdown` when the server said so); the NEXT call opens a fresh session first,
///   re-issues `LISTEN`s, and runs. Inside `transaction` a lost connection is never
///   replaced: every later call in that body throws until `transaction` returns, so work
///   is never silently split across sessions or retried.
/// - Server NOTICEs are dropped (they would otherwise be printed to stderr by libpq).
public final class PGConnection: Sendable {
    /// Mutable session state; only touched under `state`'s lock.
    struct State {
        /// The libpq `PGconn*` (nil before the first connect or after `close`).
        var handle: OpaquePointer?
        var closed = false
        /// Inside `transaction`'s body.
        var inTransactionBlock = false
        /// The connection broke inside `transaction`: refuse to reconnect until it ends.
        var lostInTransaction = false
        /// Channels to re-LISTEN after a reconnect, in order.
        var channels: [String] = []
        /// Statements prepared in the current session (a new session starts with none).
        var prepared: Set<String> = []
    }

    public let configuration: PGConnectionConfiguration
    let logger: Logger
    let state: Mutex<State>
    /// libpq's `PGcancel*` for the current session: usable from any thread while a query runs
    /// (PQcancel is thread-safe), so it has its own lock apart from `state`.
    let cancelHandle = Mutex<CancelHandle?>(nil)

    /// libpq's `PGcancel*`.
    /// @unchecked Sendable: libpq documents PQcancel as safe to call from any thread; the
    /// pointer is only created, used and freed under `cancelHandle`'s lock.
    struct CancelHandle: @unchecked Sendable {
        let pointer: OpaquePointer
    }

    private init(configuration: PGConnectionConfiguration, logger: Logger) {
        self.configuration = configuration
        self.logger = logger
        self.state = Mutex(State())
    }

    /// Opens a session (blocking). Throws `.connectionFailed` with libpq's message, which
    /// never contains the password.
    public static func connect(
        _ configuration: PGConnectionConfiguration,
        logger: Logger = Logger(label: "PostgreSQL")
    ) throws(PGError) -> PGConnection {
        let connection = PGConnection(configuration: configuration, logger: logger)
        try connection.state.withLock { (state) throws(PGError) in
            _ = try connection.ensureConnected(&state)
        }
        return connection
    }

    /// Frees the session if nobody called `close()`. Unlike the Kafka clients' closes this does
    /// not wait on anything: `PQfinish` writes a Terminate message and closes the socket.
    deinit {
        state.withLock { state in
            if let handle = state.handle { PQfinish(handle) }
            state.handle = nil
        }
        cancelHandle.withLock { cancel in
            if let cancel { PQfreeCancel(cancel.pointer) }
            cancel = nil
        }
    }

    /// The server process id of the current session (0 when not connected).
    public var backendPID: Int32 {
        state.withLock { state in
            guard let handle = state.handle, PQstatus(handle) == CONNECTION_OK else { return 0 }
            return PQbackendPID(handle)
        }
    }

    /// Whether the session looks usable (libpq's view; a dead server is noticed on next use).
    public var isConnected: Bool {
        state.withLock { state in
            guard let handle = state.handle else { return false }
            return PQstatus(handle) == CONNECTION_OK
        }
    }

    /// Ends the session. Later calls throw `.other` ("connection is closed").
    public func close() {
        state.withLock { state in
            if let handle = state.handle { PQfinish(handle) }
            state.handle = nil
            state.closed = true
        }
        cancelHandle.withLock { cancel in
            if let cancel { PQfreeCancel(cancel.pointer) }
            cancel = nil
        }
    }

    // MARK: - Queries

    /// Runs one statement with `$1...` parameters (text format; the server infers types,
    /// cast with `$1::bigint[]` where needed). `nil` is SQL NULL.
    @discardableResult
    public func query(_ sql: String, _ params: [PGValue?] = []) throws(PGError) -> PGResult {
        let texts = try Self.encode(params)
        return try withConnection { (handle) throws(PGError) -> PGResult in
            let result = CStringArray(texts).withPointers { pointers in
                PQexecParams(handle, sql, Int32(texts.count), nil, pointers, nil, nil, 0)
            }
            return try self.consume(result, handle: handle)
        }
    }

    /// Runs `sql` as a statement prepared under `name` in this session: parsed and planned
    /// once per session instead of on every call, for a statement run many times (PostgreSQL
    /// switches to a generic plan after five executions when that is no worse). A session opened
    /// after a reconnect prepares it again. Use one `name` per distinct `sql`.
    @discardableResult
    public func queryPrepared(name: String, _ sql: String, _ params: [PGValue?] = []) throws(PGError) -> PGResult {
        let texts = try Self.encode(params)
        return try withSession { (handle, state) throws(PGError) -> PGResult in
            if !state.prepared.contains(name) {
                _ = try self.consume(PQprepare(handle, name, sql, Int32(texts.count), nil), handle: handle)
                state.prepared.insert(name)
            }
            let result = CStringArray(texts).withPointers { pointers in
                PQexecPrepared(handle, name, Int32(texts.count), pointers, nil, nil, 0)
            }
            return try self.consume(result, handle: handle)
        }
    }

    /// `query` for statements whose rows are not needed; returns the affected row count.
    @discardableResult
    public func execute(_ sql: String, _ params: [PGValue?] = []) throws(PGError) -> Int {
        try query(sql, params).affectedRows
    }

    /// Runs a script of one or more statements separated by `;` (simple query protocol,
    /// no parameters), e.g. a migration file. Returns the last statement's result.
    @discardableResult
    public func executeScript(_ sql: String) throws(PGError) -> PGResult {
        try withConnection { (handle) throws(PGError) -> PGResult in
            try self.consume(PQexec(handle, sql), handle: handle)
        }
    }

    /// Asks the server to cancel the statement running on this connection, if any (the
    /// statement then fails with `.queryCanceled`). Safe from any thread.
    public func cancelRunningQuery() {
        cancelHandle.withLock { cancel in
            guard let cancel else { return }
            var buffer = [CChar](repeating: 0, count: 256)
            _ = PQcancel(cancel.pointer, &buffer, Int32(buffer.count))
        }
    }

    // MARK: - Internals

    /// Text of each parameter; refuses NUL bytes, which libpq would silently truncate at.
    static func encode(_ params: [PGValue?]) throws(PGError) -> [String?] {
        var texts: [String?] = []
        texts.reserveCapacity(params.count)
        for (index, param) in params.enumerated() {
            guard let param else {
                texts.append(nil)
                continue
            }
            let text = param.pgText
            // One scan of the contiguous bytes: the generic `contains` of the UTF-8 view went byte
            // by byte through a batch's array texts (hundreds of kilobytes) in a `perf` profile.
            let hasNUL =
                text.utf8.withContiguousStorageIfAvailable { $0.firstIndex(of: 0) != nil } ?? text.utf8.contains(0)
            if hasNUL {
                throw PGError(
                    kind: .other,
                    message: "parameter $\(index + 1) contains a NUL byte, which PostgreSQL text cannot hold")
            }
            texts.append(text)
        }
        return texts
    }

    /// Runs `body` with a live handle under the lock, connecting first when needed, and
    /// records a connection loss so the next call reconnects (or, inside a transaction,
    /// refuses to).
    func withConnection<T: Sendable>(
        _ body: (OpaquePointer) throws(PGError) -> T
    ) throws(PGError) -> T {
        try withSession { (handle, _) throws(PGError) -> T in try body(handle) }
    }

    /// `withConnection` for calls that also keep per-session state (prepared statements).
    func withSession<T: Sendable>(
        _ body: (OpaquePointer, inout State) throws(PGError) -> T
    ) throws(PGError) -> T {
        try state.withLock { (state) throws(PGError) -> T in
            let handle = try ensureConnected(&state)
            do throws(PGError) {
                return try body(handle, &state)
            } catch {
                if PQstatus(handle) != CONNECTION_OK {
                    if state.inTransactionBlock { state.lostInTransaction = true }
                    logger.warning(
                        "PostgreSQL connection lost",
                        metadata: [PGLogKey.error: "\(error)", PGLogKey.connection: "\(configuration.redacted)"])
                }
                throw error
            }
        }
    }

    /// Returns a usable handle, opening a fresh session when there is none or it broke.
    func ensureConnected(_ state: inout State) throws(PGError) -> OpaquePointer {
        if state.closed {
            throw PGError(kind: .other, message: "connection is closed")
        }
        if let handle = state.handle, PQstatus(handle) == CONNECTION_OK {
            return handle
        }
        if state.lostInTransaction {
            throw PGError(
                kind: .connectionLost,
                message: "connection was lost inside a transaction; it is not replaced until the transaction block ends"
            )
        }
        let reconnecting = state.handle != nil
        if let old = state.handle {
            // A fresh session rather than PQreset: no leftover pipeline/copy/async state.
            PQfinish(old)
            state.handle = nil
        }
        let handle = try openSession()
        state.handle = handle
        state.prepared = []
        let fresh = PQgetCancel(handle).map(CancelHandle.init)
        cancelHandle.withLock { cancel in
            if let cancel { PQfreeCancel(cancel.pointer) }
            cancel = fresh
        }
        for channel in state.channels {
            let result = PQexec(handle, "LISTEN \(Self.quoteIdentifier(channel))")
            do throws(PGError) {
                _ = try consume(result, handle: handle)
            } catch {
                PQfinish(handle)
                state.handle = nil
                throw error
            }
        }
        if reconnecting {
            logger.info(
                "PostgreSQL reconnected",
                metadata: [
                    PGLogKey.backendPID: "\(PQbackendPID(handle))", PGLogKey.connection: "\(configuration.redacted)",
                ])
        }
        return handle
    }

    private func openSession() throws(PGError) -> OpaquePointer {
        let parameters = configuration.connectionParameters
        let keywords = CStringArray(parameters.map(\.keyword))
        let values = CStringArray(parameters.map(\.value))
        let handle = keywords.withPointers(nullTerminated: true) { keywordPointers in
            values.withPointers(nullTerminated: true) { valuePointers in
                PQconnectdbParams(keywordPointers, valuePointers, 0)
            }
        }
        guard let handle else {
            throw PGError(kind: .connectionFailed, message: "out of memory allocating a libpq connection")
        }
        guard PQstatus(handle) == CONNECTION_OK else {
            let message = configuration.scrubber.scrub(Self.errorMessage(handle))
            PQfinish(handle)
            throw PGError(kind: .connectionFailed, message: message)
        }
        PQsetNoticeProcessor(handle, { _, _ in }, nil)
        return handle
    }

    /// Turns a `PGresult` into a `PGResult` or a `PGError`, and clears it.
    func consume(_ result: OpaquePointer?, handle: OpaquePointer) throws(PGError) -> PGResult {
        guard let result else {
            throw makeError(result: nil, handle: handle)
        }
        defer { PQclear(result) }
        switch PQresultStatus(result) {
        case PGRES_TUPLES_OK, PGRES_COMMAND_OK, PGRES_EMPTY_QUERY:
            return PGResult(copying: result)
        case PGRES_COPY_IN:
            _ = PQputCopyEnd(handle, "COPY FROM STDIN is only supported through copyIn")
            drainResults(handle)
            throw PGError(kind: .other, message: "COPY FROM STDIN is only supported through copyIn")
        case PGRES_COPY_OUT, PGRES_COPY_BOTH:
            // Reading the copy stream to its end leaves the session usable.
            var buffer: UnsafeMutablePointer<CChar>? = nil
            while PQgetCopyData(handle, &buffer, 0) > 0 {
                PQfreemem(buffer)
                buffer = nil
            }
            drainResults(handle)
            throw PGError(kind: .other, message: "COPY TO STDOUT is not supported")
        default:
            throw makeError(result: result, handle: handle)
        }
    }

    /// Reads and clears results until libpq has none left.
    func drainResults(_ handle: OpaquePointer) {
        while let extra = PQgetResult(handle) {
            PQclear(extra)
            if PQstatus(handle) != CONNECTION_OK { return }
        }
    }

    /// A `PGError` from a failed result (SQLSTATE, primary message, detail) or, without
    /// one, from the connection's last error message.
    func makeError(result: OpaquePointer?, handle: OpaquePointer) -> PGError {
        let connectionBroken = PQstatus(handle) != CONNECTION_OK
        var sqlState: String?
        var message: String?
        var detail: String?
        if let result {
            sqlState = Self.field(result, "C")
            message = Self.field(result, "M")
            detail = Self.field(result, "D")
            if message == nil, let text = PQresultErrorMessage(result) {
                let trimmed = String(cString: text).trimmingTrailingWhitespace()
                if !trimmed.isEmpty { message = trimmed }
            }
        }
        let text = message ?? Self.errorMessage(handle)
        var kind = sqlState.flatMap(PGError.kind(forSQLState:)) ?? (connectionBroken ? .connectionLost : .other)
        if connectionBroken, kind == .other { kind = .connectionLost }
        return PGError(
            kind: kind,
            sqlState: sqlState,
            message: configuration.scrubber.scrub(text.isEmpty ? "unknown libpq error" : text),
            detail: detail.map(configuration.scrubber.scrub))
    }

    static func field(_ result: OpaquePointer, _ code: Character) -> String? {
        guard let ascii = code.asciiValue, let pointer = PQresultErrorField(result, Int32(ascii)) else {
            return nil
        }
        return String(cString: pointer)
    }

    static func errorMessage(_ handle: OpaquePointer) -> String {
        guard let pointer = PQerrorMessage(handle) else { return "" }
        return String(cString: pointer).trimmingTrailingWhitespace()
    }

    /// `"name"` with embedded quotes doubled.
    static func quoteIdentifier(_ name: String) -> String {
        "\"" + name.replacingQuotes() + "\""
    }
}

extension String {
    fileprivate func replacingQuotes() -> String {
        var out = ""
        for character in self {
            if character == "\"" { out.append("\"") }
            out.append(character)
        }
        return out
    }
}
