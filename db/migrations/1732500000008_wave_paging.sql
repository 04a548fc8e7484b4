-- Up Migration
-- A wave reads the clusters it has not started a page at a time, in cluster id order, after the last id
-- it read. Only pending runs are indexed: the index stays as small as what is left to do, and a page is
-- a range scan that stops at its limit, not a sort of the whole wave nor a walk over finished runs.
CREATE INDEX cluster_runs_waiting_idx ON cluster_runs (operation_id, wave, cluster_id)
  WHERE state = 'pending';

-- Down Migration
DROP INDEX cluster_runs_waiting_idx;
