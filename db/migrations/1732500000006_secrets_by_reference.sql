-- Up Migration
-- Secrets leave the inventory: a cluster's adapter.config names one with tokenRef, resolved on the workers.
-- This removes every secret-named key already stored in a cluster's adapter config and in the adapter
-- configs that audit payloads copied (cluster.upsert and cluster.patch events). Each cluster that lost a
-- key gets a `cluster.secret_removed` audit event naming the keys (never their values) and a NOTICE, which
-- `npm run migrate` prints: those clusters need a tokenRef before their next operation.
-- Which names are secret follows domain/secrets.ts: compared lowercased with everything but letters and
-- digits removed; a name ending in `ref` is a reference, not a secret.
-- There is no way back: the values are gone on purpose.

-- Session-local helpers (pg_temp): the schema keeps nothing of this migration but its effect.
CREATE FUNCTION pg_temp.fleetwave_is_secret_key(p_key text) RETURNS boolean
LANGUAGE sql IMMUTABLE AS $$
  SELECT CASE
           WHEN k.name LIKE '%ref' THEN false
           ELSE k.name IN ('auth', 'pwd', 'pass')
             OR k.name ~ '(token|password|passwd|passphrase|secret|apikey|accesskey|privatekey|signingkey|credential|bearer|authorization|cookie)'
         END
    FROM (SELECT regexp_replace(lower(p_key), '[^a-z0-9]', '', 'g') AS name) AS k
$$;

-- The value without its secret-named keys, at any depth.
CREATE FUNCTION pg_temp.fleetwave_strip_secrets(p_value jsonb) RETURNS jsonb
LANGUAGE plpgsql IMMUTABLE AS $$
BEGIN
  CASE jsonb_typeof(p_value)
    WHEN 'object' THEN
      RETURN coalesce((SELECT jsonb_object_agg(e.key, pg_temp.fleetwave_strip_secrets(e.value))
                         FROM jsonb_each(p_value) AS e
                        WHERE NOT pg_temp.fleetwave_is_secret_key(e.key)), '{}'::jsonb);
    WHEN 'array' THEN
      RETURN coalesce((SELECT jsonb_agg(pg_temp.fleetwave_strip_secrets(e.value) ORDER BY e.ord)
                         FROM jsonb_array_elements(p_value) WITH ORDINALITY AS e(value, ord)), '[]'::jsonb);
    ELSE
      RETURN p_value;
  END CASE;
END $$;

-- Dotted paths of the secret-named keys in a value (array items by index), under p_prefix.
CREATE FUNCTION pg_temp.fleetwave_secret_paths(p_value jsonb, p_prefix text) RETURNS SETOF text
LANGUAGE plpgsql IMMUTABLE AS $$
DECLARE
  r record;
BEGIN
  IF jsonb_typeof(p_value) = 'object' THEN
    FOR r IN SELECT e.key, e.value FROM jsonb_each(p_value) AS e ORDER BY e.key LOOP
      IF pg_temp.fleetwave_is_secret_key(r.key) THEN
        RETURN NEXT p_prefix || r.key;
      ELSE
        RETURN QUERY SELECT * FROM pg_temp.fleetwave_secret_paths(r.value, p_prefix || r.key || '.');
      END IF;
    END LOOP;
  ELSIF jsonb_typeof(p_value) = 'array' THEN
    FOR r IN SELECT (e.ord - 1)::text AS key, e.value FROM jsonb_array_elements(p_value) WITH ORDINALITY AS e(value, ord) LOOP
      RETURN QUERY SELECT * FROM pg_temp.fleetwave_secret_paths(r.value, p_prefix || r.key || '.');
    END LOOP;
  END IF;
END $$;

-- An audit payload with the secrets removed from every `adapter.config` it holds, at any depth (a cluster,
-- a patch, a list of clusters); the rest of the record stays as it was written.
CREATE FUNCTION pg_temp.fleetwave_strip_adapter_secrets(p_value jsonb) RETURNS jsonb
LANGUAGE plpgsql IMMUTABLE AS $$
BEGIN
  CASE jsonb_typeof(p_value)
    WHEN 'object' THEN
      RETURN coalesce((SELECT jsonb_object_agg(e.key,
                                CASE WHEN e.key = 'adapter' AND jsonb_typeof(e.value -> 'config') = 'object'
                                     THEN jsonb_set(e.value, '{config}', pg_temp.fleetwave_strip_secrets(e.value -> 'config'))
                                     ELSE pg_temp.fleetwave_strip_adapter_secrets(e.value) END)
                         FROM jsonb_each(p_value) AS e), '{}'::jsonb);
    WHEN 'array' THEN
      RETURN coalesce((SELECT jsonb_agg(pg_temp.fleetwave_strip_adapter_secrets(e.value) ORDER BY e.ord)
                         FROM jsonb_array_elements(p_value) WITH ORDINALITY AS e(value, ord)), '[]'::jsonb);
    ELSE
      RETURN p_value;
  END CASE;
END $$;

DO $$
DECLARE
  r record;
  v_count integer := 0;
BEGIN
  UPDATE audit_events
     SET payload = pg_temp.fleetwave_strip_adapter_secrets(payload)
   WHERE payload IS DISTINCT FROM pg_temp.fleetwave_strip_adapter_secrets(payload);

  FOR r IN
    SELECT c.id, array_agg(p.path ORDER BY p.path) AS keys
      FROM clusters c
     CROSS JOIN LATERAL pg_temp.fleetwave_secret_paths(c.adapter -> 'config', 'adapter.config.') AS p(path)
     GROUP BY c.id
     ORDER BY c.id
  LOOP
    UPDATE clusters
       SET adapter = jsonb_set(adapter, '{config}', pg_temp.fleetwave_strip_secrets(adapter -> 'config')),
           updated_at = now()
     WHERE id = r.id;
    INSERT INTO audit_events (identity, role, action, target_type, target_id, payload)
    VALUES ('fleetwave', 'system', 'cluster.secret_removed', 'cluster', r.id,
            jsonb_build_object('removedKeys', to_jsonb(r.keys), 'needs', 'adapter.config.tokenRef'));
    RAISE NOTICE 'cluster %: removed % from its adapter config; set adapter.config.tokenRef and put the secret on the workers',
      r.id, array_to_string(r.keys, ', ');
    v_count := v_count + 1;
  END LOOP;
  IF v_count > 0 THEN
    RAISE NOTICE '% cluster(s) lost a secret stored in the inventory and need adapter.config.tokenRef (listed above)', v_count;
  END IF;
END $$;

DROP FUNCTION pg_temp.fleetwave_strip_adapter_secrets(jsonb);
DROP FUNCTION pg_temp.fleetwave_secret_paths(jsonb, text);
DROP FUNCTION pg_temp.fleetwave_strip_secrets(jsonb);
DROP FUNCTION pg_temp.fleetwave_is_secret_key(text);
