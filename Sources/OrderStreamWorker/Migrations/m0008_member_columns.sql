-- OrderStream schema, version 8 (release 0.4.0; NOT compatible with older releases: they would
-- keep counting members in kpi_members, which this migration moves and drops).
--
-- KPI membership ("this order was created", "this payment was captured", "this customer was
-- active") moves off `kpi_members`, one row per kind and member, onto rows that the apply writes
-- anyway or far fewer rows (measured in docs/BENCHMARKS.md, "The profile that chose the
-- design"):
--   * an order's created/cancelled/shipped membership is its existing boolean column; the apply
--     learns which of them it just set from `orders.fresh_kinds`;
--   * a payment's four kinds are bits of one `payments` row (`kinds`), and `fresh_kinds` says
--     which bits the last write set;
--   * a customer is one `customers` row.
-- The bits (ApplyStatement's MemberStorage): payments authorized 1, failed 2, captured 4,
-- refunded 8; orders created 1, cancelled 2, shipped 4.
--
-- `kpi_minutes` gains `shard` (the writing session's pid modulo 16) in its key, so that lanes and
-- workers that apply in the same minute update different rows instead of queueing on one hot
-- row until each other's commit. Readers sum over shards, as they already sum over minutes.
--
-- Run while no worker runs (docs/OPERATIONS.md, "Upgrading to 0.4.0"): the migration holds
-- its locks until it commits, and it refuses (rolls back, changing nothing) a database whose
-- members cannot be moved exactly.

CREATE TABLE payments (
    payment_id  text     PRIMARY KEY,
    kinds       smallint NOT NULL,
    fresh_kinds smallint NOT NULL DEFAULT 0
);

CREATE TABLE customers (
    customer_id text PRIMARY KEY
);

ALTER TABLE orders ADD COLUMN fresh_kinds smallint NOT NULL DEFAULT 0;

DO $$
DECLARE
    unknown text;
    missing bigint;
BEGIN
    -- A kind this release does not know was written by a newer one: moving it would lose it.
    SELECT string_agg(DISTINCT kind, ', ') INTO unknown FROM kpi_members
    WHERE kind NOT IN ('order_created', 'order_cancelled', 'order_shipped', 'payment_authorized',
                       'payment_failed', 'payment_captured', 'payment_refunded', 'customer');
    IF unknown IS NOT NULL THEN
        RAISE EXCEPTION 'kpi_members holds kinds this release does not know: %', unknown;
    END IF;
    -- The apply sets an order's boolean in the same statement that inserts its member, so every
    -- order member already shows on its order; if one does not, the data was changed by hand.
    SELECT count(*) INTO missing FROM kpi_members m LEFT JOIN orders o ON o.order_id = m.member_id
    WHERE (m.kind = 'order_created' AND o.created IS NOT TRUE)
       OR (m.kind = 'order_cancelled' AND o.cancelled IS NOT TRUE)
       OR (m.kind = 'order_shipped' AND o.shipped IS NOT TRUE);
    IF missing > 0 THEN
        RAISE EXCEPTION '% order members of kpi_members do not show on their orders', missing;
    END IF;
    -- And the reverse: an order flag without its member would be counted by nobody.
    SELECT count(*) INTO missing FROM orders o
    WHERE (o.created AND NOT EXISTS (SELECT 1 FROM kpi_members m WHERE m.kind = 'order_created' AND m.member_id = o.order_id))
       OR (o.cancelled AND NOT EXISTS (SELECT 1 FROM kpi_members m WHERE m.kind = 'order_cancelled' AND m.member_id = o.order_id))
       OR (o.shipped AND NOT EXISTS (SELECT 1 FROM kpi_members m WHERE m.kind = 'order_shipped' AND m.member_id = o.order_id));
    IF missing > 0 THEN
        RAISE EXCEPTION '% orders have a flag without its kpi_members row', missing;
    END IF;
END
$$;

INSERT INTO payments (payment_id, kinds)
SELECT member_id,
       bit_or(CASE kind WHEN 'payment_authorized' THEN 1 WHEN 'payment_failed' THEN 2
                        WHEN 'payment_captured' THEN 4 WHEN 'payment_refunded' THEN 8 END)::smallint
FROM kpi_members
WHERE kind IN ('payment_authorized', 'payment_failed', 'payment_captured', 'payment_refunded')
GROUP BY member_id
ORDER BY member_id;

INSERT INTO customers (customer_id)
SELECT member_id FROM kpi_members WHERE kind = 'customer' ORDER BY member_id;

DROP TABLE kpi_members;

ALTER TABLE kpi_minutes
    ADD COLUMN shard smallint NOT NULL DEFAULT 0,
    DROP CONSTRAINT kpi_minutes_pkey,
    ADD PRIMARY KEY (minute, kind, currency, shard);
