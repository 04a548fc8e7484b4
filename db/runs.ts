// Cluster run records: one row per (operation, cluster), read here for the inventory's history view.
import type { Queryable } from './pool';

export interface ClusterRun {
  operationId: string;
  clusterId: string;
  wave: number;
  state: string;
  fromVersion: string | null;
  toVersion: string | null;
  attempts: number;
  error: string | null;
  reason: string | null;
  startedAt: string | null;
  finishedAt: string | null;
  updatedAt: string;
}

interface RunRow {
  operation_id: string;
  cluster_id: string;
  wave: number;
  state: string;
  from_version: string | null;
  to_version: string | null;
  attempts: number;
  error: string | null;
  reason: string | null;
  started_at: Date | null;
  finished_at: Date | null;
  updated_at: Date;
}

export function toRun(r: RunRow): ClusterRun {
  return {
    operationId: r.operation_id,
    clusterId: r.cluster_id,
    wave: r.wave,
    state: r.state,
    fromVersion: r.from_version,
    toVersion: r.to_version,
    attempts: r.attempts,
    error: r.error,
    reason: r.reason,
    startedAt: r.started_at?.toISOString() ?? null,
    finishedAt: r.finished_at?.toISOString() ?? null,
    updatedAt: r.updated_at.toISOString(),
  };
}

export async function recentRunsForCluster(db: Queryable, clusterId: string, limit = 20): Promise<ClusterRun[]> {
  const result = await db.query<RunRow>(
    'SELECT * FROM cluster_runs WHERE cluster_id = $1 ORDER BY updated_at DESC LIMIT $2',
    [clusterId, limit],
  );
  return result.rows.map(toRun);
}

export async function getRun(db: Queryable, operationId: string, clusterId: string): Promise<ClusterRun | undefined> {
  const result = await db.query<RunRow>('SELECT * FROM cluster_runs WHERE operation_id = $1 AND cluster_id = $2', [
    operationId,
    clusterId,
  ]);
  return result.rows[0] ? toRun(result.rows[0]) : undefined;
}

/** Moves a run to a new state; `start` stamps started_at and the attempt, final states stamp finished_at. */
export async function updateRun(
  db: Queryable,
  run: {
    operationId: string;
    clusterId: string;
    wave: number;
    state: string;
    attempt?: number;
    fromVersion?: string | null;
    toVersion?: string | null;
    error?: string | null;
    reason?: string | null;
    start?: boolean;
    final?: boolean;
  },
): Promise<void> {
  await db.query(
    `INSERT INTO cluster_runs (operation_id, cluster_id, wave, state, attempts, from_version, to_version, error, reason,
                               started_at, finished_at, updated_at)
     VALUES ($1, $2, $3, $4, COALESCE($5, 0), $6, $7, $8, $9,
             CASE WHEN $10 THEN clock_timestamp() END, CASE WHEN $11 THEN clock_timestamp() END, clock_timestamp())
     ON CONFLICT (operation_id, cluster_id) DO UPDATE SET
       wave = EXCLUDED.wave,
       state = EXCLUDED.state,
       attempts = COALESCE($5, cluster_runs.attempts),
       from_version = COALESCE(cluster_runs.from_version, EXCLUDED.from_version),
       to_version = COALESCE(EXCLUDED.to_version, cluster_runs.to_version),
       error = CASE WHEN $4 IN ('failed', 'rolled_back') THEN EXCLUDED.error WHEN $10 THEN NULL ELSE cluster_runs.error END,
       reason = CASE WHEN $4 = 'skipped' THEN EXCLUDED.reason WHEN $10 THEN NULL ELSE cluster_runs.reason END,
       started_at = CASE WHEN $10 THEN clock_timestamp() ELSE cluster_runs.started_at END,
       finished_at = CASE WHEN $11 THEN clock_timestamp() WHEN $10 THEN NULL ELSE cluster_runs.finished_at END,
       updated_at = clock_timestamp()`,
    [
      run.operationId,
      run.clusterId,
      run.wave,
      run.state,
      run.attempt ?? null,
      run.fromVersion ?? null,
      run.toVersion ?? null,
      run.error ?? null,
      run.reason ?? null,
      run.start ?? false,
      run.final ?? false,
    ],
  );
}

/** Marks every still-pending run of an operation skipped (cancel, abort); returns how many. */
export async function skipPendingRuns(db: Queryable, operationId: string, reason: string): Promise<number> {
  const result = await db.query(
    `UPDATE cluster_runs SET state = 'skipped', reason = $2, finished_at = clock_timestamp(), updated_at = clock_timestamp()
      WHERE operation_id = $1 AND state = 'pending'`,
    [operationId, reason],
  );
  return result.rowCount ?? 0;
}

/** Cluster ids a wave still has to work on, in id order. */
export async function pendingWaveClusters(db: Queryable, operationId: string, wave: number): Promise<string[]> {
  const result = await db.query<{ cluster_id: string }>(
    `SELECT cluster_id FROM cluster_runs WHERE operation_id = $1 AND wave = $2 AND state = 'pending' ORDER BY cluster_id`,
    [operationId, wave],
  );
  return result.rows.map((r) => r.cluster_id);
}

/**
 * A run's final state in one statement (atomic, one round trip): the run record, the inventory
 * version when `version` is given, and the operation's lease on the cluster.
 */
export async function finishRun(
  db: Queryable,
  run: {
    operationId: string;
    clusterId: string;
    wave: number;
    state: string;
    error?: string | null;
    reason?: string | null;
    version?: string | null;
  },
): Promise<void> {
  const result = await db.query<{ runs: string }>(
    `WITH run AS (
       UPDATE cluster_runs SET wave = $3, state = $4, error = $5, reason = $6,
              finished_at = clock_timestamp(), updated_at = clock_timestamp()
        WHERE operation_id = $1 AND cluster_id = $2 RETURNING 1
     ), inventory AS (
       UPDATE clusters SET version = $7, updated_at = now() WHERE id = $2 AND $7::text IS NOT NULL RETURNING 1
     ), lease AS (
       DELETE FROM leases WHERE cluster_id = $2 AND operation_id = $1 RETURNING 1
     )
     SELECT (SELECT count(*) FROM run) AS runs, (SELECT count(*) FROM inventory), (SELECT count(*) FROM lease)`,
    [run.operationId, run.clusterId, run.wave, run.state, run.error ?? null, run.reason ?? null, run.version ?? null],
  );
  // A run the API never recorded (an operation started by hand): record it now.
  if (Number(result.rows[0]?.runs ?? 0) === 0) await updateRun(db, { ...run, final: true });
}
