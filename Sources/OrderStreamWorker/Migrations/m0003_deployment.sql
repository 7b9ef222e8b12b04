-- OrderStream schema, version 3 (release 0.2.0; additive: older releases keep working).

-- Which color is active in a consumer group that has never run is decided by
-- `orderstream migrate --active-color` (default blue), never by which worker happens to start
-- first (blue and green deployments start together on a new database).
CREATE TABLE deployment_settings (
    name  text PRIMARY KEY,
    value text NOT NULL,
    CHECK (name <> 'initial_active_color' OR value IN ('blue', 'green'))
);

INSERT INTO deployment_settings (name, value) VALUES ('initial_active_color', 'blue');

-- Which release each worker runs and the newest migration its binary knows, so that `migrate
-- --plan` can say whether the running colors stay compatible and `cutover` refuses to hand over
-- to a color whose binary cannot run against the schema. NULL: a release before 0.2.0, which
-- knows migrations up to 2.
ALTER TABLE workers
    ADD COLUMN release text,
    ADD COLUMN known_migration integer;
