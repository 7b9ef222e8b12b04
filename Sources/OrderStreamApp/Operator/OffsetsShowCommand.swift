import ArgumentParser
import Foundation
import Kafka
import OrderStreamDomain
import OrderStreamWorker

/// `orderstream offsets show [--topic T] [--json]`: per partition the position, owner, epoch,
/// paused state, the log's watermarks and the lag.
struct OffsetsShowCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "show",
        abstract: "Shows each partition's position, owner, epoch, paused state, watermarks and lag.")

    @OptionGroup var options: GlobalOptions

    @Option(help: "Only this topic.")
    var topic: String?

    @Flag(help: "Print JSON instead of a table.")
    var json = false

    func run() async throws {
        let configuration = try options.configuration()
        let logger = ProcessLogging.logger(configuration, label: "orderstream.offsets")
        let group = configuration.group
        let topic = self.topic
        let shown = try await OperatorSession.run(configuration, command: "offsets", logger: logger) { session in
            let rows = try OperatorPositions.rows(group: group, topic: topic, on: session.connection)
            return (rows, session.watermarks(rows.map(\.partition)))
        }
        print(json ? Self.json(shown.0, shown.1) : Self.table(shown.0, shown.1, group: group))
    }

    static func table(
        _ rows: [OperatorPositions.Row], _ marks: [TopicPartition: KafkaWatermarks], group: String
    ) -> String {
        guard !rows.isEmpty else { return "group \(group) has no positions yet" }
        var lines = [Self.line(["partition", "position", "log start", "log end", "lag", "owner", "epoch"]) + "  state"]
        for row in rows {
            let mark = marks[row.partition]
            let lag = mark.map { String(max(0, $0.high - row.nextOffset)) } ?? "?"
            let state = row.paused ? "paused by \(row.pausedBy ?? "?") at \(row.pausedAt ?? "?")" : "running"
            lines.append(
                Self.line([
                    row.partition.description, "\(row.nextOffset)", mark.map { "\($0.low)" } ?? "?",
                    mark.map { "\($0.high)" } ?? "?", lag, row.ownerColor.rawValue, "\(row.epoch)",
                ]) + "  " + state)
        }
        return lines.joined(separator: "\n")
    }

    /// Columns of 12 characters, the first left-aligned, the others right-aligned.
    private static func line(_ cells: [String]) -> String {
        cells.enumerated().map { index, cell in
            let pad = String(repeating: " ", count: max(0, 12 - cell.count))
            return index == 0 ? cell + pad : pad + cell
        }.joined(separator: " ")
    }

    static func json(_ rows: [OperatorPositions.Row], _ marks: [TopicPartition: KafkaWatermarks]) -> String {
        var w = JSONWriter()
        w.beginObject()
        w.key("partitions")
        w.beginArray()
        for row in rows {
            w.beginObject()
            w.field("topic", row.partition.topic)
            w.field("partition", Int64(row.partition.partition))
            w.field("position", row.nextOffset)
            w.field("owner_color", row.ownerColor.rawValue)
            w.field("epoch", row.epoch)
            w.key("paused"); w.bool(row.paused)
            w.key("paused_by"); if let by = row.pausedBy { w.string(by) } else { w.null() }
            w.key("paused_at"); if let at = row.pausedAt { w.string(at) } else { w.null() }
            let mark = marks[row.partition]
            w.key("log_start"); if let mark { w.integer(mark.low) } else { w.null() }
            w.key("log_end"); if let mark { w.integer(mark.high) } else { w.null() }
            w.key("lag"); if let mark { w.integer(max(0, mark.high - row.nextOffset)) } else { w.null() }
            w.endObject()
        }
        w.endArray()
        w.endObject()
        return w.text
    }
}
