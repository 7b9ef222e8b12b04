import CLibPQ

extension PGConnection {
    /// Sends every statement without waiting for replies (libpq pipeline mode), with one
    /// sync point at the end, and returns their results in order.
    ///
    /// PostgreSQL's rules apply: statements up to the sync point run in one implicit
    /// transaction (unless they contain their own BEGIN/COMMIT). When one fails, the server
    /// skips the rest (`PGRES_PIPELINE_ABORTED`) and the implicit transaction rolls back, so
    /// the earlier statements' effects are gone too; this throws the failing statement's
    /// error with `statementIndex` set.
    ///
    /// Meant for a batch's few statements with small results: the connection stays in
    /// blocking mode, so statements returning very large results could stall the send.
    public func pipeline(_ statements: [(String, [PGValue?])]) throws(PGError) -> [PGResult] {
        if statements.isEmpty { return [] }
        var encoded: [(String, [String?])] = []
        encoded.reserveCapacity(statements.count)
        for (sql, params) in statements {
            encoded.append((sql, try Self.encode(params)))
        }
        return try withConnection { (handle) throws(PGError) -> [PGResult] in
            guard PQenterPipelineMode(handle) == 1 else {
                throw self.makeError(result: nil, handle: handle)
            }
            // Leave pipeline mode whatever happens, so the session stays usable.
            defer {
                if PQstatus(handle) == CONNECTION_OK, PQpipelineStatus(handle) != PQ_PIPELINE_OFF {
                    _ = PQexitPipelineMode(handle)
                }
            }
            var sendError: PGError?
            for (sql, texts) in encoded {
                let sent = CStringArray(texts).withPointers { pointers in
                    PQsendQueryParams(handle, sql, Int32(texts.count), nil, pointers, nil, nil, 0)
                }
                if sent != 1 {
                    sendError = self.makeError(result: nil, handle: handle)
                    break
                }
            }
            if PQpipelineSync(handle) != 1 {
                throw self.makeError(result: nil, handle: handle)
            }
            if let sendError, PQstatus(handle) != CONNECTION_OK { throw sendError }

            var results: [PGResult] = []
            var firstError: PGError? = sendError
            var sawSync = false
            var statement = 0
            // Each statement yields its result(s) followed by a NULL; the sync point yields
            // PGRES_PIPELINE_SYNC.
            while !sawSync {
                guard PQstatus(handle) == CONNECTION_OK else {
                    throw self.makeError(result: nil, handle: handle, statementIndex: statement)
                }
                guard let result = PQgetResult(handle) else {
                    statement += 1
                    if statement > encoded.count + 1 {
                        throw PGError(kind: .other, message: "pipeline ended without a sync result")
                    }
                    continue
                }
                defer { PQclear(result) }
                switch PQresultStatus(result) {
                case PGRES_PIPELINE_SYNC:
                    sawSync = true
                case PGRES_TUPLES_OK, PGRES_COMMAND_OK, PGRES_EMPTY_QUERY:
                    results.append(PGResult(copying: result))
                case PGRES_PIPELINE_ABORTED:
                    if firstError == nil {
                        firstError = PGError(
                            kind: .other, message: "pipeline aborted by an earlier error", statementIndex: statement)
                    }
                default:
                    if firstError == nil {
                        firstError = self.makeError(result: result, handle: handle, statementIndex: statement)
                    }
                }
            }
            if PQexitPipelineMode(handle) != 1 {
                throw self.makeError(result: nil, handle: handle)
            }
            if let firstError { throw firstError }
            return results
        }
    }
}
