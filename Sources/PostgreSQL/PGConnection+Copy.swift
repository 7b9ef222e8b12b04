import CLibPQ

extension PGConnection {
    /// Streams `rows` into `COPY ... FROM STDIN` (text format unless the SQL says otherwise).
    /// Each element is one line; a trailing newline is added when missing. Build lines with
    /// `PGCopyText.line(_:)`. Returns the number of rows copied.
    @discardableResult
    public func copyIn(sql: String, rows: some Sequence<String>) throws(PGError) -> Int {
        try withConnection { (handle) throws(PGError) -> Int in
            guard let start = PQexec(handle, sql) else {
                throw self.makeError(result: nil, handle: handle)
            }
            guard PQresultStatus(start) == PGRES_COPY_IN else {
                // Either an error or a statement that is not COPY FROM STDIN.
                let consumed = Result { () throws(PGError) -> PGResult in try self.consume(start, handle: handle) }
                if case .failure(let error) = consumed { throw error }
                throw PGError(kind: .other, message: "copyIn needs a COPY ... FROM STDIN statement")
            }
            PQclear(start)

            var buffer: [UInt8] = []
            buffer.reserveCapacity(1 << 16)
            var sendFailed = false
            func flush() {
                guard !buffer.isEmpty, !sendFailed else { return }
                let sent = buffer.withUnsafeBufferPointer { bytes in
                    bytes.baseAddress!.withMemoryRebound(to: CChar.self, capacity: bytes.count) {
                        PQputCopyData(handle, $0, Int32(bytes.count))
                    }
                }
                if sent != 1 { sendFailed = true }
                buffer.removeAll(keepingCapacity: true)
            }
            for row in rows {
                buffer.append(contentsOf: row.utf8)
                if buffer.last != 10 { buffer.append(10) }
                if buffer.count >= 1 << 16 { flush() }
                if sendFailed { break }
            }
            flush()
            if sendFailed || PQputCopyEnd(handle, nil) != 1 {
                throw self.makeError(result: nil, handle: handle)
            }
            var outcome: Result<PGResult, PGError>?
            while let result = PQgetResult(handle) {
                let consumed = Result { () throws(PGError) -> PGResult in try self.consume(result, handle: handle) }
                if outcome == nil { outcome = consumed }
                if PQstatus(handle) != CONNECTION_OK { break }
            }
            guard let outcome else { throw self.makeError(result: nil, handle: handle) }
            return try outcome.get().affectedRows
        }
    }
}
