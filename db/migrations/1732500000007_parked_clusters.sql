-- Up Migration
-- Parked clusters: a run waiting for its maintenance window shows when the window opens; one waiting
-- for another operation's lease shows which operation holds it. Both are null in every other state.
ALTER TABLE cluster_runs
  ADD COLUMN window_opens_at timestamptz,
  ADD COLUMN held_by text;

-- Down Migration
ALTER TABLE cluster_runs DROP COLUMN held_by, DROP COLUMN window_opens_at;
