-- Up Migration
-- The fleet-wide guard: limits that hold across every running operation, and change freezes. A scope is a
-- jsonb object of cluster fields (cloud, region, environment, tier, kind); it matches a cluster when the
-- cluster's fields contain it, so `{}` matches every cluster.
CREATE TABLE guard_limits (
  name                  text PRIMARY KEY,
  scope                 jsonb NOT NULL DEFAULT '{}',
  max_in_flight         integer CHECK (max_in_flight > 0),
  max_failures_per_hour integer CHECK (max_failures_per_hour > 0),
  updated_by            text NOT NULL,
  updated_at            timestamptz NOT NULL DEFAULT now(),
  CHECK (max_in_flight IS NOT NULL OR max_failures_per_hour IS NOT NULL)
);

CREATE TABLE guard_freezes (
  name       text PRIMARY KEY,
  from_at    timestamptz NOT NULL,
  to_at      timestamptz NOT NULL,
  scope      jsonb NOT NULL DEFAULT '{}',
  reason     text NOT NULL,
  created_by text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  CHECK (to_at > from_at)
);

-- What holds a run parked in waiting_guard: a limit's name, or freeze:<name>. Null in every other state.
ALTER TABLE cluster_runs ADD COLUMN guard text;

-- Failures of the last hour, read on every select when a limit has maxFailuresPerHour: failures are few,
-- so this partial index stays small whatever the number of runs.
CREATE INDEX cluster_runs_recent_failures_idx ON cluster_runs (finished_at) WHERE state IN ('failed', 'rolled_back');

-- The fields of a cluster a scope can name, as jsonb, for `facts @> scope`.
CREATE FUNCTION guard_facts(c clusters) RETURNS jsonb
LANGUAGE sql IMMUTABLE AS $$
  SELECT jsonb_build_object('cloud', c.cloud, 'region', c.region, 'environment', c.environment,
                            'tier', c.tier, 'kind', c.kind)
$$;

-- Failures (runs that ended failed or rolled_back, any operation) in the last hour of clusters in scope.
CREATE FUNCTION guard_failures_last_hour(p_scope jsonb) RETURNS integer
LANGUAGE sql STABLE AS $$
  SELECT count(*)::int FROM cluster_runs r JOIN clusters c ON c.id = r.cluster_id
   WHERE r.state IN ('failed', 'rolled_back') AND r.finished_at > now() - interval '1 hour'
     AND guard_facts(c) @> p_scope
$$;

-- Clusters in scope under change right now: those holding a lease, but `p_except`.
CREATE FUNCTION guard_in_flight(p_scope jsonb, p_except text) RETURNS integer
LANGUAGE sql STABLE AS $$
  SELECT count(*)::int FROM leases l JOIN clusters c ON c.id = l.cluster_id
   WHERE l.cluster_id IS DISTINCT FROM p_except AND guard_facts(c) @> p_scope
$$;

-- Takes a cluster's lease for an operation, unless the guard holds it, in one transaction (one round trip):
--   frozen   a freeze covers the cluster now (detail: its name; until: its end, the latest of those covering)
--   held     another operation holds the lease (detail: that operation); nothing is taken
--   tripped  a limit's failures in the last hour are over maxFailuresPerHour (detail: the limit)
--   full     a limit has maxInFlight clusters in flight already (detail: the limit)
--   acquired the lease is this operation's (taken now, or already)
-- The matching maxInFlight limits are locked in name order (no deadlock between two takers) and counted
-- after the lock (statements in PL/pgSQL take fresh snapshots), so two takers in one scope go one after
-- the other and neither can pass a limit. Replacing the limits takes an EXCLUSIVE lock on guard_limits,
-- which waits for takers holding their row locks and holds new ones back until the new set is committed.
CREATE FUNCTION guard_take_lease(p_cluster text, p_operation text, p_workflow text)
RETURNS TABLE (outcome text, detail text, until timestamptz)
LANGUAGE plpgsql AS $$
DECLARE
  v_facts jsonb;
  v_holder text;
  v_limit record;
  v_in_flight integer;
BEGIN
  SELECT guard_facts(c) INTO v_facts FROM clusters c WHERE c.id = p_cluster;
  RETURN QUERY
    SELECT 'frozen'::text, f.name, f.to_at FROM guard_freezes f
     WHERE f.from_at <= now() AND f.to_at > now() AND v_facts @> f.scope
     ORDER BY f.to_at DESC, f.name LIMIT 1;
  IF FOUND THEN RETURN; END IF;
  SELECT l.operation_id INTO v_holder FROM leases l WHERE l.cluster_id = p_cluster;
  IF v_holder IS NOT NULL AND v_holder <> p_operation THEN
    RETURN QUERY SELECT 'held'::text, v_holder, NULL::timestamptz;
    RETURN;
  END IF;
  RETURN QUERY
    SELECT 'tripped'::text, l.name, NULL::timestamptz FROM guard_limits l
     WHERE l.max_failures_per_hour IS NOT NULL AND v_facts @> l.scope
       AND guard_failures_last_hour(l.scope) > l.max_failures_per_hour
     ORDER BY l.name LIMIT 1;
  IF FOUND THEN RETURN; END IF;
  FOR v_limit IN
    SELECT l.name, l.scope, l.max_in_flight FROM guard_limits l
     WHERE l.max_in_flight IS NOT NULL AND v_facts @> l.scope
     ORDER BY l.name FOR UPDATE
  LOOP
    SELECT guard_in_flight(v_limit.scope, p_cluster) INTO v_in_flight;
    IF v_in_flight >= v_limit.max_in_flight THEN
      RETURN QUERY SELECT 'full'::text, v_limit.name, NULL::timestamptz;
      RETURN;
    END IF;
  END LOOP;
  RETURN QUERY
    INSERT INTO leases AS l (cluster_id, operation_id, workflow_id) VALUES (p_cluster, p_operation, p_workflow)
    ON CONFLICT (cluster_id) DO UPDATE SET workflow_id = EXCLUDED.workflow_id
      WHERE l.operation_id = EXCLUDED.operation_id
    RETURNING 'acquired'::text, NULL::text, NULL::timestamptz;
  IF FOUND THEN RETURN; END IF;
  -- Another operation took it between the look and the insert.
  RETURN QUERY SELECT 'held'::text, l.operation_id, NULL::timestamptz FROM leases l WHERE l.cluster_id = p_cluster;
END $$;

-- Down Migration
DROP FUNCTION guard_take_lease(text, text, text);
DROP FUNCTION guard_in_flight(jsonb, text);
DROP FUNCTION guard_failures_last_hour(jsonb);
DROP FUNCTION guard_facts(clusters);
DROP INDEX cluster_runs_recent_failures_idx;
ALTER TABLE cluster_runs DROP COLUMN guard;
DROP TABLE guard_freezes;
DROP TABLE guard_limits;
