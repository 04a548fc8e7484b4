-- Up Migration
-- Forecasts read the durations of the most recent succeeded runs, newest first, and stop after a bounded
-- number: only succeeded runs are indexed, with what the read needs (an index-only walk that stops at its
-- limit, however long the history grows).
CREATE INDEX cluster_runs_succeeded_idx ON cluster_runs (finished_at DESC)
  INCLUDE (operation_id, cluster_id, started_at)
  WHERE state = 'succeeded';

-- Down Migration
DROP INDEX cluster_runs_succeeded_idx;
