import OrderStreamDomain

/// The one SQL statement that applies a batch: dedup records, order facts, KPI membership and
/// per-minute buckets, and the compare-and-set of every touched partition's position, all in
/// one implicit transaction.
///
/// Why one statement: it is one round trip per batch, and it is atomic without BEGIN/COMMIT.
/// If any position's compare-and-set does not match (another process applied those offsets, or
/// the epoch or owner color changed), `orderstream_fenced()` raises SQLSTATE `OS001` and the whole
/// statement rolls back: the work is dropped, never applied twice.
///
/// Data-modifying CTEs see one snapshot and pass data only through RETURNING, which is exactly
/// how this statement is built: `fresh` (events not seen before) feeds everything else. Every
/// insert is ordered by its key so that concurrent batches lock rows in the same order.
///
/// Public for the hidden command `orderstream apply-sql`, which prints it (to EXPLAIN it, say), or
/// with `--effects` only `effects` (for scripts/bench.sh's SQL-only path).
public enum ApplyStatement {
    /// The name the statement is prepared under on each apply session (a new text, a new name).
    static let preparedName = "orderstream_apply_v3"

    public static let sql = """
        WITH input AS (
            SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::bigint[], $6::bigint[],
                                 $7::text[], $8::bigint[], $9::text[], $10::text[], $11::integer[], $12::bigint[])
                WITH ORDINALITY AS t(event_id, event_type, order_id, customer_id, occurred_us, minute_us,
                                     payment_id, amount_cents, currency, topic, part, off, seq)
        ),
        \(effects)
        fresh_per_partition AS (
            SELECT source_topic AS topic, source_partition AS part, count(*) AS n FROM fresh GROUP BY 1, 2
        ),
        positions AS (
            UPDATE partition_positions p SET
                next_offset = v.next_offset,
                events_duplicate = p.events_duplicate + v.sent - coalesce(f.n, 0) + v.dup_in_batch,
                events_rejected = p.events_rejected + v.rejected,
                last_commit_at = clock_timestamp(),
                last_commit_by = $20,
                epoch_first_commit_at = CASE WHEN p.last_commit_epoch IS DISTINCT FROM v.epoch
                                             THEN clock_timestamp() ELSE p.epoch_first_commit_at END,
                last_commit_epoch = v.epoch
            FROM unnest($13::text[], $14::integer[], $15::bigint[], $16::bigint[], $17::bigint[], $18::bigint[], $19::bigint[],
                        $23::bigint[])
                     AS v(topic, part, expected, next_offset, sent, dup_in_batch, rejected, epoch)
                 LEFT JOIN fresh_per_partition f ON f.topic = v.topic AND f.part = v.part
            WHERE p.consumer_group = $21 AND p.topic = v.topic AND p.partition = v.part
              AND p.next_offset = v.expected AND p.owner_color = $22 AND p.epoch = v.epoch
            RETURNING p.partition
        ),
        guard AS (
            SELECT CASE WHEN (SELECT count(*) FROM positions) = cardinality($13::text[]) THEN 0
                        ELSE orderstream_fenced('a position, owner or epoch changed') END AS fenced
        )
        SELECT (SELECT fenced FROM guard) AS fenced,
               (SELECT count(*) FROM fresh) AS applied,
               (SELECT coalesce(string_agg(topic || ':' || n, ','), '')
                  FROM (SELECT topic, sum(n) AS n FROM fresh_per_partition GROUP BY 1) s) AS applied_by_topic,
               (SELECT coalesce(string_agg(kind || ':' || currency || ':' || n || ':' || amount, ','), '')
                  FROM (SELECT kind, currency, count(*) AS n, sum(amount_cents) AS amount FROM members GROUP BY 1, 2) s)
                   AS new_members
        """

