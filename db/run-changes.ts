// The cluster_runs table's state changes: a run started, moved, parked, finished, re-queued or skipped.
import { PARKED_RUN_STATES, type RunState } from '../domain/states';
import type { Queryable } from './pool';

/** Which run moves, the state it moves to, and why (error for failures, reason for skips). */
export interface RunChange {
  operationId: string;
  clusterId: string;
  wave: number;
  state: string;
  error?: string | null;
  reason?: string | null;
}

/** Moves a run to a new state; `start` stamps started_at and the attempt, final states stamp finished_at. */
export async function updateRun(
  db: Queryable,
  run: RunChange & {
    attempt?: number;
    fromVersion?: string | null;
    toVersion?: string | null;
    start?: boolean;
    final?: boolean;
    /** The adapter call attempt now starting (apply's Temporal attempt), shown while it retries. */
    adapterAttempts?: number;
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
       -- A (re)started attempt records the version the cluster had then, as select read it.
       from_version = CASE WHEN $10 THEN COALESCE(EXCLUDED.from_version, cluster_runs.from_version)
                           ELSE COALESCE(cluster_runs.from_version, EXCLUDED.from_version) END,
       to_version = COALESCE(EXCLUDED.to_version, cluster_runs.to_version),
       error = CASE WHEN $4 IN ('failed', 'rolled_back') THEN EXCLUDED.error WHEN $10 THEN NULL ELSE cluster_runs.error END,
       reason = CASE WHEN $4 = 'skipped' THEN EXCLUDED.reason WHEN $10 THEN NULL ELSE cluster_runs.reason END,
       adapter_attempts = COALESCE($12, cluster_runs.adapter_attempts),
       started_at = CASE WHEN $10 THEN clock_timestamp() ELSE cluster_runs.started_at END,
       finished_at = CASE WHEN $11 THEN clock_timestamp() WHEN $10 THEN NULL ELSE cluster_runs.finished_at END,
       -- Only parkRun parks a run; any other change ends the wait.
       window_opens_at = NULL,
       held_by = NULL,
       guard = NULL,
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
      run.adapterAttempts ?? null,
    ],
  );
}

/**
 * The select step takes the run for its wave: the attempt is recorded at once, unless the run was moved to
 * another wave before it started (a live plan edit; db/plan-edits.ts moves only runs whose attempts are 0,
 * under the same row lock). Answers false for such a moved run, true otherwise (a run not recorded too).
 */
export async function claimRun(
  db: Queryable,
  run: { operationId: string; clusterId: string; wave: number; attempt: number },
): Promise<boolean> {
  const claimed = await db.query(
    `UPDATE cluster_runs SET attempts = GREATEST(attempts, $4)
      WHERE operation_id = $1 AND cluster_id = $2 AND NOT (state = 'pending' AND attempts = 0 AND wave <> $3)`,
    [run.operationId, run.clusterId, run.wave, run.attempt],
  );
  if ((claimed.rowCount ?? 0) > 0) return true;
  // Read afresh: a move that committed while the claim waited for the row is seen now.
  const moved = await db.query(
    `SELECT 1 FROM cluster_runs
      WHERE operation_id = $1 AND cluster_id = $2 AND state = 'pending' AND attempts = 0 AND wave <> $3`,
    [run.operationId, run.clusterId, run.wave],
  );
  return (moved.rowCount ?? 0) === 0;
}

/** An adapter call failed and will be retried (or not): the run shows the error and how many attempts it took. */
export async function recordAdapterError(
  db: Queryable,
  run: { operationId: string; clusterId: string; adapterAttempts: number; lastError: string },
): Promise<void> {
  await db.query(
    `UPDATE cluster_runs SET last_error = $3, adapter_attempts = $4, updated_at = clock_timestamp()
      WHERE operation_id = $1 AND cluster_id = $2`,
    [run.operationId, run.clusterId, run.lastError, run.adapterAttempts],
  );
}

/** The provider's id of the apply a run started, stored before the apply is awaited. */
export async function recordProviderOperation(
  db: Queryable,
  operationId: string,
  clusterId: string,
  providerOperationId: string,
): Promise<void> {
  await db.query(
    `UPDATE cluster_runs SET provider_operation_id = $3, updated_at = clock_timestamp()
      WHERE operation_id = $1 AND cluster_id = $2`,
    [operationId, clusterId, providerOperationId],
  );
}

/**
 * A run's final state in one statement (atomic, one round trip): the run record, the inventory
 * version when `version` is given, and the operation's lease on the cluster.
 */
