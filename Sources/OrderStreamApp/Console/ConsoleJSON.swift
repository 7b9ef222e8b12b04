import OrderStreamDomain
import OrderStreamWorker

/// The console's JSON documents that no command prints already (the others reuse the
/// commands' own renderings, so the console and the command line cannot disagree).
enum ConsoleJSON {
    static func series(_ series: [KPISeries.Minute], window: KPIWindow) -> String {
        var writer = JSONWriter()
        writer.beginObject()
        writer.field("from", RFC3339.formatMillis(window.fromMicros))
        writer.field("to", RFC3339.formatMillis(window.toMicros))
        writer.key("minutes")
        writer.beginArray()
        for minute in series {
            let k = minute.kpis
            writer.beginObject()
            writer.field("minute", RFC3339.formatMillis(minute.minuteMicros))
            writer.field("orders_created", k.ordersCreated)
            writer.field("orders_cancelled", k.ordersCancelled)
            writer.field("orders_shipped", k.ordersShipped)
            writer.field("payments_authorized", k.paymentsAuthorized)
            writer.field("payments_captured", k.paymentsCaptured)
            writer.field("payments_failed", k.paymentsFailed)
            writer.field("payments_refunded", k.paymentsRefunded)
            writer.key("payment_success_rate")
            if let rate = k.paymentSuccessRate { writer.double(rate) } else { writer.null() }
            writer.key("captured_cents")
            writer.beginObject()
            for currency in k.capturedCents.keys.sorted() { writer.field(currency, k.capturedCents[currency] ?? 0) }
            writer.endObject()
            writer.field("active_customers", k.activeCustomers)
            writer.field("events_applied", k.eventsApplied)
            writer.endObject()
        }
        writer.endArray()
        writer.endObject()
        return writer.text
    }

    static func letters(_ letters: [DeadLetter], matched: Int) -> String {
        var writer = JSONWriter()
        writer.beginObject()
        writer.field("matched", Int64(matched))
        writer.key("letters")
        writer.raw(DeadLetterRendering.json(letters))
        writer.endObject()
        return writer.text
    }

    /// One letter with everything `dlq show` prints: its key, its headers (values as UTF-8 text,
    /// invalid bytes replaced) and its value pretty-printed when it is JSON.
    static func letter(_ letter: DeadLetter) -> String {
        var summary = JSONWriter()
        DeadLetterRendering.write(letter, to: &summary)
        var writer = JSONWriter()
        writer.beginObject()
        writer.key("letter")
        writer.raw(summary.text)
        writer.key("key")
        if let key = letter.key { writer.string(String(decoding: key, as: UTF8.self)) } else { writer.null() }
        writer.key("headers")
        writer.beginArray()
        for header in letter.headers {
            writer.beginObject()
            writer.field("key", header.key)
            writer.key("value")
            if let value = header.value { writer.string(String(decoding: value, as: UTF8.self)) } else { writer.null() }
            writer.endObject()
        }
        writer.endArray()
        writer.key("value_pretty")
        if letter.value.count <= EventValidator.maximumValueBytes, let parsed = try? JSONParser.parse(letter.value) {
            writer.string(SafeText.prettyJSON(parsed))
        } else {
            writer.null()
        }
        writer.endObject()
        return writer.text
    }

    static func operations(_ entries: [OperationsLog.Entry]) -> String {
        var writer = JSONWriter()
        OperationsJSON.write(entries, to: &writer)
        return writer.text
    }

    static func order(_ order: OrderView?, timeline: String) -> String {
        var writer = JSONWriter()
        writer.beginObject()
        writer.key("order")
        if let order { writer.raw(order.json) } else { writer.null() }
        writer.key("timeline")
        writer.raw(timeline)
        writer.endObject()
        return writer.text
    }
}

/// The answers of the console's actions.
extension ConsoleJSON {
    /// A replay's dry run: what would be re-published, what would be refused.
    static func dryRun(_ plan: ReplayPlan) -> String {
        var writer = JSONWriter()
        writer.beginObject()
        writer.field("dry_run", true)
        writer.key("would_replay")
        writer.beginArray()
        for item in plan.items {
            writer.beginObject()
            writer.field("letter", item.letter.coordinates.description)
            writer.field("to_topic", item.message.topic)
            writer.field("replay_count", Int64(item.replayCount))
            writer.endObject()
        }
        writer.endArray()
        writer.key("refusals")
        writer.beginArray()
        for refusal in plan.refusals {
            writer.beginObject()
            writer.field("letter", refusal.letter.description)
            writer.field("why", refusal.why)
            writer.endObject()
        }
        writer.endArray()
        writer.field(
            "summary",
            plan.refusals.isEmpty
                ? "dry run: \(plan.items.count) letters would be replayed; nothing was published"
                : "dry run: the replay would be refused (\(plan.refusals.count) of \(plan.items.count + plan.refusals.count) letters); nothing was published"
        )
        writer.endObject()
        return writer.text
    }

    static func refusalMessage(_ plan: ReplayPlan) -> String {
        "the replay is refused and nothing was published: "
            + plan.refusals.prefix(5).map { "\($0.letter): \($0.why)" }.joined(separator: "; ")
            + (plan.refusals.count > 5 ? "; and \(plan.refusals.count - 5) more" : "")
    }

    static func replayed(_ result: DeadLetterReplay.Result) -> String {
        var writer = JSONWriter()
        writer.beginObject()
        writer.field("dry_run", false)
        writer.field("operation_id", result.operationId)
        writer.field("summary", result.summary)
        writer.key("outcomes")
        writer.beginArray()
        for outcome in result.outcomes {
            writer.beginObject()
            writer.field("letter", outcome.item.letter.coordinates.description)
            writer.key("target")
            if let target = outcome.target { writer.string(target) } else { writer.null() }
            writer.field("replay_count", Int64(outcome.item.replayCount))
            writer.field("result", outcome.result)
            writer.endObject()
        }
        writer.endArray()
        writer.endObject()
        return writer.text
    }

    static func positionsChanged(command: String, changed: [String], epoch: Int64?, operationId: Int64?) -> String {
        var writer = JSONWriter()
        writer.beginObject()
        writer.field("command", command)
        writer.key("changed")
        writer.beginArray()
        for partition in changed { writer.string(partition) }
        writer.endArray()
        writer.key("epoch")
        if let epoch { writer.integer(epoch) } else { writer.null() }
        writer.key("operation_id")
        if let operationId { writer.integer(operationId) } else { writer.null() }
        writer.endObject()
        return writer.text
    }

    static func deployed(_ report: Cutover.Report, text: String, operationId: Int64?) -> String {
        var writer = JSONWriter()
        writer.beginObject()
        writer.field("kind", report.kind.rawValue)
        writer.field("from_color", report.fromColor.rawValue)
        writer.field("to_color", report.toColor.rawValue)
        writer.field("epoch", report.epoch)
        writer.field("nothing_to_do", report.alreadyActive)
        writer.key("moved")
        writer.beginArray()
        for partition in report.moved { writer.string(partition) }
        writer.endArray()
        writer.key("pause_seconds")
        if let pause = report.pauseSeconds { writer.double(pause) } else { writer.null() }
        writer.key("verified")
        if let verification = report.verification { writer.bool(verification.verified) } else { writer.null() }
        writer.field("report", text)
        writer.key("operation_id")
        if let operationId { writer.integer(operationId) } else { writer.null() }
        writer.endObject()
        return writer.text
    }
}
