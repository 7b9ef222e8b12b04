import Kafka
import OrderStreamDomain
import PostgreSQL

/// Runs `ApplyStatement` for one validated batch on one connection and reads back what changed.
struct BatchApplier: Sendable {
    /// The guard of every write: this worker's group, color and the epoch it works under.
    struct Fence: Sendable, Equatable {
        var group: String
        var color: DeploymentColor
        var instanceId: String
        /// The epoch each partition is owned under, as this worker last read it.
        var epochs: [TopicPartition: Int64]
    }

    /// What one committed batch changed, for the Prometheus counters (moved after commit only).
    struct Outcome: Sendable, Equatable {
        var applied: Int64
        var appliedByTopic: [Topic: Int64]
        var newMembers: [MemberDelta]
    }

    /// New KPI members of one kind and currency in a committed batch.
    struct MemberDelta: Sendable, Equatable {
        var kind: KPIKind
        var currency: String
        var count: Int64
        var amountCents: Int64
    }

    /// Why a batch was not applied.
    enum Failure: PGTransactionFailure, Sendable {
        /// The compare-and-set of a position failed: someone else owns these offsets now.
        case fenced
        /// A database error; `isTransient` says whether retrying the same batch may succeed.
        case database(PGError)
        /// The batch's dead letters were not acknowledged (a delivery failed): nothing was
        /// committed, and they must be sent again (`apply(_:fence:on:afterDeadLetters:)`).
        case deadLetters(KafkaError)
    }

    /// The SQLSTATE raised by `orderstream_fenced()` (see the schema migration).
    static let fencedSQLState = "OS001"

    /// Runs the batch's statement inside a transaction that is always rolled back: whether the
    /// batch would commit, without committing it (poison isolation asks this before it blames
    /// an event). Throws as `apply` does.
    static func probe(_ batch: ValidatedBatch, fence: Fence, on connection: PGConnection) throws(Failure) {
        /// The probe's body always ends by throwing: `.rolledBack` when the batch went through.
        enum Probe: PGTransactionFailure {
            case rolledBack
            case failed(Failure)
            static func database(_ error: PGError) -> Probe { .failed(.database(error)) }
        }
        do throws(Probe) {
            try connection.transaction { (connection) throws(Probe) in
                do throws(Failure) {
                    _ = try apply(batch, fence: fence, on: connection)
                } catch {
                    throw .failed(error)
                }
                throw .rolledBack
            }
        } catch {
            switch error {
            case .rolledBack: return
            case .failed(let failure): throw failure
            }
        }
    }

    /// Applies the batch atomically (one statement, one implicit transaction). `statement` is the
    /// prepared statement's name and text: the worker's own, or (in the schema upgrade test) an
    /// older release's, which takes the same parameters.
    static func apply(
        _ batch: ValidatedBatch, fence: Fence, on connection: PGConnection,
        statement: (name: String, sql: String) = (ApplyStatement.preparedName, ApplyStatement.sql)
    ) throws(Failure) -> Outcome {
        let p = ApplyParameters(batch: batch, epochs: fence.epochs)
        let params: [PGValue?] = [
            p.eventIds, p.eventTypes, p.orderIds, p.customerIds, p.occurredMicros, p.minuteMicros,
            p.paymentIds, p.amounts, p.currencies, p.topics, p.partitions, p.offsets,
            p.positionTopics, p.positionPartitions, p.positionExpected, p.positionNext,
            p.positionSent, p.positionDuplicates, p.positionRejected,
            fence.instanceId, fence.group, fence.color.rawValue, p.positionEpochs,
        ]
        let result: PGResult
        do {
            result = try connection.queryPrepared(name: statement.name, statement.sql, params)
        } catch {
            if error.sqlState == fencedSQLState { throw .fenced }
            throw .database(error)
        }
        do {
            let applied = try result.int64(0, "applied")
            let members = try result.string(0, "new_members")
            let byTopic = try result.string(0, "applied_by_topic")
            return Outcome(applied: applied, appliedByTopic: parseCounts(byTopic), newMembers: parseMembers(members))
        } catch {
            throw .database(error)
        }
    }

    /// Parses `topic:count,...` (topic names never hold `:` or `,` here: orders, payments).
    static func parseCounts(_ text: String) -> [Topic: Int64] {
        var counts: [Topic: Int64] = [:]
        for item in text.split(separator: ",") {
            let parts = item.split(separator: ":")
            if parts.count == 2, let topic = Topic(rawValue: String(parts[0])), let count = Int64(parts[1]) {
                counts[topic] = count
            }
        }
        return counts
    }

    /// Parses `kind:currency:count:amount,...` (kinds and currencies never hold `:` or `,`).
    static func parseMembers(_ text: String) -> [MemberDelta] {
        guard !text.isEmpty else { return [] }
        return text.split(separator: ",").compactMap { item in
            let parts = item.split(separator: ":", omittingEmptySubsequences: false)
            guard parts.count == 4, let kind = KPIKind(rawValue: String(parts[0])), let count = Int64(parts[2]),
                let amount = Int64(parts[3])
            else { return nil }
            return MemberDelta(kind: kind, currency: String(parts[1]), count: count, amountCents: amount)
        }
    }
}
