import Foundation

/// The apply statement of releases 0.1.0 to 0.3.0 (schema versions 1 to 7), exactly as
/// `orderstream apply-sql` of release 0.3.0 printed it: `SchemaUpgradeTests` fills a database
/// the way those releases did, then migrates it. It takes the same parameters as today's.
enum ApplyStatementRelease03 {
    static let sql = #"""
        WITH input AS (
            SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::bigint[], $6::bigint[],
                                 $7::text[], $8::bigint[], $9::text[], $10::text[], $11::integer[], $12::bigint[])
                WITH ORDINALITY AS t(event_id, event_type, order_id, customer_id, occurred_us, minute_us,
                                     payment_id, amount_cents, currency, topic, part, off, seq)
        ),
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
        candidates AS (
            SELECT DISTINCT ON (kind, member_id) kind, member_id, order_id, minute, currency, amount_cents
            FROM (
                SELECT CASE event_type
                           WHEN 'order.created' THEN 'order_created'
                           WHEN 'order.cancelled' THEN 'order_cancelled'
                           WHEN 'order.shipped' THEN 'order_shipped'
                           WHEN 'payment.authorized' THEN 'payment_authorized'
                           WHEN 'payment.failed' THEN 'payment_failed'
                           WHEN 'payment.captured' THEN 'payment_captured'
                           WHEN 'payment.refunded' THEN 'payment_refunded'
                       END AS kind,
                       coalesce(payment_id, order_id) AS member_id, order_id, minute,
                       coalesce(currency, '') AS currency, coalesce(amount_cents, 0) AS amount_cents, seq
                FROM applied
                UNION ALL
                SELECT 'customer', customer_id, order_id, minute, '', 0, seq FROM applied
            ) c
            ORDER BY kind, member_id, seq
        ),
        members AS (
            INSERT INTO kpi_members (kind, member_id, order_id, minute, currency, amount_cents)
            SELECT kind, member_id, order_id, minute, currency, amount_cents FROM candidates ORDER BY kind, member_id
            ON CONFLICT (kind, member_id) DO NOTHING
            RETURNING kind, order_id, minute, currency, amount_cents
        ),
        order_deltas AS (
            SELECT order_id,
                   coalesce((array_agg(customer_id ORDER BY seq) FILTER (WHERE event_type = 'order.created'))[1],
                            (array_agg(customer_id ORDER BY seq))[1]) AS customer_id,
                   bool_or(event_type = 'order.cancelled') AS cancelled,
                   bool_or(event_type = 'order.shipped') AS shipped,
                   bool_or(event_type IN ('payment.authorized', 'payment.captured')) AS authorized,
                   bool_or(event_type = 'payment.failed') AS failed
            FROM applied GROUP BY order_id
        ),
        member_deltas AS (
            SELECT order_id,
                   bool_or(kind = 'order_created') AS created,
                   max(amount_cents) FILTER (WHERE kind = 'order_created') AS total_cents,
                   max(currency) FILTER (WHERE kind = 'order_created') AS currency,
                   coalesce(sum(amount_cents) FILTER (WHERE kind = 'payment_captured'), 0) AS captured,
                   coalesce(sum(amount_cents) FILTER (WHERE kind = 'payment_refunded'), 0) AS refunded
            FROM members WHERE kind <> 'customer' GROUP BY order_id
        ),
        order_upsert AS (
            INSERT INTO orders AS o (order_id, customer_id, created, total_cents, currency, cancelled, shipped,
                                     captured_cents, refunded_cents, authorized, failed)
            SELECT d.order_id, d.customer_id, coalesce(m.created, false), m.total_cents, m.currency, d.cancelled,
                   d.shipped, coalesce(m.captured, 0), coalesce(m.refunded, 0), d.authorized, d.failed
            FROM order_deltas d LEFT JOIN member_deltas m USING (order_id)
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
                updated_at = now()
            RETURNING 1
        ),
        customers AS (
            INSERT INTO customer_minutes (minute, customer_id)
            SELECT DISTINCT minute, customer_id FROM applied ORDER BY 1, 2
            ON CONFLICT DO NOTHING
            RETURNING 1
        ),
        bucket_deltas AS (
            SELECT minute, kind, currency, count(*) AS members, sum(amount_cents) AS amount FROM members GROUP BY 1, 2, 3
            UNION ALL
            SELECT minute, 'event', '', count(*), 0 FROM applied GROUP BY minute
        ),
        buckets AS (
            INSERT INTO kpi_minutes AS k (minute, kind, currency, members, amount_cents)
            SELECT minute, kind, currency, sum(members), sum(amount) FROM bucket_deltas GROUP BY 1, 2, 3 ORDER BY 1, 2, 3
            ON CONFLICT (minute, kind, currency) DO UPDATE SET
                members = k.members + excluded.members,
                amount_cents = k.amount_cents + excluded.amount_cents
            RETURNING 1
        ),
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
        """#
}
