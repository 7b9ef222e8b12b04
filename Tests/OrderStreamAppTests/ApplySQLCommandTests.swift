import Foundation
import OrderStreamTestSupport
import OrderStreamWorker
import Testing

@testable import OrderStreamApp

/// `orderstream apply-sql`, the hidden command scripts/bench.sh takes ApplyStatement's SQL from:
/// it prints the worker's statement, and with `--effects` exactly the part of it that the
/// benchmark's SQL-only path runs (what bench.sh used to cut out of the Swift source).
struct ApplySQLCommandTests {
    /// The lines of `sql` from the line `from` up to (not including) the line `to`.
    static func section(of sql: String, from: String, upTo to: String) -> String? {
        let lines = sql.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        guard let start = lines.firstIndex(of: from), let end = lines.firstIndex(of: to), start < end else {
            return nil
        }
        return lines[start..<end].joined(separator: "\n")
    }

    @Test func itPrintsApplyStatement() throws {
        let command = try ApplySQLCommand.parse([])
        #expect(!command.effects)
        #expect(ApplySQLCommand.text(effects: false) == ApplyStatement.sql)
        #expect(ApplyStatement.sql.hasPrefix("WITH input AS ("))
        // The statement the worker prepares for every batch.
        for piece in ["INSERT INTO applied_events", "UPDATE partition_positions", "orderstream_fenced("] {
            #expect(ApplyStatement.sql.contains(piece), "\(piece)")
        }
    }

    @Test func withEffectsItPrintsTheStatementsCTEsFromFreshUpToFreshPerPartition() throws {
        let command = try ApplySQLCommand.parse(["--effects"])
        #expect(command.effects)
        let effects = ApplySQLCommand.text(effects: true)
        #expect(effects == ApplyStatement.effects)
        // Exactly the section bench.sh cut by hand before: `fresh AS (` up to `fresh_per_partition AS (`.
        let section = Self.section(of: ApplyStatement.sql, from: "fresh AS (", upTo: "fresh_per_partition AS (")
        #expect(section == effects)
        #expect(effects.hasSuffix("),"))
        for cte in [
            "fresh", "applied", "payment_firsts", "payment_upsert", "payment_members", "order_deltas",
            "payment_deltas", "order_upsert", "order_members", "customer_firsts", "new_customers", "members",
            "active_minutes", "bucket_deltas", "buckets",
        ] {
            #expect(effects.contains("\n\(cte) AS (") || effects.hasPrefix("\(cte) AS ("), "\(cte)")
        }
        for outside in ["WITH input", "positions AS (", "$13", "$20"] {
            #expect(!effects.contains(outside), "\(outside)")
        }
    }

    @Test func theBinaryPrintsTheSameAndHidesTheCommand() throws {
        let full = try ProcessRunner.orderstream(["apply-sql"])
        #expect(full.status == 0, "\(full.stderr)")
        #expect(full.stdout == ApplyStatement.sql + "\n")
        let effects = try ProcessRunner.orderstream(["apply-sql", "--effects"])
        #expect(effects.status == 0, "\(effects.stderr)")
        #expect(effects.stdout == ApplyStatement.effects + "\n")
        #expect(!OrderStreamCommand.helpMessage().contains("apply-sql"))
    }
}
