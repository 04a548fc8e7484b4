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
