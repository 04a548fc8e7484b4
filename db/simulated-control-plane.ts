// The simulated adapter's control plane, kept in PostgreSQL: cluster state in sim_clusters, every request in
// sim_apply_requests.
import type { Action } from '../domain/operation';
import { withTransaction, type Db, type Queryable } from './pool';
import { camelRow, type CamelRow } from './rows';
import { whereBuilder } from './where';

export type SimRequestStatus = 'running' | 'succeeded' | 'failed' | 'rejected' | 'duplicate' | 'rolled_back';

interface SimClusterRow {
  cluster_id: string;
  version: string;
  settings: Record<string, unknown>;
  healthy: boolean;
  healthy_at: Date | null;
}

export type SimClusterState = CamelRow<SimClusterRow>;

/** In the order of SimClusterRow. */
const CLUSTER_COLUMNS = 'cluster_id, version, settings, healthy, healthy_at';

interface SimApplyRequestRow {
  id: string;
  cluster_id: string;
  idempotency_key: string;
  action: unknown;
  attempt: number;
  status: SimRequestStatus;
  message: string | null;
  started_at: Date;
  finished_at: Date | null;
}

/** A logged request; `id` as a number (bigserial arrives as a string). */
export type SimApplyRequest = Omit<CamelRow<SimApplyRequestRow>, 'id'> & { id: number };

/** The provider's view of a cluster, created from the inventory (its version) the first time it is touched. */
export async function ensureSimCluster(
  db: Queryable,
  cluster: { id: string; version: string },
  forUpdate = false,
): Promise<SimClusterState> {
  if (forUpdate) {
    await db.query(
      'INSERT INTO sim_clusters (cluster_id, version) VALUES ($1, $2) ON CONFLICT (cluster_id) DO NOTHING',
      [cluster.id, cluster.version],
    );
    const { rows } = await db.query<SimClusterRow>(
      `SELECT ${CLUSTER_COLUMNS} FROM sim_clusters WHERE cluster_id = $1 FOR UPDATE`,
      [cluster.id],
    );
    return camelRow(rows[0]!);
  }
  // One round trip on the hot path (every apply and health check): insert-or-read.
  const { rows } = await db.query<SimClusterRow>(
    `WITH created AS (
       INSERT INTO sim_clusters (cluster_id, version) VALUES ($1, $2) ON CONFLICT (cluster_id) DO NOTHING
       RETURNING ${CLUSTER_COLUMNS}
     )
     SELECT * FROM created
     UNION ALL
     SELECT ${CLUSTER_COLUMNS} FROM sim_clusters WHERE cluster_id = $1 AND NOT EXISTS (SELECT 1 FROM created)`,
    [cluster.id, cluster.version],
  );
  return camelRow(rows[0]!);
}

interface NewRequest {
  clusterId: string;
  idempotencyKey: string;
  action: unknown;
  status: SimRequestStatus;
  message?: string | null;
}

/**
 * Logs a request with attempt = earlier rows with its key + 1. The advisory lock on the key makes the
 * count exact when two workers send the same key at once (an activity retried while the first still runs).
 */
async function insertRequest(tx: Queryable, request: NewRequest): Promise<{ id: number; attempt: number }> {
  await tx.query('SELECT pg_advisory_xact_lock(hashtext($1))', [request.idempotencyKey]);
  const { rows } = await tx.query<{ id: string; attempt: number }>(
    `INSERT INTO sim_apply_requests (cluster_id, idempotency_key, action, attempt, status, message, started_at, finished_at)
     SELECT $1, $2, $3::jsonb, count(*)::int + 1, $4, $5, clock_timestamp(),
            CASE WHEN $4::text = 'running' THEN NULL ELSE clock_timestamp() END
       FROM sim_apply_requests WHERE idempotency_key = $2
     RETURNING id, attempt`,
    [
      request.clusterId,
      request.idempotencyKey,
      JSON.stringify(request.action),
      request.status,
      request.message ?? null,
    ],
  );
  return { id: Number(rows[0]!.id), attempt: rows[0]!.attempt };
}

