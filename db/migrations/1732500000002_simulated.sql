-- Up Migration
-- What a succeeded simulated apply replaced ({ version, settings }), so a rollback of a config
-- change restores the old settings instead of guessing them.
ALTER TABLE sim_apply_requests ADD COLUMN previous jsonb;

-- Down Migration
ALTER TABLE sim_apply_requests DROP COLUMN previous;
