-- OrderStream schema, version 3: which color is active in a consumer group that has never run
-- is decided by `orderstream migrate --active-color` (default blue), never by which worker
-- happens to start first (blue and green deployments start together on a new database).

CREATE TABLE deployment_settings (
    name  text PRIMARY KEY,
    value text NOT NULL,
    CHECK (name <> 'initial_active_color' OR value IN ('blue', 'green'))
);

INSERT INTO deployment_settings (name, value) VALUES ('initial_active_color', 'blue');
