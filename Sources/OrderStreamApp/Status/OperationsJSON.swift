import OrderStreamDomain
import OrderStreamWorker

/// The `operations` audit as JSON, newest first: `status --json` and the console's
/// `/api/operations` write it the same way.
enum OperationsJSON {
    static func write(_ entries: [OperationsLog.Entry], to writer: inout JSONWriter) {
        writer.beginArray()
        for entry in entries {
            writer.beginObject()
            writer.field("id", entry.id)
            writer.field("at", entry.at)
            writer.field("actor", entry.actor)
            writer.field("command", entry.command)
            writer.field("arguments", entry.arguments)
            writer.key("epoch")
            if let epoch = entry.epoch { writer.integer(epoch) } else { writer.null() }
            writer.field("result", entry.result)
            writer.endObject()
        }
        writer.endArray()
    }
}
