-- OrderStream schema, version 5 (release 0.3.0; additive: older releases keep working).
-- What operators change by hand: paused partitions, moved positions, and the audit of both.

-- A paused partition is held by its owner (assigned, not fetched, nothing applied) until it is
-- resumed, across worker restarts and cutovers, because the flag lives with the position.
ALTER TABLE partition_positions
    ADD COLUMN paused    boolean NOT NULL DEFAULT false,
    ADD COLUMN paused_at timestamptz,
    ADD COLUMN paused_by text;

-- How far operators moved the position by hand (`offsets reset`: forward skips count positive,
-- re-reads negative), so that the ledger "offsets consumed = applied + duplicates + rejected"
-- that a cutover verifies still holds: offsets - offsets_moved_by_operators = accounted.
ALTER TABLE partition_positions
    ADD COLUMN offsets_moved_by_operators bigint NOT NULL DEFAULT 0;

-- Releases before 0.3.0 do not read `paused`. Every pause bumps the partition's epoch, which
-- fences what such a worker has in flight; this trigger refuses its later commits as well, with
-- the apply statement's own fence error (SQLSTATE OS001), so that no release applies a paused
-- partition. Operator changes bump the epoch and therefore pass; an apply never changes it.
CREATE FUNCTION orderstream_refuse_paused_commit() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'position fenced: %:% is paused', NEW.topic, NEW.partition USING ERRCODE = 'OS001';
END
$$;

CREATE TRIGGER partition_paused_guard
    BEFORE UPDATE ON partition_positions
    FOR EACH ROW
    WHEN (OLD.paused AND NEW.paused AND NEW.epoch = OLD.epoch AND NEW.next_offset <> OLD.next_offset)
    EXECUTE FUNCTION orderstream_refuse_paused_commit();

-- Every operator command that changes state (offset resets, pauses, resumes, dead-letter
-- replays): who, when, what was asked, under which epoch it was fenced in, and what it did.
-- `orderstream status` shows the latest; `detail` holds the per-partition before and after.
CREATE TABLE operations (
    id             bigserial   PRIMARY KEY,
    consumer_group text        NOT NULL,
    at             timestamptz NOT NULL DEFAULT now(),
    actor          text        NOT NULL,
    command        text        NOT NULL,
    arguments      text        NOT NULL,
    epoch          bigint,
    result         text        NOT NULL,
    detail         jsonb       NOT NULL DEFAULT '{}'::jsonb
);

CREATE INDEX operations_by_group_and_time ON operations (consumer_group, at DESC);
