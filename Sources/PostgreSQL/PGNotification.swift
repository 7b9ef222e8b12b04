/// One NOTIFY received on a channel this connection LISTENs to.
///
/// Plain data copied out of libpq's `PGnotify` (which is freed at once).
public struct PGNotification: Sendable, Equatable {
    public var channel: String
    public var payload: String
    /// The backend that sent the NOTIFY.
    public var senderPID: Int32

    public init(channel: String, payload: String, senderPID: Int32) {
        self.channel = channel
        self.payload = payload
        self.senderPID = senderPID
    }
}
