// Read side of cluster_runs for one operation: pages of runs, counts per wave and state, in-flight runs.
import { IN_FLIGHT_RUN_STATES, type RunState } from '../domain/states';
import type { Queryable } from './pool';
import { toRun, type ClusterRun } from './runs';

type RunRow = Parameters<typeof toRun>[0];

export interface RunFilter {
  states?: RunState[];
  wave?: number;
}

/** One page ordered by cluster id; `after` is the last cluster id of the previous page. */
export async function listRuns(
  db: Queryable,
  operationId: string,
  filter: RunFilter,
  page: { limit: number; after?: string },
): Promise<{ runs: ClusterRun[]; hasMore: boolean }> {
  const values: unknown[] = [operationId];
  const where = ['operation_id = $1'];
  const add = (sql: string, value: unknown) => {
    values.push(value);
    where.push(sql.replace('?', `$${values.length}`));
  };
  if (filter.states && filter.states.length > 0) add('state = ANY(?::text[])', filter.states);
  if (filter.wave !== undefined) add('wave = ?', filter.wave);
  if (page.after !== undefined) add('cluster_id > ?', page.after);
  values.push(Math.min(page.limit, 1000) + 1);
  const result = await db.query<RunRow>(
    `SELECT * FROM cluster_runs WHERE ${where.join(' AND ')} ORDER BY cluster_id LIMIT $${values.length}`,
    values,
  );
  const hasMore = result.rows.length > page.limit;
  return { runs: result.rows.slice(0, page.limit).map(toRun), hasMore };
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
  return result.rows.map((r) => ({
    wave: r.wave,
    state: r.state,
    count: Number(r.n),
    lastUpdate: r.last_update?.toISOString() ?? null,
  }));
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
  return result.rows.map((r) => ({
    clusterId: r.cluster_id,
    wave: r.wave,
    state: r.state,
    startedAt: r.started_at?.toISOString() ?? null,
  }));
}

export async function getRun(db: Queryable, operationId: string, clusterId: string): Promise<ClusterRun | undefined> {
  const result = await db.query<RunRow>('SELECT * FROM cluster_runs WHERE operation_id = $1 AND cluster_id = $2', [
    operationId,
    clusterId,
  ]);
  return result.rows[0] ? toRun(result.rows[0]) : undefined;
}
