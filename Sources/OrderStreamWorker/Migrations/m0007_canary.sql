-- OrderStream schema, version 7 (release 0.3.0; additive: older releases keep working).
-- Canary cutovers: a step may move only some partitions, and move them back.

-- `kind`: 'cutover' (every partition, the active color changes), 'canary' (the listed
-- partitions go to the standby color, the active color stays) or 'abort' (the partitions the
-- standby color held go back to the active color). `partitions`: what the step moved, as
-- `topic[n]`; NULL for a full cutover.
ALTER TABLE cutovers
    ADD COLUMN kind text NOT NULL DEFAULT 'cutover' CHECK (kind IN ('cutover', 'canary', 'abort')),
    ADD COLUMN partitions text[];

-- The automatic analysis after a canary or a cutover (`cutover --analyze`): its limits, the
-- baseline of the watched partitions at the fence, and the decision. The decision state lives
-- here, so a restarted `cutover --analyze` resumes a running analysis instead of starting over.
CREATE TABLE analyses (
    id                bigserial   PRIMARY KEY,
    consumer_group    text        NOT NULL,
    epoch             bigint      NOT NULL,
    kind              text        NOT NULL CHECK (kind IN ('cutover', 'canary')),
    from_color        text        NOT NULL,
    to_color          text        NOT NULL,
    partitions        text[]      NOT NULL,
    started_at        timestamptz NOT NULL DEFAULT now(),
    ends_at           timestamptz NOT NULL,
    max_dlq_rate      double precision,
    max_p99_seconds   double precision,
    max_lag_seconds   double precision,
    baseline_consumed bigint      NOT NULL,
    baseline_rejected bigint      NOT NULL,
    status            text        NOT NULL DEFAULT 'running'
                      CHECK (status IN ('running', 'promoted', 'passed', 'rolled_back', 'failed')),
    decided_at        timestamptz,
    reason            text
);

CREATE UNIQUE INDEX analyses_one_running_per_group ON analyses (consumer_group) WHERE status = 'running';

-- Each worker's apply latency (p99 of its batches over the last minute), written with its
-- heartbeat: the analysis compares the new color's workers against a limit without reaching
-- into their pods.
ALTER TABLE workers
    ADD COLUMN apply_p99_seconds double precision;

-- What each worker did since it started, written with its heartbeat: `orderstream status` sums
-- them per color (a canary's colors side by side without Prometheus).
ALTER TABLE workers
    ADD COLUMN events_applied       bigint NOT NULL DEFAULT 0,
    ADD COLUMN events_dead_lettered bigint NOT NULL DEFAULT 0,
    ADD COLUMN batch_retries        bigint NOT NULL DEFAULT 0,
    ADD COLUMN apply_failed         bigint NOT NULL DEFAULT 0;
