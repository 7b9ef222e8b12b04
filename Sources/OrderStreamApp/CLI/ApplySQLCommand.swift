import ArgumentParser
import OrderStreamWorker

/// `orderstream apply-sql [--effects]`: prints `ApplyStatement`, the statement the worker applies
/// every batch with, or with `--effects` only its effects (the CTEs from `fresh` to `buckets`).
/// scripts/bench.sh takes its SQL-only path's effects from here, out of the binary it measures,
/// so the two can never drift apart. Hidden: a tool for the benchmark and for EXPLAIN, not an
/// operator command (it needs no configuration and touches nothing).
struct ApplySQLCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "apply-sql",
        abstract: "Prints the SQL statement that applies a batch (for scripts/bench.sh and EXPLAIN).",
        shouldDisplay: false)

    @Flag(help: "Only the effects: the CTEs from `fresh` to `buckets` (they read an `input` CTE).")
    var effects = false

    func run() {
        print(Self.text(effects: effects))
    }

    /// What `run()` prints (without the final newline).
    static func text(effects: Bool) -> String {
        effects ? ApplyStatement.effects : ApplyStatement.sql
    }
}
