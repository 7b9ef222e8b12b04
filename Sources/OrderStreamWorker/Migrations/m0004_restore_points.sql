-- OrderStream schema, version 4 (release 0.2.0; additive: older releases keep working).
-- What a cutover records for operators: a restore point and its verification.

-- A restore point per cutover: `cutover` creates a named PostgreSQL restore point before it
-- fences (or, with --no-restore-point, records only the WAL position), so that a deployment
-- gone wrong can be recovered to the moment before it (docs/OPERATIONS.md).
ALTER TABLE cutovers
    ADD COLUMN restore_point text,
    ADD COLUMN wal_lsn pg_lsn;

-- The verification after the handover (every partition owned at the new epoch, and the events
-- accounted for since the fence equal to the offsets the positions moved by): its verdict.
ALTER TABLE cutovers
    ADD COLUMN verified boolean,
    ADD COLUMN verdict text;
