-- Up Migration
-- A wave appended to a running operation: the API chooses its clusters from the inventory and stages the
-- ids here under the edit's id; the workflow's update carries only that id and the count, and the engine
-- turns the staged ids into the wave's runs (and deletes the row) in the transaction that appends the wave.
-- A staged row whose update was refused is deleted by the API; one left behind by a crash is never read.
CREATE TABLE plan_edits (
  id           text PRIMARY KEY,
  operation_id text NOT NULL REFERENCES operations (id) ON DELETE CASCADE,
  cluster_ids  text[] NOT NULL,
  created_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX plan_edits_operation_idx ON plan_edits (operation_id);

-- Down Migration
DROP TABLE plan_edits;
