// The guard_limits and guard_freezes tables: the fleet-wide limits and change freezes, what each limit
// counts now, and the checks the engine and the API make against them.
import { FINAL_RUN_STATES } from '../domain/states';
import type { GuardLimit, GuardScope, LimitUsage, StoredFreeze, StoredLimit } from '../domain/guard';
import type { Queryable } from './pool';

interface LimitRow {
  name: string;
  scope: GuardScope;
  max_in_flight: number | null;
  max_failures_per_hour: number | null;
  updated_by: string;
  updated_at: Date;
}

const toLimit = (row: LimitRow): StoredLimit => ({
  name: row.name,
  scope: row.scope,
  ...(row.max_in_flight === null ? {} : { maxInFlight: row.max_in_flight }),
  ...(row.max_failures_per_hour === null ? {} : { maxFailuresPerHour: row.max_failures_per_hour }),
  updatedBy: row.updated_by,
  updatedAt: row.updated_at.toISOString(),
});

/** Every limit, in name order. */
export async function listLimits(db: Queryable): Promise<StoredLimit[]> {
  const result = await db.query<LimitRow>(
    'SELECT name, scope, max_in_flight, max_failures_per_hour, updated_by, updated_at FROM guard_limits ORDER BY name',
  );
  return result.rows.map(toLimit);
}

/**
 * Holds every taker of a lease back until the transaction ends (guard_take_lease locks limit rows, which
 * this lock mode conflicts with), so a new set of limits applies to every select that starts after it.
 * Call first in the transaction that replaces the limits.
 */
export async function lockLimits(tx: Queryable): Promise<void> {
  await tx.query('LOCK TABLE guard_limits IN EXCLUSIVE MODE');
}

/** Replaces the whole set; a limit that keeps its settings keeps who set it and when. */
export async function replaceLimits(tx: Queryable, limits: readonly GuardLimit[], by: string): Promise<void> {
  const rows = limits.map((l) => ({
    name: l.name,
    scope: l.scope,
    max_in_flight: l.maxInFlight ?? null,
    max_failures_per_hour: l.maxFailuresPerHour ?? null,
  }));
  await tx.query('DELETE FROM guard_limits WHERE name <> ALL($1::text[])', [rows.map((r) => r.name)]);
  if (rows.length === 0) return;
  await tx.query(
    `INSERT INTO guard_limits (name, scope, max_in_flight, max_failures_per_hour, updated_by)
     SELECT r.name, r.scope, r.max_in_flight, r.max_failures_per_hour, $2
       FROM jsonb_to_recordset($1::jsonb) AS r(name text, scope jsonb, max_in_flight int, max_failures_per_hour int)
     ON CONFLICT (name) DO UPDATE SET
       scope = EXCLUDED.scope, max_in_flight = EXCLUDED.max_in_flight,
       max_failures_per_hour = EXCLUDED.max_failures_per_hour, updated_by = EXCLUDED.updated_by, updated_at = now()
     WHERE (guard_limits.scope, guard_limits.max_in_flight, guard_limits.max_failures_per_hour)
       IS DISTINCT FROM (EXCLUDED.scope, EXCLUDED.max_in_flight, EXCLUDED.max_failures_per_hour)`,
    [JSON.stringify(rows), by],
  );
}

/** What each limit counts right now: clusters in scope holding a lease, failures in scope in the last hour. */
export async function limitUsage(db: Queryable): Promise<LimitUsage[]> {
  const result = await db.query<{ name: string; in_flight: number; failures: number }>(
    `SELECT l.name, guard_in_flight(l.scope, NULL) AS in_flight, guard_failures_last_hour(l.scope) AS failures
       FROM guard_limits l ORDER BY l.name`,
  );
  return result.rows.map((row) => ({ limit: row.name, inFlight: row.in_flight, failuresLastHour: row.failures }));
}

/** One limit's failures in the last hour against its maxFailuresPerHour; null when no such limit exists. */
export async function limitFailures(
  db: Queryable,
  name: string,
): Promise<{ failuresLastHour: number; maxFailuresPerHour: number | null } | null> {
  const result = await db.query<{ failures: number; max_failures_per_hour: number | null }>(
    `SELECT guard_failures_last_hour(l.scope) AS failures, l.max_failures_per_hour FROM guard_limits l WHERE l.name = $1`,
    [name],
  );
  const row = result.rows[0];
  return row ? { failuresLastHour: row.failures, maxFailuresPerHour: row.max_failures_per_hour } : null;
}

/**
 * The first limit (by name) whose scope holds the cluster and whose failures in the last hour are over its
 * maxFailuresPerHour: the failure just recorded tripped it, or it was tripped already. Null when none.
 */