/** A request that is already final when logged (a rollback, a refused rollback). */
export async function logRequest(db: Db, request: NewRequest): Promise<{ id: number; attempt: number }> {
  return withTransaction(db, (tx) => insertRequest(tx, request));
}

/** Logs an incoming apply: 'duplicate' (already final) when its key has succeeded before, else 'running'. */
export async function beginApply(
  db: Db,
  request: { clusterId: string; idempotencyKey: string; action: Action },
): Promise<{ id: number; attempt: number; duplicate: boolean }> {
  // sim_begin_apply (db/migrations): the advisory lock on the key makes attempt numbers exact when two
  // workers send one key at once, in one round trip.
  const { rows } = await db.query<{ id: string; attempt: number; duplicate: boolean }>(
    'SELECT * FROM sim_begin_apply($1, $2, $3::jsonb)',
    [request.clusterId, request.idempotencyKey, JSON.stringify(request.action)],
  );
  return { id: Number(rows[0]!.id), attempt: rows[0]!.attempt, duplicate: rows[0]!.duplicate };
}

export async function finishRequest(
  db: Queryable,
  id: number,
  status: SimRequestStatus,
  message: string,
): Promise<void> {
  await db.query(
    'UPDATE sim_apply_requests SET status = $2, message = $3, finished_at = clock_timestamp() WHERE id = $1',
    [id, status, message],
  );
}

export interface ApplyEffect {
  version?: string;
  settings?: Record<string, unknown>;
  healthy: boolean;
  healthyAt: Date | null;
}

/**
 * The effect and the 'succeeded' status in one transaction, so an interrupted apply leaves no trace but its
 * 'running' row. The cluster row lock serializes two commits of one key; the loser becomes a 'duplicate'.
 */
export async function commitApply(
  db: Db,
  commit: {
    requestId: number;
    cluster: { id: string; version: string };
    idempotencyKey: string;
    effect: ApplyEffect;
    message: string;
  },
): Promise<{ duplicate: boolean; version: string }> {
  const { rows } = await db.query<{ duplicate: boolean; version: string }>(
    'SELECT * FROM sim_commit_apply($1, $2, $3, $4, $5, $6::jsonb, $7, $8, $9)',
    [
      commit.requestId,
      commit.cluster.id,
      commit.cluster.version,
      commit.idempotencyKey,
      commit.effect.version ?? null,
      JSON.stringify(commit.effect.settings ?? {}),
      commit.effect.healthy,
      commit.effect.healthyAt,
      commit.message,
    ],
  );
  return { duplicate: rows[0]!.duplicate, version: rows[0]!.version };
}

/**
 * Puts back what the apply under `idempotencyKey` replaced: the version (upgrades) and the settings it
 * overwrote (config), then marks the cluster healthy and logs a 'rolled_back' row under `<key>:rollback`.
 */
export async function rollbackApply(
  db: Db,
  rollback: {
    cluster: { id: string; version: string };
    idempotencyKey: string;
    action: Action;
    fromVersion: string;
    message: string;
  },
): Promise<void> {
  await withTransaction(db, async (tx) => {
    await ensureSimCluster(tx, rollback.cluster, true);
    const { rows } = await tx.query<{ previous: { settings?: Record<string, unknown> } | null }>(
      `SELECT previous FROM sim_apply_requests WHERE idempotency_key = $1 AND status = 'succeeded' ORDER BY id DESC LIMIT 1`,
      [rollback.idempotencyKey],
    );
    const settings = rollback.action.type === 'config' ? rows[0]?.previous?.settings : undefined;
    await tx.query(
      `UPDATE sim_clusters
          SET version = coalesce($2, version), settings = coalesce($3::jsonb, settings),
              healthy = true, healthy_at = NULL, updated_at = now()
        WHERE cluster_id = $1`,
      [
        rollback.cluster.id,
        rollback.action.type === 'upgrade' ? rollback.fromVersion : null,
        settings ? JSON.stringify(settings) : null,
      ],
    );
    await insertRequest(tx, {
      clusterId: rollback.cluster.id,
      idempotencyKey: `${rollback.idempotencyKey}:rollback`,
      action: { type: 'rollback', of: rollback.action, toVersion: rollback.fromVersion },
      status: 'rolled_back',
      message: rollback.message,
    });
  });
}

