import Kafka
import OrderStreamDomain
import OrderStreamWorker

/// What a replay would re-publish, decided without I/O from the selected letters, the fix file
/// and the cap, so every refusal happens before the first message is sent.
struct ReplayPlan: Sendable {
    /// One letter to re-publish: to its origin topic, with its original key, its value (or the
    /// fix), and the provenance headers; `verdict` is the contract validator's opinion now.
    struct Item: Sendable {
        let letter: DeadLetter
        let message: KafkaOutgoingMessage
        let fixed: Bool
        let replayCount: Int
        let verdict: ValidationOutcome
    }

    /// A selected letter the replay refuses, and why.
    struct Refusal: Sendable, Equatable {
        let letter: LetterCoordinates
        let why: String
    }

    /// What would be re-published, in the letters' order.
    let items: [Item]
    /// What would not be; a replay with any refusal publishes nothing (`--dry-run` shows both).
    let refusals: [Refusal]
    /// Fixes in the fix file for letters this replay does not select (left out).
    let unusedFixes: Int

    /// The default of `--max-replays`: a letter whose event was replayed this often and failed
    /// every time is refused (it needs a fix in its producer, not another replay).
    static let defaultMaxReplays = 3

    /// Plans the replay of `letters` (in that order). Throws for an empty selection. Fixes of
    /// letters that are not selected are left out (one fix file serves a replay in several
    /// batches, `--limit`), and counted in `unusedFixes`. Refuses, per letter: a fix whose `event_id` differs from
    /// the letter's, a letter at the cap, a letter from an unknown origin topic, and a letter whose
    /// value (fixed or not) the validator rejects now — a replay that is certain to be
    /// dead-lettered again would only use up the letter's replays.
    static func make(
        letters: [DeadLetter], fixes: [LetterCoordinates: [UInt8]], maxReplays: Int
    )
        throws(DeadLetterInputError) -> ReplayPlan
    {
        guard !letters.isEmpty else {
            throw DeadLetterInputError("no dead letter matches the selection; nothing replayed")
        }
        let selected = Set(letters.map(\.coordinates))
        let unusedFixes = fixes.keys.filter { !selected.contains($0) }.count
        var problems: [Refusal] = []
        var items: [Item] = []
        for letter in letters {
            let name = letter.coordinates.description
            guard let origin = Topic(rawValue: letter.sourceTopic) else {
                problems.append(
                    Refusal(
                        letter: letter.coordinates, why: "unknown origin topic \(letter.sourceTopic.debugDescription)"))
                continue
            }
            guard letter.replayCount < maxReplays else {
                problems.append(
                    Refusal(
                        letter: letter.coordinates,
                        why:
                            "replayed \(letter.replayCount) times already (--max-replays \(maxReplays)); fix its producer"
                    ))
                continue
            }
            let value = fixes[letter.coordinates] ?? letter.value
            let fixed = fixes[letter.coordinates] != nil
            let verdict = EventValidator.validate(topic: origin.rawValue, key: letter.key, value: value)
            if fixed, let letterEventId = letter.eventId {
                let fixedEventId = (try? JSONParser.parse(value))?.objectValue?["event_id"]?.stringValue
                if fixedEventId != letterEventId {
                    problems.append(
                        Refusal(
                            letter: letter.coordinates,
                            why:
                                "the fix has event_id \(fixedEventId?.debugDescription ?? "none"), the letter \(letterEventId.debugDescription)"
                        ))
                    continue
                }
            }
            if let rejection = verdict.rejection {
                problems.append(
                    Refusal(
                        letter: letter.coordinates,
                        why:
                            "\(fixed ? "the fix" : "the letter") would be rejected again (\(rejection))\(fixed ? "" : "; give a fix")"
                    ))
                continue
            }
            let count = letter.replayCount + 1
            let message = KafkaOutgoingMessage(
                topic: origin.rawValue, key: letter.key, value: value,
                headers: ReplayProvenance.headers(replayOf: name, count: count))
            items.append(Item(letter: letter, message: message, fixed: fixed, replayCount: count, verdict: verdict))
        }
        return ReplayPlan(items: items, refusals: problems, unusedFixes: unusedFixes)
    }

    /// Throws, naming every refused letter, unless there is none.
    func requireNoRefusals() throws(DeadLetterInputError) {
        guard !refusals.isEmpty else { return }
        throw DeadLetterInputError(
            "refusing the replay, nothing was published:\n  "
                + refusals.map { "\($0.letter): \($0.why)" }.joined(separator: "\n  "))
    }

}
