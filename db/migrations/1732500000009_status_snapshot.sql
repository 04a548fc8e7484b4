-- Up Migration
-- Status served from PostgreSQL: the operation workflow writes a compact snapshot of its own state (state,
-- pause reason, current wave, approvals, alarms, per-wave state and times) whenever it changes; the API
-- reads it instead of querying the workflow. `version` grows with every write, so an API replica can tell
-- in one primary-key read whether the answer it holds is still current. No foreign key: an operation
-- started by hand (temporal CLI) has no operations row, and its snapshot must still be written.
CREATE TABLE operation_status_snapshots (
  operation_id text PRIMARY KEY,
  version      bigint NOT NULL,
  snapshot     jsonb NOT NULL,
  -- The workflow's own time when it took the snapshot: a late write of an older snapshot never wins.
  taken_at     timestamptz NOT NULL,
  written_at   timestamptz NOT NULL DEFAULT clock_timestamp()
);

-- Run counts per (wave, state) as an index-only scan in wave and state order (no hash, no heap for the
-- counts); runs filtered by state page in cluster id order without a sort.
DROP INDEX cluster_runs_state_idx;
CREATE INDEX cluster_runs_state_idx ON cluster_runs (operation_id, state, cluster_id);
CREATE INDEX cluster_runs_counts_idx ON cluster_runs (operation_id, wave, state) INCLUDE (updated_at);

-- Down Migration
DROP INDEX cluster_runs_counts_idx;
DROP INDEX cluster_runs_state_idx;
CREATE INDEX cluster_runs_state_idx ON cluster_runs (operation_id, state, wave);
DROP TABLE operation_status_snapshots;
