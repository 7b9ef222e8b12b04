-- OrderStream schema, version 7 (release 0.3.0; additive: older releases keep working).
-- Canary cutovers: a step may move only some partitions, and move them back.

-- `kind`: 'cutover' (every partition, the active color changes), 'canary' (the listed
-- partitions go to the standby color, the active color stays) or 'abort' (the partitions the
-- standby color held go back to the active color). `partitions`: what the step moved, as
-- `topic[n]`; NULL for a full cutover.
ALTER TABLE cutovers
    ADD COLUMN kind text NOT NULL DEFAULT 'cutover' CHECK (kind IN ('cutover', 'canary', 'abort')),
    ADD COLUMN partitions text[];
