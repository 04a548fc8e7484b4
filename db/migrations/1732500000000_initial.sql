-- Up Migration
-- The fleet inventory: one row per cluster the engine may operate on.
CREATE TABLE clusters (
  id                  text PRIMARY KEY,
  name                text NOT NULL,
  kind                text NOT NULL,
  cloud               text NOT NULL,
  region              text NOT NULL,
  environment         text NOT NULL,
  tier                text,
  version             text NOT NULL,
  labels              jsonb NOT NULL DEFAULT '{}'::jsonb,
  adapter             jsonb NOT NULL,
  maintenance_windows jsonb NOT NULL DEFAULT '[]'::jsonb,
  created_at          timestamptz NOT NULL DEFAULT now(),
  updated_at          timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX clusters_kind_cloud_env_idx ON clusters (kind, cloud, environment);
CREATE INDEX clusters_labels_idx ON clusters USING gin (labels jsonb_path_ops);

-- At most one operation touches a cluster at a time.
CREATE TABLE leases (
  cluster_id   text PRIMARY KEY REFERENCES clusters (id) ON DELETE CASCADE,
  operation_id text NOT NULL,
  workflow_id  text NOT NULL,
  acquired_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX leases_operation_idx ON leases (operation_id);

-- One record per cluster per operation: what users see in /operations/:id/clusters.
CREATE TABLE cluster_runs (
  operation_id text NOT NULL,
  cluster_id   text NOT NULL,
  wave         integer NOT NULL,
  state        text NOT NULL,
  from_version text,
  to_version   text,
  attempts     integer NOT NULL DEFAULT 0,
  error        text,
  reason       text,
  started_at   timestamptz,
  finished_at  timestamptz,
  updated_at   timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (operation_id, cluster_id)
);
CREATE INDEX cluster_runs_cluster_idx ON cluster_runs (cluster_id, updated_at DESC);
CREATE INDEX cluster_runs_state_idx ON cluster_runs (operation_id, state, wave);

-- Who did what, when: every state-changing call.
CREATE TABLE audit_events (
  id           bigserial PRIMARY KEY,
  at           timestamptz NOT NULL DEFAULT now(),
  identity     text NOT NULL,
  role         text NOT NULL,
  action       text NOT NULL,
  target_type  text NOT NULL,
  target_id    text NOT NULL,
  operation_id text,
  request_id   text,
  payload      jsonb NOT NULL DEFAULT '{}'::jsonb
);
CREATE INDEX audit_events_operation_idx ON audit_events (operation_id, id);
CREATE INDEX audit_events_target_idx ON audit_events (target_type, target_id, id);

-- The simulated control plane: what a real provider would hold, so demos survive restarts.
CREATE TABLE sim_clusters (
  cluster_id  text PRIMARY KEY,
  version     text NOT NULL,
  settings    jsonb NOT NULL DEFAULT '{}'::jsonb,
  healthy     boolean NOT NULL DEFAULT true,
  healthy_at  timestamptz,
  updated_at  timestamptz NOT NULL DEFAULT now()
);

-- Every apply request the simulated control plane received, keyed for idempotency.
CREATE TABLE sim_apply_requests (
  id              bigserial PRIMARY KEY,
  cluster_id      text NOT NULL,
  idempotency_key text NOT NULL,
  action          jsonb NOT NULL,
  attempt         integer NOT NULL DEFAULT 1,
  status          text NOT NULL,
  message         text,
  started_at      timestamptz NOT NULL DEFAULT now(),
  finished_at     timestamptz
);
CREATE INDEX sim_apply_requests_key_idx ON sim_apply_requests (idempotency_key);
CREATE INDEX sim_apply_requests_cluster_idx ON sim_apply_requests (cluster_id, id);

-- Down Migration
DROP TABLE sim_apply_requests;
DROP TABLE sim_clusters;
DROP TABLE audit_events;
DROP TABLE cluster_runs;
DROP TABLE leases;
DROP TABLE clusters;
