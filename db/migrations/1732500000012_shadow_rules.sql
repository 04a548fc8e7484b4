-- Up Migration
-- Shadow health rules: the rules (monitor.shadowRequire) a cluster would have failed had they been enforced,
-- recorded when its monitoring ends. NULL: not evaluated (no shadow rules, or not monitored); an empty array:
-- evaluated, and every rule held.
ALTER TABLE cluster_runs ADD COLUMN shadow_failed text[];

-- Down Migration
ALTER TABLE cluster_runs DROP COLUMN shadow_failed;
