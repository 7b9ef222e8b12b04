-- OrderStream schema, version 2: what a blue-green cutover needs to know and report.

-- The epoch of a partition's last commit, and when the first commit under that epoch happened:
-- `orderstream cutover` waits until the new color committed on every partition with pending
-- events, and reports the pause from the old color's last commit to the new color's first.
ALTER TABLE partition_positions
    ADD COLUMN last_commit_epoch bigint,
    ADD COLUMN epoch_first_commit_at timestamptz;

-- One row per cutover (and rollback), for operators and the workers' pause metric.
CREATE TABLE cutovers (
    consumer_group    text        NOT NULL,
    epoch             bigint      NOT NULL,
    from_color        text        NOT NULL,
    to_color          text        NOT NULL,
    started_at        timestamptz NOT NULL,
    fenced_at         timestamptz NOT NULL,
    completed_at      timestamptz,
    old_last_commit   timestamptz,
    new_first_commit  timestamptz,
    pause_seconds     double precision,
    terminated_sessions integer   NOT NULL DEFAULT 0,
    PRIMARY KEY (consumer_group, epoch)
);
