import CLibPQ
import Foundation
import OrderStreamCommon

extension PGConnection {
    /// LISTENs on `channel` now and again after every reconnect. Notifications sent while
    /// the connection is down are lost, so also poll for the state you wait on.
    public func listen(_ channel: String) throws(PGError) {
        try execute("LISTEN \(Self.quoteIdentifier(channel))")
        state.withLock { state in
            if !state.channels.contains(channel) { state.channels.append(channel) }
        }
    }

    /// Stops listening on `channel`.
    public func unlisten(_ channel: String) throws(PGError) {
        state.withLock { state in state.channels.removeAll { $0 == channel } }
        try execute("UNLISTEN \(Self.quoteIdentifier(channel))")
    }

    /// Returns notifications already received, or waits up to `timeout` for some
    /// (PQsocket + poll, then PQconsumeInput + PQnotifies). Empty on timeout. Blocks the
    /// calling thread and holds the connection while waiting.
    public func waitForNotifications(timeout: Duration) throws(PGError) -> [PGNotification] {
        try withConnection { (handle) throws(PGError) -> [PGNotification] in
            try self.consumeInput(handle)
            var received = Self.takeNotifications(handle)
            if !received.isEmpty { return received }
            let deadline = ContinuousClock.now.advanced(by: timeout)
            while received.isEmpty {
                let remaining = ContinuousClock.now.duration(to: deadline)
                if remaining <= .zero { break }
                let socket = PQsocket(handle)
                guard socket >= 0 else {
                    throw PGError(kind: .connectionLost, message: "connection has no socket")
                }
                let milliseconds = max(1, remaining.clampedMilliseconds)
                let ready = clibpq_wait_readable(socket, milliseconds)
                if ready < 0 {
                    if errno == EINTR { continue }
                    throw PGError(kind: .other, message: "poll() failed: errno \(errno)")
                }
                if ready == 0 { continue }
                try self.consumeInput(handle)
                received = Self.takeNotifications(handle)
            }
            return received
        }
    }

    private func consumeInput(_ handle: OpaquePointer) throws(PGError) {
        if PQconsumeInput(handle) == 0 {
            throw makeError(result: nil, handle: handle)
        }
    }

    private static func takeNotifications(_ handle: OpaquePointer) -> [PGNotification] {
        var received: [PGNotification] = []
        while let notify = PQnotifies(handle) {
            received.append(
                PGNotification(
                    channel: String(cString: notify.pointee.relname),
                    payload: notify.pointee.extra.map { String(cString: $0) } ?? "",
                    senderPID: notify.pointee.be_pid))
            PQfreemem(notify)
        }
        return received
    }
}