    /// The effects of a batch, from the `input` CTE's rows: the CTEs from `fresh` (the events not
    /// seen before) to `buckets`, each ending with a comma. `sql` puts them between `input` and the
    /// positions' compare-and-set; scripts/bench.sh puts them between its own `input` (a staging
    /// table) and its own position row, so that its SQL-only path can never drift from the worker's.
    ///
    /// KPI membership (schema version 8, see its migration): an order's created, cancelled and
    /// shipped are its own columns, a payment's kinds are bits of its `payments` row, a customer
    /// is a `customers` row. Each upsert reports in `fresh_kinds` which bits it set, and those are
    /// the batch's new members; their minute, currency and amount come from the batch's first
    /// event (by its place in the batch) of that kind and member. One row per order,
    /// payment or customer instead of one per kind and member: that is the point (the profile is
    /// in docs/BENCHMARKS.md).
    public static let effects = """
        fresh AS (
            INSERT INTO applied_events (event_id, event_type, order_id, occurred_at, source_topic, source_partition, source_offset)
            SELECT event_id, event_type, order_id, timestamptz 'epoch' + occurred_us * interval '1 microsecond', topic, part, off
            FROM input ORDER BY event_id
            ON CONFLICT (event_id) DO NOTHING
            RETURNING event_id, source_topic, source_partition
        ),
        applied AS (
            SELECT i.*, timestamptz 'epoch' + i.minute_us * interval '1 microsecond' AS minute
            FROM input i JOIN fresh f USING (event_id)
        ),
        payment_firsts AS (
            SELECT DISTINCT ON (event_type, payment_id)
                   \(paymentKindCase(.kind)), \(paymentKindCase(.bit)), payment_id, order_id, minute,
                   coalesce(currency, '') AS currency, coalesce(amount_cents, 0) AS amount_cents
            FROM applied WHERE payment_id IS NOT NULL
            ORDER BY event_type, payment_id, seq
        ),
        payment_upsert AS (
            INSERT INTO payments AS p (payment_id, kinds, fresh_kinds)
            SELECT payment_id, bit_or(bit), bit_or(bit) FROM payment_firsts GROUP BY payment_id ORDER BY payment_id
            ON CONFLICT (payment_id) DO UPDATE SET kinds = p.kinds | excluded.kinds, fresh_kinds = excluded.kinds & ~p.kinds
                WHERE excluded.kinds & ~p.kinds <> 0
            RETURNING payment_id, fresh_kinds
        ),
        payment_members AS (
            SELECT f.kind, f.order_id, f.minute, f.currency, f.amount_cents
            FROM payment_firsts f JOIN payment_upsert u ON u.payment_id = f.payment_id AND u.fresh_kinds & f.bit <> 0
        ),
        order_deltas AS (
            SELECT order_id,
                   coalesce((array_agg(customer_id ORDER BY seq) FILTER (WHERE event_type = 'order.created'))[1],
                            (array_agg(customer_id ORDER BY seq))[1]) AS customer_id,
                   bool_or(event_type = 'order.created') AS created,
                   (array_agg(amount_cents ORDER BY seq) FILTER (WHERE event_type = 'order.created'))[1] AS total_cents,
                   (array_agg(currency ORDER BY seq) FILTER (WHERE event_type = 'order.created'))[1] AS currency,
                   bool_or(event_type = 'order.cancelled') AS cancelled,
                   bool_or(event_type = 'order.shipped') AS shipped,
                   bool_or(event_type IN ('payment.authorized', 'payment.captured')) AS authorized,
                   bool_or(event_type = 'payment.failed') AS failed,
                   (array_agg(minute ORDER BY seq) FILTER (WHERE event_type = 'order.created'))[1] AS created_minute,
                   (array_agg(minute ORDER BY seq) FILTER (WHERE event_type = 'order.cancelled'))[1] AS cancelled_minute,
                   (array_agg(minute ORDER BY seq) FILTER (WHERE event_type = 'order.shipped'))[1] AS shipped_minute
            FROM applied GROUP BY order_id
        ),
        payment_deltas AS (
            SELECT order_id,
                   coalesce(sum(amount_cents) FILTER (WHERE kind = \(kind(.paymentCaptured))), 0) AS captured,
                   coalesce(sum(amount_cents) FILTER (WHERE kind = \(kind(.paymentRefunded))), 0) AS refunded
            FROM payment_members GROUP BY order_id
        ),
        order_upsert AS (
            INSERT INTO orders AS o (order_id, customer_id, created, total_cents, currency, cancelled, shipped,
                                     captured_cents, refunded_cents, authorized, failed, fresh_kinds)
            SELECT d.order_id, d.customer_id, d.created, d.total_cents, d.currency, d.cancelled, d.shipped,
                   coalesce(m.captured, 0), coalesce(m.refunded, 0), d.authorized, d.failed,
                   \(orderBits("d"))
            FROM order_deltas d LEFT JOIN payment_deltas m USING (order_id)
            ORDER BY d.order_id
            ON CONFLICT (order_id) DO UPDATE SET
                customer_id = CASE WHEN NOT o.created AND excluded.created THEN excluded.customer_id ELSE o.customer_id END,
                created = o.created OR excluded.created,
                total_cents = CASE WHEN o.created THEN o.total_cents ELSE coalesce(excluded.total_cents, o.total_cents) END,
                currency = CASE WHEN o.created THEN o.currency ELSE coalesce(excluded.currency, o.currency) END,
                cancelled = o.cancelled OR excluded.cancelled,
                shipped = o.shipped OR excluded.shipped,
                captured_cents = o.captured_cents + excluded.captured_cents,
                refunded_cents = o.refunded_cents + excluded.refunded_cents,
                authorized = o.authorized OR excluded.authorized,
                failed = o.failed OR excluded.failed,
                fresh_kinds = excluded.fresh_kinds & (~\(orderBits("o"))),
                updated_at = now()
            RETURNING order_id, fresh_kinds
        ),
        order_members AS (
            SELECT m.kind, m.minute, m.currency, m.amount_cents
            FROM order_upsert u JOIN order_deltas d USING (order_id)
                 CROSS JOIN LATERAL (VALUES
                     (\(kind(.orderCreated)), \(bit(.orderCreated)), d.created_minute, coalesce(d.currency, ''), coalesce(d.total_cents, 0)),
                     (\(kind(.orderCancelled)), \(bit(.orderCancelled)), d.cancelled_minute, '', 0),
                     (\(kind(.orderShipped)), \(bit(.orderShipped)), d.shipped_minute, '', 0)
                 ) AS m(kind, bit, minute, currency, amount_cents)
            WHERE u.fresh_kinds & m.bit <> 0
        ),
        customer_firsts AS (
            SELECT DISTINCT ON (customer_id) customer_id, minute FROM applied ORDER BY customer_id, seq
        ),
        new_customers AS (
            INSERT INTO customers (customer_id)
            SELECT customer_id FROM customer_firsts ORDER BY customer_id
            ON CONFLICT DO NOTHING
            RETURNING customer_id
        ),
        members AS (
            SELECT kind, minute, currency, amount_cents FROM payment_members
            UNION ALL
            SELECT kind, minute, currency, amount_cents FROM order_members
            UNION ALL
            SELECT \(kind(.customer)), f.minute, '', 0 FROM new_customers c JOIN customer_firsts f USING (customer_id)
        ),
        active_minutes AS (
            INSERT INTO customer_minutes (minute, customer_id)
            SELECT DISTINCT minute, customer_id FROM applied ORDER BY 1, 2
            ON CONFLICT DO NOTHING
            RETURNING 1
        ),
        bucket_deltas AS (
            SELECT minute, kind, currency, count(*) AS members, sum(amount_cents) AS amount FROM members GROUP BY 1, 2, 3
            UNION ALL
            SELECT minute, \(kind(.event)), '', count(*), 0 FROM applied GROUP BY minute
        ),
        buckets AS (
            INSERT INTO kpi_minutes AS k (minute, kind, currency, shard, members, amount_cents)
            SELECT minute, kind, currency, (pg_backend_pid() % \(MemberStorage.bucketShards))::smallint, sum(members), sum(amount)
            FROM bucket_deltas GROUP BY 1, 2, 3 ORDER BY 1, 2, 3
            ON CONFLICT (minute, kind, currency, shard) DO UPDATE SET
                members = k.members + excluded.members,
                amount_cents = k.amount_cents + excluded.amount_cents
            RETURNING 1
        ),
        """