export async function trippedLimitFor(db: Queryable, clusterId: string): Promise<string | null> {
  const result = await db.query<{ name: string }>(
    `SELECT l.name FROM guard_limits l, clusters c
      WHERE c.id = $1 AND l.max_failures_per_hour IS NOT NULL
        AND guard_scope_holds(l.scope, c.cloud, c.region, c.environment, c.tier, c.kind)
        AND guard_failures_last_hour(l.scope) > l.max_failures_per_hour
      ORDER BY l.name LIMIT 1`,
    [clusterId],
  );
  return result.rows[0]?.name ?? null;
}

interface FreezeRow {
  name: string;
  from_at: Date;
  to_at: Date;
  scope: GuardScope;
  reason: string;
  created_by: string;
  created_at: Date;
}

const toFreeze = (row: FreezeRow): StoredFreeze => ({
  name: row.name,
  from: row.from_at.toISOString(),
  to: row.to_at.toISOString(),
  scope: row.scope,
  reason: row.reason,
  createdBy: row.created_by,
  createdAt: row.created_at.toISOString(),
});

const FREEZE_COLUMNS = 'name, from_at, to_at, scope, reason, created_by, created_at';

/** Every freeze, earliest start first. */
export async function listFreezes(db: Queryable): Promise<StoredFreeze[]> {
  const result = await db.query<FreezeRow>(`SELECT ${FREEZE_COLUMNS} FROM guard_freezes ORDER BY from_at, name`);
  return result.rows.map(toFreeze);
}

/** Records a freeze; undefined when one of that name exists already. */
export async function insertFreeze(
  db: Queryable,
  freeze: { name: string; from: string; to: string; scope: GuardScope; reason: string },
  by: string,
): Promise<StoredFreeze | undefined> {
  const result = await db.query<FreezeRow>(
    `INSERT INTO guard_freezes (name, from_at, to_at, scope, reason, created_by) VALUES ($1, $2, $3, $4, $5, $6)
     ON CONFLICT (name) DO NOTHING RETURNING ${FREEZE_COLUMNS}`,
    [freeze.name, freeze.from, freeze.to, JSON.stringify(freeze.scope), freeze.reason, by],
  );
  return result.rows[0] ? toFreeze(result.rows[0]) : undefined;
}

/** Removes a freeze; the one removed, or undefined when there was none of that name. */
export async function deleteFreeze(db: Queryable, name: string): Promise<StoredFreeze | undefined> {
  const result = await db.query<FreezeRow>(`DELETE FROM guard_freezes WHERE name = $1 RETURNING ${FREEZE_COLUMNS}`, [
    name,
  ]);
  return result.rows[0] ? toFreeze(result.rows[0]) : undefined;
}

/** Whether any freeze covers now: when none does, no operation can be frozen and nothing more is read. */
export async function anyFreezeActive(db: Queryable): Promise<boolean> {
  const result = await db.query('SELECT 1 FROM guard_freezes WHERE from_at <= now() AND to_at > now() LIMIT 1');
  return (result.rowCount ?? 0) > 0;
}

/**
 * Whether freezes hold every cluster the operation has not finished: none is in flight and a freeze covers
 * each of the others now. Names the freezes holding them and when the first of those clusters is free
 * again (the latest end among the freezes covering it); null otherwise.
 */
export async function operationFrozen(
  db: Queryable,
  operationId: string,
): Promise<{ freezes: string[]; until: string } | null> {
  const result = await db.query<{ remaining: string; held: string; until: Date | null; freezes: string[] | null }>(
    `WITH per_run AS (
       SELECT r.cluster_id, r.state IN ('applying', 'monitoring') AS in_flight,
              array_agg(f.name) FILTER (WHERE f.name IS NOT NULL) AS names, max(f.to_at) AS until
         FROM cluster_runs r
         LEFT JOIN clusters c ON c.id = r.cluster_id
         LEFT JOIN guard_freezes f ON f.from_at <= now() AND f.to_at > now()
              AND guard_scope_holds(f.scope, c.cloud, c.region, c.environment, c.tier, c.kind)
        WHERE r.operation_id = $1 AND r.state <> ALL($2::text[])
        GROUP BY r.cluster_id, r.state)
     SELECT count(*) AS remaining,
            count(*) FILTER (WHERE NOT in_flight AND names IS NOT NULL) AS held,
            min(until) FILTER (WHERE NOT in_flight) AS until,
            (SELECT array_agg(DISTINCT n ORDER BY n) FROM per_run, unnest(per_run.names) AS n) AS freezes
       FROM per_run`,
    [operationId, FINAL_RUN_STATES],
  );
  const row = result.rows[0];
  if (!row || Number(row.remaining) === 0 || row.held !== row.remaining || !row.until) return null;
  return { freezes: row.freezes ?? [], until: row.until.toISOString() };
}
