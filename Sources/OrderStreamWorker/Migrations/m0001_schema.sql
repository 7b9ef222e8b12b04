-- OrderStream schema, version 1.
--
-- PostgreSQL is the source of truth: an event's effects, its KPI contribution, the dedup record
-- of its event_id and the partition's new position commit in one transaction (one statement,
-- see ApplyStatement.swift). Kafka's committed offsets are only a hint for lag tools.

-- Who may write: the active color and its epoch, per logical consumer group. A cutover bumps
-- the epoch and moves ownership; every write of the old color is refused from then on.
CREATE TABLE consumer_control (
    consumer_group text        PRIMARY KEY,
    active_color   text        NOT NULL CHECK (active_color IN ('blue', 'green')),
    epoch          bigint      NOT NULL,
    changed_at     timestamptz NOT NULL DEFAULT now()
);

-- The consumer's position per partition: the compare-and-set guard of every apply.
-- Ownership (color, epoch) lives per partition so that a canary that moves only some
-- partitions fits without a redesign; a full cutover moves them all at once.
CREATE TABLE partition_positions (
    consumer_group   text        NOT NULL,
    topic            text        NOT NULL,
    partition        integer     NOT NULL,
    next_offset      bigint      NOT NULL,
    owner_color      text        NOT NULL CHECK (owner_color IN ('blue', 'green')),
    epoch            bigint      NOT NULL,
    events_duplicate bigint      NOT NULL DEFAULT 0,
    events_rejected  bigint      NOT NULL DEFAULT 0,
    last_commit_at   timestamptz,
    last_commit_by   text,
    PRIMARY KEY (consumer_group, topic, partition)
);

-- One row per distinct applied event: the idempotency record.
CREATE TABLE applied_events (
    event_id         text        PRIMARY KEY,
    event_type       text        NOT NULL,
    order_id         text        NOT NULL,
    occurred_at      timestamptz NOT NULL,
    source_topic     text        NOT NULL,
    source_partition integer     NOT NULL,
    source_offset    bigint      NOT NULL
);

-- The facts of an order that its status is derived from (OrderStatus.derive in the domain).
CREATE TABLE orders (
    order_id       text    PRIMARY KEY,
    customer_id    text    NOT NULL,
    created        boolean NOT NULL DEFAULT false,
    total_cents    bigint,
    currency       text,
    cancelled      boolean NOT NULL DEFAULT false,
    shipped        boolean NOT NULL DEFAULT false,
    captured_cents bigint  NOT NULL DEFAULT 0,
    refunded_cents bigint  NOT NULL DEFAULT 0,
    authorized     boolean NOT NULL DEFAULT false,
    failed         boolean NOT NULL DEFAULT false,
    updated_at     timestamptz NOT NULL DEFAULT now()
);

-- Members of the distinct-count KPIs: an order that was created, cancelled or shipped; a
-- payment_id that was authorized, failed, captured or refunded; a customer that was active.
-- A member counts once, in the minute of the first applied event that made it one.
CREATE TABLE kpi_members (
    kind         text        NOT NULL,
    member_id    text        NOT NULL,
    order_id     text        NOT NULL,
    minute       timestamptz NOT NULL,
    currency     text        NOT NULL DEFAULT '',
    amount_cents bigint      NOT NULL DEFAULT 0,
    PRIMARY KEY (kind, member_id)
);

-- Per-minute buckets by occurred_at: new members per kind (and currency), and applied events
-- (kind 'event'). Totals are sums over all minutes; windows are sums over whole minutes.
CREATE TABLE kpi_minutes (
    minute       timestamptz NOT NULL,
    kind         text        NOT NULL,
    currency     text        NOT NULL DEFAULT '',
    members      bigint      NOT NULL DEFAULT 0,
    amount_cents bigint      NOT NULL DEFAULT 0,
    PRIMARY KEY (minute, kind, currency)
);

-- Distinct customers per minute, for active_customers over a window (a distinct count cannot
-- be summed from buckets).
CREATE TABLE customer_minutes (
    minute      timestamptz NOT NULL,
    customer_id text        NOT NULL,
    PRIMARY KEY (minute, customer_id)
);

-- Live workers, for `orderstream status` and for fencing a frozen worker's session.
CREATE TABLE workers (
    instance_id      text        PRIMARY KEY,
    consumer_group   text        NOT NULL,
    color            text        NOT NULL,
    application_name text        NOT NULL,
    http_port        integer,
    started_at       timestamptz NOT NULL DEFAULT now(),
    heartbeat_at     timestamptz NOT NULL DEFAULT now(),
    state            text        NOT NULL DEFAULT 'starting'
);

-- Raised by the apply statement when a position's compare-and-set fails: another process owns
-- the partition now (a rebalance, a zombie or a cutover), and the whole statement rolls back.
CREATE FUNCTION orderstream_fenced(detail text) RETURNS bigint
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'position fenced: %', detail USING ERRCODE = 'OS001';
END
$$;