    /// The two columns `paymentKindCase` can produce, named as in the statement.
    enum PaymentKindColumn: String {
        /// The member kind (`'payment_captured'`, ...).
        case kind
        /// The kind's bit in `payments.kinds`, as a smallint.
        case bit
    }

    /// A CASE over a payment event's type that gives its member kind or the kind's bit in
    /// `payments.kinds`, named after `column`.
    static func paymentKindCase(_ column: PaymentKindColumn) -> String {
        let payments: [EventType] = [.paymentAuthorized, .paymentFailed, .paymentCaptured, .paymentRefunded]
        let arms = payments.map { type in
            let kind = KPIKind(memberOf: type)
            switch column {
            case .kind: return "WHEN '\(type.rawValue)' THEN " + Self.kind(kind)
            case .bit: return "WHEN '\(type.rawValue)' THEN \(bit(kind))"
            }
        }
        let cast = column == .bit ? "::smallint" : ""
        return "CASE event_type " + arms.joined(separator: " ") + " END" + cast + " AS \(column.rawValue)"
    }

    /// A member kind's bit on its owner's row, as an SQL literal.
    static func bit(_ kind: KPIKind) -> String { "\(MemberStorage.place(of: kind)!.bit)" }

    /// The bits of an order's member flags, from the columns of the row named `row`.
    static func orderBits(_ row: String) -> String {
        let flags: [(column: String, kind: KPIKind)] = [
            ("created", .orderCreated), ("cancelled", .orderCancelled), ("shipped", .orderShipped),
        ]
        let terms = flags.map { "CASE WHEN \(row).\($0.column) THEN \(bit($0.kind)) ELSE 0 END" }
        return "(" + terms.joined(separator: " + ") + ")::smallint"
    }

    /// A KPI kind as an SQL literal (`'order_created'`): the statement writes the values of the
    /// enum the queries and the counters read back.
    static func kind(_ kind: KPIKind) -> String { "'\(kind.rawValue)'" }
}