export async function finishRun(db: Queryable, run: RunChange & { version?: string | null }): Promise<void> {
  const result = await db.query<{ runs: string }>(
    `WITH run AS (
       UPDATE cluster_runs SET wave = $3, state = $4, error = $5, reason = $6, window_opens_at = NULL, held_by = NULL, guard = NULL,
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

/**
 * An operator retry: a failed or rolled-back run shows pending again until its wave picks it up; what the
 * last attempt's adapter calls said (error, attempts, provider operation) belongs to that attempt and goes.
 */
export async function requeueRun(db: Queryable, operationId: string, clusterId: string): Promise<void> {
  await db.query(
    `UPDATE cluster_runs SET state = 'pending', finished_at = NULL, last_error = NULL, adapter_attempts = 0,
            window_opens_at = NULL, held_by = NULL, guard = NULL,
            provider_operation_id = NULL, updated_at = clock_timestamp()
      WHERE operation_id = $1 AND cluster_id = $2 AND state IN ('failed', 'rolled_back')`,
    [operationId, clusterId],
  );
}

/** Runs not started, or parked (for a window or a lease): what a skip or a closing operation may end. */
const WAITING_RUN_STATES: readonly RunState[] = ['pending', ...PARKED_RUN_STATES];

/** Skips those of `clusterIds` whose runs are still pending or parked; returns the ids it skipped. */
export async function skipPendingClusters(
  db: Queryable,
  operationId: string,
  clusterIds: string[],
  reason: string,
): Promise<string[]> {
  const result = await db.query<{ cluster_id: string }>(
    `UPDATE cluster_runs SET state = 'skipped', reason = $3, window_opens_at = NULL, held_by = NULL, guard = NULL,
            finished_at = clock_timestamp(), updated_at = clock_timestamp()
      WHERE operation_id = $1 AND cluster_id = ANY($2::text[]) AND state = ANY($4::text[]) RETURNING cluster_id`,
    [operationId, clusterIds, reason, WAITING_RUN_STATES],
  );
  return result.rows.map((row) => row.cluster_id);
}

/** Skips every run of the operation still waiting (pending, or parked for its window or a lease); returns how many. */
export async function skipWaitingRuns(db: Queryable, operationId: string, reason: string): Promise<number> {
  const result = await db.query(
    `UPDATE cluster_runs SET state = 'skipped', reason = $2, window_opens_at = NULL, held_by = NULL, guard = NULL,
            finished_at = clock_timestamp(), updated_at = clock_timestamp()
      WHERE operation_id = $1 AND state = ANY($3::text[])`,
    [operationId, reason, WAITING_RUN_STATES],
  );
  return result.rowCount ?? 0;
}

/** Why a run is parked: its window opens at `windowOpensAt`, `heldBy` holds its lease, or `guard` holds it back. */
export type Parking =
  | { state: 'waiting_window'; windowOpensAt: Date }
  | { state: 'waiting_lease'; heldBy: string }
  | { state: 'waiting_guard'; guard: string };

/**
 * Parks a run in one statement: the run shows what it waits for, and the lease this operation may hold
 * on the cluster is released (a parked cluster holds none, so another operation may work on it meanwhile).
 */
export async function parkRun(
  db: Queryable,
  run: { operationId: string; clusterId: string; wave: number; attempt: number },
  parking: Parking,
): Promise<void> {
  const windowOpensAt = parking.state === 'waiting_window' ? parking.windowOpensAt : null;
  const heldBy = parking.state === 'waiting_lease' ? parking.heldBy : null;
  const guard = parking.state === 'waiting_guard' ? parking.guard : null;
  await db.query(
    `WITH run AS (
       INSERT INTO cluster_runs (operation_id, cluster_id, wave, state, attempts, window_opens_at, held_by, guard, updated_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, clock_timestamp())
       ON CONFLICT (operation_id, cluster_id) DO UPDATE SET
         wave = EXCLUDED.wave, state = EXCLUDED.state, attempts = EXCLUDED.attempts,
         window_opens_at = EXCLUDED.window_opens_at, held_by = EXCLUDED.held_by, guard = EXCLUDED.guard,
         updated_at = clock_timestamp()
       RETURNING 1
     ), lease AS (
       DELETE FROM leases WHERE cluster_id = $2 AND operation_id = $1 RETURNING 1
     )
     SELECT (SELECT count(*) FROM run) AS runs, (SELECT count(*) FROM lease) AS leases`,
    [run.operationId, run.clusterId, run.wave, parking.state, run.attempt, windowOpensAt, heldBy, guard],
  );
}

/** The shadow rules a cluster would have failed when its monitoring ended ([] when every one held). */
export async function recordShadowRules(
  db: Queryable,
  run: { operationId: string; clusterId: string; wouldFail: readonly string[] },
): Promise<void> {
  await db.query(`UPDATE cluster_runs SET shadow_failed = $3 WHERE operation_id = $1 AND cluster_id = $2`, [
    run.operationId,
    run.clusterId,
    run.wouldFail,
  ]);
}
