import Kafka
import OrderStreamDomain
import PostgreSQL

/// Reads and creates the rows that say who owns a partition and where it resumes: the
/// consumer group's control row (active color, epoch) and the per-partition positions.
enum PositionStore {
    /// The active color and epoch of a consumer group.
    struct Control: Sendable, Equatable {
        var activeColor: DeploymentColor
        var epoch: Int64
    }

    /// One partition's row.
    struct Position: Sendable, Equatable {
        var nextOffset: Int64
        var ownerColor: DeploymentColor
        var epoch: Int64
        /// Paused by an operator (`orderstream pause`): held by its owner, never applied.
        var paused = false

        /// Whether a worker of `color` may apply this partition now.
        func isActive(for color: DeploymentColor) -> Bool { ownerColor == color && !paused }
    }

    /// Creates the group's control row if it has none, with the database's initial active color
    /// (`deployment_settings`, set by `orderstream migrate --active-color`, blue by default), or
    /// `initialColor` when given; never the color of whichever worker starts first.
    static func ensureControl(
        group: String, initialColor: DeploymentColor? = nil, on connection: PGConnection
    ) throws(PGError) -> Control {
        _ = try connection.execute(
            """
            INSERT INTO consumer_control (consumer_group, active_color, epoch)
            SELECT $1, coalesce($2, (SELECT value FROM deployment_settings WHERE name = 'initial_active_color'), 'blue'), 1
            ON CONFLICT (consumer_group) DO NOTHING
            """, [group, initialColor?.rawValue])
        guard let control = try readControl(group: group, on: connection) else {
            throw PGError(kind: .other, sqlState: nil, message: "control row of group \(group) vanished")
        }
        return control
    }

    static func readControl(group: String, on connection: PGConnection) throws(PGError) -> Control? {
        let result = try connection.query(
            "SELECT active_color, epoch FROM consumer_control WHERE consumer_group = $1", [group])
        guard result.rowCount == 1 else { return nil }
        return Control(activeColor: try result.color(0, "active_color"), epoch: try result.int64(0, "epoch"))
    }

    /// Creates the missing position rows of `partitions` (owned by the group's active color at
    /// its epoch, starting at offset 0 = the beginning of the log) and returns every row.
    static func claim(
        _ partitions: [TopicPartition], group: String, on connection: PGConnection
    ) throws(PGError) -> [TopicPartition: Position] {
        guard !partitions.isEmpty else { return [:] }
        let sorted = partitions.sorted()
        let topics = sorted.map(\.topic)
        let numbers = sorted.map(\.partition)
        _ = try connection.execute(
            """
            INSERT INTO partition_positions (consumer_group, topic, partition, next_offset, owner_color, epoch)
            SELECT $1, t.topic, t.part, 0, c.active_color, c.epoch
            FROM unnest($2::text[], $3::integer[]) AS t(topic, part)
            JOIN consumer_control c ON c.consumer_group = $1
            ORDER BY 2, 3
            ON CONFLICT DO NOTHING
            """, [group, topics, numbers])
        return try read(sorted, group: group, on: connection)
    }

    /// The rows of `partitions` that exist.
    static func read(
        _ partitions: [TopicPartition], group: String, on connection: PGConnection
    ) throws(PGError) -> [TopicPartition: Position] {
        let result = try connection.query(
            """
            SELECT p.topic, p.partition, p.next_offset, p.owner_color, p.epoch, p.paused
            FROM partition_positions p
            JOIN unnest($2::text[], $3::integer[]) AS t(topic, part) ON p.topic = t.topic AND p.partition = t.part
            WHERE p.consumer_group = $1
            """, [group, partitions.map(\.topic), partitions.map(\.partition)])
        var rows: [TopicPartition: Position] = [:]
        for row in 0..<result.rowCount {
            let key = TopicPartition(
                topic: try result.string(row, "topic"), partition: try result.int32(row, "partition"))
            rows[key] = Position(
                nextOffset: try result.int64(row, "next_offset"),
                ownerColor: try result.color(row, "owner_color"),
                epoch: try result.int64(row, "epoch"),
                paused: try result.bool(row, "paused"))
        }
        return rows
    }
}
