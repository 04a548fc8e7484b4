-- Up Migration
-- Operator actions are audited by the engine, whichever way they arrived: an action's key makes the
-- row written once, however often the activity that writes it is retried.
ALTER TABLE audit_events ADD COLUMN action_key text;
CREATE UNIQUE INDEX audit_events_action_key ON audit_events (action_key) WHERE action_key IS NOT NULL;

-- Down Migration
DROP INDEX audit_events_action_key;
ALTER TABLE audit_events DROP COLUMN action_key;
