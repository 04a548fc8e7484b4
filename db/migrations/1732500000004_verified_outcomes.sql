-- Up Migration
-- Verified outcomes and alarms: what a run's adapter calls last said, the provider's operation id
-- (so rollback and polling work after a worker restart), and each alarm's last evaluation.
ALTER TABLE cluster_runs
  ADD COLUMN last_error text,
  ADD COLUMN adapter_attempts integer NOT NULL DEFAULT 0,
  ADD COLUMN provider_operation_id text;

CREATE TABLE operation_alarms (
  operation_id       text NOT NULL,
  name               text NOT NULL,
  firing             boolean NOT NULL,
  message            text NOT NULL,
  -- Evaluations in a row whose source could not be read; failAfterErrors of them count as firing.
  consecutive_errors integer NOT NULL DEFAULT 0,
  checked_at         timestamptz NOT NULL,
  PRIMARY KEY (operation_id, name)
);

-- Down Migration
DROP TABLE operation_alarms;
ALTER TABLE cluster_runs DROP COLUMN provider_operation_id, DROP COLUMN adapter_attempts, DROP COLUMN last_error;