export interface SimApplyLogFilter {
  clusterId?: string;
  clusterIds?: string[];
  idempotencyKey?: string;
  status?: SimRequestStatus[];
}

/** The request log, oldest first: what tests and benchmarks assert on. */
export async function simApplyLog(db: Queryable, filter: SimApplyLogFilter = {}): Promise<SimApplyRequest[]> {
  const where = whereBuilder();
  if (filter.clusterId !== undefined) where.add('cluster_id = ?', filter.clusterId);
  if (filter.clusterIds !== undefined) where.add('cluster_id = ANY(?::text[])', filter.clusterIds);
  if (filter.idempotencyKey !== undefined) where.add('idempotency_key = ?', filter.idempotencyKey);
  if (filter.status !== undefined) where.add('status = ANY(?::text[])', filter.status);
  const { rows } = await db.query<SimApplyRequestRow>(
    `SELECT id, cluster_id, idempotency_key, action, attempt, status, message, started_at, finished_at
       FROM sim_apply_requests ${where.sql()} ORDER BY id`,
    where.values,
  );
  return rows.map((row) => ({ ...camelRow(row), id: Number(row.id) }));
}

/**
 * The most applies to these clusters that were in progress at one instant: a running sum over start (+1) and
 * finish (-1) events. At equal timestamps finishes sort first, so back-to-back applies do not count as overlapping.
 * Only real work counts (succeeded, failed, rejected), not duplicates, rollbacks or rows a crash left 'running'.
 */
export async function maxConcurrentApplies(db: Queryable, clusterIds: string[]): Promise<number> {
  return maxOverlap(
    db,
    `SELECT started_at, finished_at FROM sim_apply_requests
      WHERE cluster_id = ANY($1::text[]) AND status IN ('succeeded', 'failed', 'rejected') AND finished_at IS NOT NULL`,
    clusterIds,
  );
}

/**
 * As maxConcurrentApplies, but an apply a crash left 'running' counts too: until the next request of its
 * idempotency key started (the retry that carried on under the same lease), else until now. A killed
 * worker's apply holds its cluster until then, so a limit on clusters in flight must count it.
 */
export async function maxConcurrentAppliesCountingInterrupted(db: Queryable, clusterIds: string[]): Promise<number> {
  return maxOverlap(
    db,
    `WITH requests AS (
       SELECT status, started_at, finished_at,
              lead(started_at) OVER (PARTITION BY idempotency_key ORDER BY started_at, id) AS next_started_at
         FROM sim_apply_requests
        WHERE cluster_id = ANY($1::text[]) AND status IN ('succeeded', 'failed', 'rejected', 'running')
     )
     SELECT started_at,
            CASE WHEN status = 'running' THEN coalesce(next_started_at, clock_timestamp()) ELSE finished_at END AS finished_at
       FROM requests WHERE status = 'running' OR finished_at IS NOT NULL`,
    clusterIds,
  );
}

/** The most intervals (`work`: rows of started_at, finished_at) open at one moment. */
async function maxOverlap(db: Queryable, work: string, clusterIds: string[]): Promise<number> {
  const { rows } = await db.query<{ max: number }>(
    `WITH work AS (${work}), events AS (
       SELECT started_at AS at, 1 AS delta FROM work
       UNION ALL
       SELECT finished_at, -1 FROM work
     )
     SELECT coalesce(max(running), 0)::int AS max
       FROM (SELECT sum(delta) OVER (ORDER BY at, delta ROWS UNBOUNDED PRECEDING) AS running FROM events) AS timeline`,
    [clusterIds],
  );
  return rows[0]?.max ?? 0;
}
