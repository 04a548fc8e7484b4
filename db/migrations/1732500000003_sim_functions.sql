-- Up Migration
-- The simulated control plane's two hot writes as functions: one round trip each instead of a
-- client-side transaction of four or five statements. Statements inside a PL/pgSQL function take
-- fresh snapshots, so counting after the advisory lock sees every committed request of the key.

CREATE FUNCTION sim_begin_apply(p_cluster_id text, p_key text, p_action jsonb)
RETURNS TABLE (id bigint, attempt integer, duplicate boolean)
LANGUAGE plpgsql AS $$
DECLARE
  v_count integer;
  v_succeeded boolean;
BEGIN
  PERFORM pg_advisory_xact_lock(hashtext(p_key));
  SELECT count(*)::int, coalesce(bool_or(r.status = 'succeeded'), false)
    INTO v_count, v_succeeded
    FROM sim_apply_requests r WHERE r.idempotency_key = p_key;
  RETURN QUERY
    INSERT INTO sim_apply_requests AS r (cluster_id, idempotency_key, action, attempt, status, message, started_at, finished_at)
    VALUES (p_cluster_id, p_key, p_action, v_count + 1,
            CASE WHEN v_succeeded THEN 'duplicate' ELSE 'running' END,
            CASE WHEN v_succeeded THEN 'already applied under this idempotency key' END,
            clock_timestamp(), CASE WHEN v_succeeded THEN clock_timestamp() END)
    RETURNING r.id, r.attempt, v_succeeded;
END $$;

CREATE FUNCTION sim_commit_apply(
  p_request_id bigint, p_cluster_id text, p_initial_version text, p_key text,
  p_version text, p_settings jsonb, p_healthy boolean, p_healthy_at timestamptz, p_message text)
RETURNS TABLE (duplicate boolean, version text)
LANGUAGE plpgsql AS $$
DECLARE
  v_before sim_clusters%ROWTYPE;
  v_dup boolean;
BEGIN
  INSERT INTO sim_clusters (cluster_id, version) VALUES (p_cluster_id, p_initial_version) ON CONFLICT (cluster_id) DO NOTHING;
  -- The cluster row lock serializes two commits of one key; the loser becomes a 'duplicate'.
  SELECT * INTO v_before FROM sim_clusters c WHERE c.cluster_id = p_cluster_id FOR UPDATE;
  SELECT EXISTS (SELECT 1 FROM sim_apply_requests r WHERE r.idempotency_key = p_key AND r.status = 'succeeded' AND r.id <> p_request_id)
    INTO v_dup;
  IF v_dup THEN
    UPDATE sim_apply_requests SET status = 'duplicate', message = 'already applied under this idempotency key',
           finished_at = clock_timestamp() WHERE id = p_request_id;
    RETURN QUERY SELECT true, v_before.version;
    RETURN;
  END IF;
  UPDATE sim_clusters c
     SET version = coalesce(p_version, c.version), settings = c.settings || p_settings,
         healthy = p_healthy, healthy_at = p_healthy_at, updated_at = now()
   WHERE c.cluster_id = p_cluster_id;
  UPDATE sim_apply_requests
     SET status = 'succeeded', message = p_message,
         previous = jsonb_build_object('version', v_before.version, 'settings', v_before.settings),
         finished_at = clock_timestamp()
   WHERE id = p_request_id;
  RETURN QUERY SELECT false, coalesce(p_version, v_before.version);
END $$;

-- Down Migration
DROP FUNCTION sim_commit_apply(bigint, text, text, text, text, jsonb, boolean, timestamptz, text);
DROP FUNCTION sim_begin_apply(text, text, jsonb);
