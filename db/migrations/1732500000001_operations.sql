-- Up Migration
-- One row per operation: the request as accepted and the plan computed once at start.
CREATE TABLE operations (
  id                  text PRIMARY KEY,
  name                text NOT NULL,
  request             jsonb NOT NULL,
  -- sha256 of the canonical request without requestId: same key + same hash = the same operation.
  request_hash        text NOT NULL,
  idempotency_key     text UNIQUE,
  -- The full plan: waves with clusterIds, skipped, emptyWaves, total.
  plan                jsonb NOT NULL,
  started_by          text NOT NULL,
  created_at          timestamptz NOT NULL DEFAULT now(),
  -- Set once Temporal accepted the workflow; NULL means a retry of the same request must start it.
  workflow_started_at timestamptz
);
CREATE INDEX operations_name_idx ON operations (name, created_at DESC);

-- Down Migration
DROP TABLE operations;
