// The cluster_runs table, one row per (operation, cluster): every read of a run. The state changes are in
// run-changes.ts and are re-exported here, so callers import runs from one place.
import { IN_FLIGHT_RUN_STATES, type RunState } from '../domain/states';
import type { Queryable } from './pool';
import { recordOf, type RecordOf } from './rows';
import { whereBuilder } from './where';

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
  /** The last error an adapter call of this attempt answered (kept after success, cleared by a new attempt). */
  last_error: string | null;
  /** Adapter call attempts of the step running now (select's read, apply, rollback), retries included. */
  adapter_attempts: number;
  provider_operation_id: string | null;
  /** When the maintenance window of a run parked in waiting_window opens; null in every other state. */
  window_opens_at: Date | null;
  /** The operation whose lease a run parked in waiting_lease waits for; null in every other state. */
  held_by: string | null;
  /** The shadow rules (monitor.shadowRequire) this cluster would have failed; null when none were evaluated. */
  shadow_failed: string[] | null;
  /** What holds a run parked in waiting_guard: a limit's name, or freeze:<name>; null in every other state. */
  guard: string | null;
}

/** A run as the API shows it. */
export type ClusterRun = RecordOf<RunRow>;

/** In the order of RunRow, which is the order API answers list a run's fields in. */
const COLUMNS =
  'operation_id, cluster_id, wave, state, from_version, to_version, attempts, error, reason, started_at, finished_at, updated_at, last_error, adapter_attempts, provider_operation_id, window_opens_at, held_by, shadow_failed, guard';

const toRun = (row: RunRow): ClusterRun => recordOf(row);

export async function getRun(db: Queryable, operationId: string, clusterId: string): Promise<ClusterRun | undefined> {
  const result = await db.query<RunRow>(
    `SELECT ${COLUMNS} FROM cluster_runs WHERE operation_id = $1 AND cluster_id = $2`,
    [operationId, clusterId],
  );
  return result.rows[0] ? toRun(result.rows[0]) : undefined;
}

export interface RunFilter {
  states?: RunState[];
  wave?: number;
}

/** One page of an operation's runs ordered by cluster id; `after` is the last cluster id of the previous page. */
export async function listRuns(
  db: Queryable,
  operationId: string,
  filter: RunFilter,
  page: { limit: number; after?: string },
): Promise<{ runs: ClusterRun[]; hasMore: boolean }> {
  const where = whereBuilder();
  where.add('operation_id = ?', operationId);
  if (filter.states && filter.states.length > 0) where.add('state = ANY(?::text[])', filter.states);
  if (filter.wave !== undefined) where.add('wave = ?', filter.wave);
  if (page.after !== undefined) where.add('cluster_id > ?', page.after);
  const limit = where.param(Math.min(page.limit, 1000) + 1);
  const result = await db.query<RunRow>(
    `SELECT ${COLUMNS} FROM cluster_runs ${where.sql()} ORDER BY cluster_id LIMIT ${limit}`,
    where.values,
  );
  const hasMore = result.rows.length > page.limit;
  return { runs: result.rows.slice(0, page.limit).map(toRun), hasMore };
}

/** A cluster's latest runs across operations, newest first: the inventory's history view. */
export async function recentRunsForCluster(db: Queryable, clusterId: string, limit = 20): Promise<ClusterRun[]> {
  const result = await db.query<RunRow>(
    `SELECT ${COLUMNS} FROM cluster_runs WHERE cluster_id = $1 ORDER BY updated_at DESC LIMIT $2`,
    [clusterId, limit],
  );
  return result.rows.map(toRun);
}

export interface RunCount {
  wave: number;
  state: RunState;
  count: number;
  /** Latest change among these runs, so status can say when anything last moved. */
  lastUpdate: string | null;
}

/** Exact counts from the run records, one row per (wave, state) present. */
export async function runCounts(db: Queryable, operationId: string): Promise<RunCount[]> {
  const result = await db.query<{ wave: number; state: RunState; n: string; last_update: Date | null }>(
    `SELECT wave, state, count(*) AS n, max(updated_at) AS last_update
       FROM cluster_runs WHERE operation_id = $1 GROUP BY wave, state`,
    [operationId],
  );
  return result.rows.map((row) => ({
    wave: row.wave,
    state: row.state,
    count: Number(row.n),
    lastUpdate: row.last_update?.toISOString() ?? null,
  }));
}

