import OrderStreamDomain
import PostgreSQL

/// Database-wide deployment decisions made by `orderstream migrate`, not by the workers.
public enum DeploymentSettings {
    /// Creates `group`'s control row if it has none, and returns the group's active color.
    ///
    /// With `color`: when the group has not run yet, or runs with that color already, `color`
    /// becomes the active color of groups that never ran (the database's setting) and of this
    /// one. When the group runs with the other color, nothing changes (only a cutover changes
    /// it) and the other color is returned, so the caller can refuse.
    public static func prepareGroup(
        _ group: String, initialActiveColor color: DeploymentColor?,
        on connection: PGConnection
    ) throws(PGError) -> DeploymentColor {
        if let color {
            if let existing = try PositionStore.readControl(group: group, on: connection), existing.activeColor != color
            {
                return existing.activeColor
            }
            _ = try connection.execute(
                "UPDATE deployment_settings SET value = $1 WHERE name = 'initial_active_color'", [color.rawValue])
        }
        return try PositionStore.ensureControl(group: group, on: connection).activeColor
    }
}
