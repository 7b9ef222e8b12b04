import OrderStreamDomain
import PostgreSQL

/// What the console's Deployments view shows, read in one statement: the group's active color
/// and epoch, its latest cutovers, canaries and aborts (with their pauses, verdicts and restore
/// points), and its latest analyses with their progress.
///
/// PostgreSQL builds the JSON itself (`json_build_object`): the document is a plain projection
/// of the rows, and its text is always valid JSON whatever the rows hold.
public enum DeploymentHistory {
    /// How many cutovers and analyses are listed, newest first.
    public static let shown = 50

    public static func json(group: String, on connection: PGConnection) throws(PGError) -> String {
        let result = try connection.query(
            """
            WITH control AS (SELECT active_color, epoch FROM consumer_control WHERE consumer_group = $1),
            steps AS (
                SELECT * FROM cutovers WHERE consumer_group = $1 ORDER BY epoch DESC LIMIT $2
            ),
            watched AS (
                SELECT * FROM analyses WHERE consumer_group = $1 ORDER BY id DESC LIMIT $2
            )
            SELECT json_build_object(
                'group', $1::text,
                'active_color', (SELECT active_color FROM control),
                'epoch', (SELECT epoch FROM control),
                'cutovers', COALESCE((SELECT json_agg(json_build_object(
                    'epoch', epoch, 'kind', kind, 'from_color', from_color, 'to_color', to_color,
                    'partitions', partitions,
                    'started_at', to_char(started_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'),
                    'completed_at', to_char(completed_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'),
                    'pause_seconds', pause_seconds, 'terminated_sessions', terminated_sessions,
                    'restore_point', restore_point, 'wal_lsn', wal_lsn::text,
                    'verified', verified, 'verdict', verdict) ORDER BY epoch DESC) FROM steps), '[]'::json),
                'analyses', COALESCE((SELECT json_agg(json_build_object(
                    'id', id, 'epoch', epoch, 'kind', kind, 'from_color', from_color, 'to_color', to_color,
                    'partitions', partitions,
                    'started_at', to_char(started_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'),
                    'ends_at', to_char(ends_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'),
                    'progress', CASE WHEN status <> 'running' THEN 1.0
                                     ELSE least(1.0, greatest(0.0, extract(epoch FROM now() - started_at)
                                          / greatest(extract(epoch FROM ends_at - started_at), 0.001)))::float8 END,
                    'max_dlq_rate', max_dlq_rate, 'max_p99_seconds', max_p99_seconds, 'max_lag_seconds', max_lag_seconds,
                    'status', status,
                    'decided_at', to_char(decided_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'),
                    'reason', reason) ORDER BY id DESC) FROM watched), '[]'::json),
                'restore_points', COALESCE((SELECT json_agg(json_build_object(
                    'epoch', epoch, 'name', restore_point, 'wal_lsn', wal_lsn::text,
                    'created_before', kind || ' to ' || to_color,
                    'at', to_char(fenced_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')) ORDER BY epoch DESC)
                    FROM steps WHERE restore_point IS NOT NULL OR wal_lsn IS NOT NULL), '[]'::json)
            )::text AS document
            """, [group, Int64(shown)])
        return try result.string(0, "document")
    }

    /// The color a rollback returns to: the one the latest full cutover left (nil when the group
    /// never had one).
    public static func rollbackColor(group: String, on connection: PGConnection) throws(PGError) -> DeploymentColor? {
        let result = try connection.query(
            """
            SELECT from_color FROM cutovers WHERE consumer_group = $1 AND kind = $2 AND NOT (from_color = to_color)
            ORDER BY epoch DESC LIMIT 1
            """, [group, Cutover.Kind.cutover.rawValue])
        return result.rowCount == 1 ? try result.color(0, "from_color") : nil
    }
}
