import OrderStreamWorker
import PostgreSQL

/// `orderstream migrate --plan`: what this binary would apply, what a newer release applied,
/// and whether every running worker (and this binary) can run against the result.
struct MigrationPlan {
    var group: String
    var applied: [SchemaCompatibility.MigrationInfo]
    var pending: [Migration]
    var workers: [SchemaCompatibility.RunningWorker]

    static func read(group: String, on connection: PGConnection) throws(PGError) -> MigrationPlan {
        let schema = try SchemaCompatibility.read(on: connection)
        let applied = Set(schema.migrations.map(\.version))
        return MigrationPlan(
            group: group, applied: schema.migrations,
            pending: SchemaMigrations.all.filter { !applied.contains($0.version) },
            workers: try SchemaCompatibility.runningWorkers(group: group, on: connection))
    }

    var lines: [String] {
        let known = SchemaMigrations.knownUpTo
        let after = SchemaCompatibility(migrations: applied).adding(pending: pending)
        var lines = ["schema plan (this binary: release \(BuildInfo.version), migrations up to \(known))"]
        let mine = applied.filter { $0.version <= known }
        lines.append("  applied: " + mine.map { "\($0.version) \($0.name)" }.joined(separator: ", ").ifEmpty("none"))
        lines.append(
            "  to apply: "
                + pending.map {
                    "\($0.version) \($0.name) (release \($0.release ?? "?"), "
                        + ($0.compatibleWithOlderReleases
                            ? "older releases keep working" : "older releases stop working") + ")"
                }.joined(separator: ", ").ifEmpty("none"))
        let newer = applied.filter { $0.version > known }
        lines.append(
            "  applied by a newer release: "
                + newer.map {
                    "\($0.version) \($0.name) (release \($0.release ?? "?"), "
                        + ($0.compatibleWithOlder ? "this binary keeps working" : "this binary cannot run") + ")"
                }.joined(separator: ", ").ifEmpty("none"))
        lines.append("running workers of group \(group) after the plan:")
        if workers.isEmpty { lines.append("  none") }
        for worker in workers {
            let blockers = after.blockers(for: worker)
            lines.append(
                "  \(worker.instanceId) (\(worker.color), release \(worker.release ?? "before 0.2.0"), "
                    + "migrations up to \(worker.knownMigration)): "
                    + (blockers.isEmpty
                        ? "compatible" : "INCOMPATIBLE with migration " + blockers.map(\.needs).joined(separator: ", "))
            )
        }
        return lines
    }
}
