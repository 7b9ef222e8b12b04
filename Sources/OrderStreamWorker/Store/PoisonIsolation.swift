import Kafka
import OrderStreamDomain
import PostgreSQL

/// Applies one lane's batch so that an event PostgreSQL refuses for good (a poison) never stops
/// a partition: when the batch's statement fails for a reason tied to its data
/// (`PGError.isCausedByData`), the batch is split in two, each part applied on its own, and the
/// failing part split again, until the poison is alone; it is dead-lettered as `apply_failed`
/// and its neighbours commit with the position moving past it, in the same transaction. Before
/// it blames the last event left in a failing part, it checks (in a transaction that is rolled
/// back) that the part commits without it; if not, the failure is not that event's, and nothing
/// is dead-lettered.
///
/// Why bisection: one poison in `n` events costs about `2 log2 n` statements (about 22 for 1,000), and
/// every commit keeps the partitions' order, because parts are applied left to right and every
/// part moves its partitions' positions with the same compare-and-set as a whole batch.
///
/// The state is a value: what is committed (`committedCount` messages, from the front),
/// the positions after it, and the poisons set aside. A transient failure (connection loss, a
/// lock timeout) leaves it as it was after the last commit, and `run` resumes from there.
/// The I/O is passed in, so the algorithm is tested without a database.
struct PoisonIsolation {
    /// Why `run` stopped before the end.
    enum Failure: Error {
        /// A position's compare-and-set failed: someone else owns these offsets now.
        case fenced
        /// A database error that is not tied to the data (or not yet known to be): retry later.
        case database(PGError)
        /// A dead letter could not be written (a poison's, or the batch's rejections' that a
        /// commit waited for): retry later (nothing was set aside or committed after it).
        case deadLetter(KafkaError)
        /// A part with no event left to blame still failed with a data error: the failure is not
        /// tied to one event (e.g. the position rows themselves). Retried with backoff, reported.
        case notIsolatable(PGError)
    }

    /// The messages of the batch, in the lane's order (each partition's in offset order).
    let messages: [ConsumedMessage]
    /// How many messages, from the front, are committed.
    private(set) var committedCount = 0
    /// Each partition's position in PostgreSQL after the last commit.
    private(set) var expected: [TopicPartition: Int64]
    /// Poisons found and dead-lettered, counted as rejected from then on.
    private(set) var setAside: [MessageCoordinates: Rejection] = [:]
    /// Statements run, for the log and the tests.
    private(set) var statements = 0
    /// The whole batch as the caller already validated it: the first attempt, the common case
    /// of a batch without poison, is not validated a second time.
    private var validatedWhole: ValidatedBatch?

    init(messages: [ConsumedMessage], expected: [TopicPartition: Int64], validated: ValidatedBatch? = nil) {
        self.messages = messages
        self.expected = expected
        self.validatedWhole = validated
    }

    var isComplete: Bool { committedCount == messages.count }

    /// The I/O of one run: `apply` runs one statement for a batch and commits it; `probe` runs
    /// it and rolls it back; `deadLetter` writes a poison's dead letter and returns once the
    /// broker acknowledged it; `committed` is told of every part that committed (for the
    /// counters and the partition table).
    struct Steps {
        var apply: (ValidatedBatch) throws(BatchApplier.Failure) -> BatchApplier.Outcome
        var probe: (ValidatedBatch) throws(BatchApplier.Failure) -> Void
        var deadLetter: (ValidatedBatch.Rejected) throws(KafkaError) -> Void
        var committed: (ValidatedBatch, BatchApplier.Outcome) -> Void
    }

    /// Applies what is not committed yet.
    mutating func run(_ steps: Steps) throws(Failure) {
        guard !isComplete else { return }
        try applyIsolating(committedCount..<messages.count, knownFailure: nil, steps)
    }

    private mutating func applyIsolating(_ range: Range<Int>, knownFailure: PGError?, _ steps: Steps) throws(Failure) {
        let batch: ValidatedBatch
        if let whole = validatedWhole, range == messages.indices, setAside.isEmpty {
            batch = whole  // nothing committed or set aside yet: the caller's validation holds
        } else {
            batch = ValidatedBatch(messages: messages[range], expected: expected, setAside: setAside)
        }
        var failure = knownFailure
        if failure == nil {
            statements += 1
            do {
                let outcome = try steps.apply(batch)
                committedCount = range.upperBound
                for (partition, slice) in batch.partitions { expected[partition] = slice.nextOffset }
                steps.committed(batch, outcome)
                return
            } catch {
                switch error {
                case .fenced: throw .fenced
                case .deadLetters(let error): throw .deadLetter(error)
                case .database(let error):
                    guard error.isCausedByData else { throw .database(error) }
                    failure = error
                }
            }
        }
        guard let failure else { return }
        switch batch.events.count {
        case 0:
            throw .notIsolatable(failure)
        case 1:
            let poison = batch.events[0].message
            let rejection = Rejection(.applyFailed, Self.detail(of: failure))
            var without = setAside
            without[MessageCoordinates(poison)] = rejection
            // Does the part commit without this event? Asked in a transaction that is rolled
            // back, because its position may not move before the dead letter is acknowledged.
            statements += 1
            do {
                try steps.probe(ValidatedBatch(messages: messages[range], expected: expected, setAside: without))
            } catch {
                switch error {
                case .fenced: throw .fenced
                case .deadLetters(let error): throw .deadLetter(error)
                case .database(let error):
                    throw error.isCausedByData ? .notIsolatable(error) : .database(error)
                }
            }
            do {
                try steps.deadLetter(ValidatedBatch.Rejected(message: poison, rejection: rejection))
            } catch {
                throw .deadLetter(error)
            }
            setAside = without
            // The same part again, the poison now counted as rejected: its neighbours commit
            // and the position moves past it in one transaction.
            try applyIsolating(range, knownFailure: nil, steps)
        default:
            // Split between events, so that each half holds some of the candidates.
            let middle = batch.events[batch.events.count / 2].message
            let split = messages[range].firstIndex {
                $0.partition == middle.partition && $0.offset == middle.offset
            }!
            try applyIsolating(range.lowerBound..<split, knownFailure: nil, steps)
            try applyIsolating(split..<range.upperBound, knownFailure: nil, steps)
        }
    }

    /// `SQLSTATE 22003: bigint out of range`: the code and the server's primary message, never
    /// its DETAIL line (which can quote row data).
    static func detail(of error: PGError) -> String {
        "SQLSTATE \(error.sqlState ?? "?????"): \(error.message)"
    }
}
