-- Up Migration
-- The fleet-wide guard: limits that hold across every running operation, and change freezes. A scope is a
-- jsonb object of cluster fields (cloud, region, environment, tier, kind); it holds a cluster when every
-- field it names is equal, so `{}` holds every cluster.
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

-- A lease carries its cluster's scope fields, so counting the clusters of a scope in flight reads the
-- leases alone (no join with the whole inventory): a leased cluster cannot be changed, so they stay true.
-- Whatever inserts a lease without them (an older worker during a deploy, a test) gets them filled in.
ALTER TABLE leases
  ADD COLUMN cloud text,
  ADD COLUMN region text,
  ADD COLUMN environment text,
  ADD COLUMN tier text,
  ADD COLUMN kind text;
UPDATE leases l SET cloud = c.cloud, region = c.region, environment = c.environment, tier = c.tier, kind = c.kind
  FROM clusters c WHERE c.id = l.cluster_id;

CREATE FUNCTION leases_scope_fields() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  IF NEW.kind IS NULL THEN
    SELECT c.cloud, c.region, c.environment, c.tier, c.kind
      INTO NEW.cloud, NEW.region, NEW.environment, NEW.tier, NEW.kind
      FROM clusters c WHERE c.id = NEW.cluster_id;
  END IF;
  RETURN NEW;
END $$;
CREATE TRIGGER leases_scope_fields BEFORE INSERT ON leases FOR EACH ROW EXECUTE FUNCTION leases_scope_fields();

-- Whether a scope holds a cluster with these fields: every field the scope names is equal (a cluster
-- without a tier is never held by a scope that names one). Plain SQL, so the planner inlines it.
CREATE FUNCTION guard_scope_holds(p_scope jsonb, p_cloud text, p_region text, p_environment text, p_tier text, p_kind text)
RETURNS boolean
LANGUAGE sql IMMUTABLE AS $$
  SELECT (p_scope->>'cloud' IS NULL OR p_scope->>'cloud' = p_cloud)
     AND (p_scope->>'region' IS NULL OR p_scope->>'region' = p_region)
     AND (p_scope->>'environment' IS NULL OR p_scope->>'environment' = p_environment)
     AND (p_scope->>'tier' IS NULL OR p_scope->>'tier' = p_tier)
     AND (p_scope->>'kind' IS NULL OR p_scope->>'kind' = p_kind)
$$;

-- Failures (runs that ended failed or rolled_back, any operation) in the last hour of clusters in scope.
CREATE FUNCTION guard_failures_last_hour(p_scope jsonb) RETURNS integer
LANGUAGE sql STABLE AS $$
  SELECT count(*)::int FROM cluster_runs r JOIN clusters c ON c.id = r.cluster_id
   WHERE r.state IN ('failed', 'rolled_back') AND r.finished_at > now() - interval '1 hour'
     AND guard_scope_holds(p_scope, c.cloud, c.region, c.environment, c.tier, c.kind)
$$;

-- Clusters in scope under change right now: those holding a lease, but `p_except`.
CREATE FUNCTION guard_in_flight(p_scope jsonb, p_except text) RETURNS integer
LANGUAGE sql STABLE AS $$
  SELECT count(*)::int FROM leases l
   WHERE l.cluster_id IS DISTINCT FROM p_except
     AND guard_scope_holds(p_scope, l.cloud, l.region, l.environment, l.tier, l.kind)
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
  c clusters%ROWTYPE;
  v_holder text;
  v_limit record;
  v_in_flight integer;
BEGIN
  SELECT * INTO c FROM clusters WHERE id = p_cluster;
  RETURN QUERY
    SELECT 'frozen'::text, f.name, f.to_at FROM guard_freezes f
     WHERE f.from_at <= now() AND f.to_at > now()
       AND guard_scope_holds(f.scope, c.cloud, c.region, c.environment, c.tier, c.kind)
     ORDER BY f.to_at DESC, f.name LIMIT 1;
  IF FOUND THEN RETURN; END IF;
  SELECT l.operation_id INTO v_holder FROM leases l WHERE l.cluster_id = p_cluster;
  IF v_holder IS NOT NULL AND v_holder <> p_operation THEN
    RETURN QUERY SELECT 'held'::text, v_holder, NULL::timestamptz;
    RETURN;
  END IF;
  RETURN QUERY
    SELECT 'tripped'::text, l.name, NULL::timestamptz FROM guard_limits l
     WHERE l.max_failures_per_hour IS NOT NULL
       AND guard_scope_holds(l.scope, c.cloud, c.region, c.environment, c.tier, c.kind)
       AND guard_failures_last_hour(l.scope) > l.max_failures_per_hour
     ORDER BY l.name LIMIT 1;
  IF FOUND THEN RETURN; END IF;
  FOR v_limit IN
    SELECT l.name, l.scope, l.max_in_flight FROM guard_limits l
     WHERE l.max_in_flight IS NOT NULL
       AND guard_scope_holds(l.scope, c.cloud, c.region, c.environment, c.tier, c.kind)
     ORDER BY l.name FOR UPDATE
  LOOP
    SELECT guard_in_flight(v_limit.scope, p_cluster) INTO v_in_flight;
    IF v_in_flight >= v_limit.max_in_flight THEN
      RETURN QUERY SELECT 'full'::text, v_limit.name, NULL::timestamptz;
      RETURN;
    END IF;
  END LOOP;
  RETURN QUERY
    INSERT INTO leases AS l (cluster_id, operation_id, workflow_id, cloud, region, environment, tier, kind)
    VALUES (p_cluster, p_operation, p_workflow, c.cloud, c.region, c.environment, c.tier, c.kind)
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
DROP FUNCTION guard_scope_holds(jsonb, text, text, text, text, text);
DROP TRIGGER leases_scope_fields ON leases;
DROP FUNCTION leases_scope_fields();
ALTER TABLE leases DROP COLUMN kind, DROP COLUMN tier, DROP COLUMN environment, DROP COLUMN region, DROP COLUMN cloud;
DROP INDEX cluster_runs_recent_failures_idx;
ALTER TABLE cluster_runs DROP COLUMN guard;
DROP TABLE guard_freezes;
DROP TABLE guard_limits;
