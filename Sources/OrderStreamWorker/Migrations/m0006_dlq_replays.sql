-- OrderStream schema, version 6 (release 0.3.0; additive: older releases keep working).
-- Dead-letter replays (`orderstream dlq replay`) and the order timeline (`GET /orders/{id}/events`).

-- One row per dead letter a replay command re-published (or tried to): who, when, which letter,
-- where it went and what came of it. `operation_id` is the command's row in `operations`, where
-- the command as a whole is audited. `orderstream dlq history` reads this table.
CREATE TABLE dlq_replays (
    id             bigserial   PRIMARY KEY,
    operation_id   bigint      REFERENCES operations (id),
    consumer_group text        NOT NULL,
    at             timestamptz NOT NULL DEFAULT now(),
    actor          text        NOT NULL,
    letter         text        NOT NULL,  -- the dead letter's coordinates, e.g. orders.dlq:0:5
    event_id       text,
    order_id       text,
    reason         text        NOT NULL,  -- why it had been dead-lettered
    fixed          boolean     NOT NULL,  -- re-published with a corrected value (--fix)
    replay_count   integer     NOT NULL,  -- the count the re-published message carries
    target         text,                  -- where it was re-published (orders:3:42), if it was
    result         text        NOT NULL   -- published, or the delivery error
);

CREATE INDEX dlq_replays_by_group_and_time ON dlq_replays (consumer_group, at DESC);
CREATE INDEX dlq_replays_by_letter ON dlq_replays (letter);

-- The order timeline reads an order's applied events by order_id. The index costs every apply a
-- little throughput (one more index entry per applied event; applied_events already has its
-- primary key) in exchange for a timeline that does not scan the whole table. Built in the
-- migration's transaction: on a large table it holds off applies while it builds.
CREATE INDEX applied_events_by_order ON applied_events (order_id);