/** Per wave: how many clusters had their shadow rules evaluated (rule null), and how many would have failed each. */
export interface ShadowCount {
  wave: number;
  rule: string | null;
  count: number;
}

export async function shadowCounts(db: Queryable, operationId: string): Promise<ShadowCount[]> {
  const result = await db.query<{ wave: number; rule: string | null; n: string }>(
    `SELECT wave, NULL::text AS rule, count(*) AS n FROM cluster_runs
      WHERE operation_id = $1 AND shadow_failed IS NOT NULL GROUP BY wave
     UNION ALL
     SELECT wave, rule, count(*) AS n FROM cluster_runs, unnest(shadow_failed) AS rule
      WHERE operation_id = $1 AND shadow_failed IS NOT NULL GROUP BY wave, rule`,
    [operationId],
  );
  return result.rows.map((row) => ({ wave: row.wave, rule: row.rule, count: Number(row.n) }));
}

export interface InFlightRun {
  clusterId: string;
  wave: number;
  state: RunState;
  startedAt: string | null;
}

/** Clusters being worked on now, oldest first; bounded because maxParallel is at most 1000. */
export async function inFlightRuns(db: Queryable, operationId: string, limit = 1000): Promise<InFlightRun[]> {
  const result = await db.query<{ cluster_id: string; wave: number; state: RunState; started_at: Date | null }>(
    `SELECT cluster_id, wave, state, started_at FROM cluster_runs
      WHERE operation_id = $1 AND state = ANY($2::text[])
      ORDER BY started_at NULLS LAST, cluster_id LIMIT $3`,
    [operationId, IN_FLIGHT_RUN_STATES, limit],
  );
  return result.rows.map(recordOf);
}

/** Cluster ids a wave still has to work on, in id order. */
export async function pendingWaveClusters(db: Queryable, operationId: string, wave: number): Promise<string[]> {
  const result = await db.query<{ cluster_id: string }>(
    `SELECT cluster_id FROM cluster_runs WHERE operation_id = $1 AND wave = $2 AND state = 'pending' ORDER BY cluster_id`,
    [operationId, wave],
  );
  return result.rows.map((row) => row.cluster_id);
}

/**
 * Which lane of `$5` a cluster belongs to, from a hash of its id: each lane of a wave pages its own share,
 * and the shares split the plan whatever its ids look like.
 */
const LANE_OF_CLUSTER = '(hashtext(cluster_id)::bigint & 2147483647) % $5 = $6';

/**
 * One page of the clusters a wave has not started, with a cluster id after `after` ('' for the first
 * page), in id order. A wave reads its plan page by page, so no workflow
 * payload grows with the wave; the partial index cluster_runs_waiting_idx answers it without a sort.
 */
export async function waveClusterPage(
  db: Queryable,
  page: { operationId: string; wave: number; after: string; limit: number; lane?: { index: number; count: number } },
): Promise<string[]> {
  const { lane } = page;
  const result = await db.query<{ cluster_id: string }>(
    `SELECT cluster_id FROM cluster_runs
      WHERE operation_id = $1 AND wave = $2 AND state = 'pending' AND cluster_id > $3
      ${lane ? `AND ${LANE_OF_CLUSTER}` : ''}
      ORDER BY cluster_id LIMIT $4`,
    lane
      ? [page.operationId, page.wave, page.after, page.limit, lane.count, lane.index]
      : [page.operationId, page.wave, page.after, page.limit],
  );
  return result.rows.map((row) => row.cluster_id);
}

/** How many of a wave's runs ended failed or rolled back: its failures, over every lane. */
export async function waveFailures(db: Queryable, operationId: string, wave: number): Promise<number> {
  const result = await db.query<{ n: number }>(
    `SELECT count(*)::int AS n FROM cluster_runs
      WHERE operation_id = $1 AND state IN ('failed', 'rolled_back') AND wave = $2`,
    [operationId, wave],
  );
  return result.rows[0]?.n ?? 0;
}

export * from './run-changes';
