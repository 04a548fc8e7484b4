// What forecasts read from cluster_runs: how long past runs of a kind and action took, how long this
// operation's own finished clusters took, and which kinds and maintenance windows each wave's clusters have.
// Every read is bounded, whatever the size of the history or of the operation.
import type { DurationSample } from '../domain/forecast';
import type { Cluster } from '../domain/cluster';
import type { Queryable } from './pool';

/** The most recent succeeded runs, of any kind and action, a history read looks through. */
export const RECENT_RUNS_SCANNED = 20_000;
/** At most this many durations of one kind and action, the most recent, make its percentiles. */
export const HISTORY_SAMPLES = 2_000;
/** At most this many of an operation's own finished clusters make its own percentiles. */
export const OWN_SAMPLES = 2_000;

/**
 * Durations of succeeded runs of clusters of `kind` in operations of `actionType`, newest first, among the
 * RECENT_RUNS_SCANNED most recent succeeded runs (the partial index cluster_runs_succeeded_idx walks them
 * newest first and stops there). `sameTarget` marks upgrades to `targetVersion`. The kind is the cluster's
 * kind now; runs of clusters since deleted are not counted.
 */
export async function recentRunDurations(
  db: Queryable,
  query: { kind: string; actionType: string; targetVersion: string | null },
  bounds: { scanned: number; samples: number } = { scanned: RECENT_RUNS_SCANNED, samples: HISTORY_SAMPLES },
): Promise<DurationSample[]> {
  const result = await db.query<{ seconds: number; same_target: boolean }>(
    `SELECT extract(epoch FROM r.finished_at - r.started_at)::float8 AS seconds,
            ($3::text IS NOT NULL AND o.request->'action'->>'targetVersion' = $3::text) AS same_target
       FROM (SELECT operation_id, cluster_id, started_at, finished_at FROM cluster_runs
              WHERE state = 'succeeded' AND finished_at IS NOT NULL
              ORDER BY finished_at DESC LIMIT $4) r
       JOIN clusters c ON c.id = r.cluster_id
       JOIN operations o ON o.id = r.operation_id
      WHERE r.started_at IS NOT NULL AND c.kind = $1 AND o.request->'action'->>'type' = $2
      ORDER BY r.finished_at DESC
      LIMIT $5`,
    [query.kind, query.actionType, query.targetVersion, bounds.scanned, bounds.samples],
  );
  return result.rows.map((row) => ({ seconds: row.seconds, sameTarget: row.same_target }));
}

/** Durations of the operation's own succeeded runs, at most `limit` of them. */
export async function operationRunDurations(
  db: Queryable,
  operationId: string,
  limit = OWN_SAMPLES,
): Promise<number[]> {
  const result = await db.query<{ seconds: number }>(
    `SELECT extract(epoch FROM finished_at - started_at)::float8 AS seconds FROM cluster_runs
      WHERE operation_id = $1 AND state = 'succeeded' AND started_at IS NOT NULL AND finished_at IS NOT NULL
      LIMIT $2`,
    [operationId, limit],
  );
  return result.rows.map((row) => row.seconds);
}

export interface WaveComposition {
  wave: number;
  kind: string;
  windows: Cluster['maintenanceWindows'];
  count: number;
}

/**
 * The operation's clusters per wave, counted by kind and maintenance windows (clusters since deleted are
 * left out); `noWave` is the wave number of the clusters the plan skipped.
 */
export async function waveComposition(db: Queryable, operationId: string, noWave: number): Promise<WaveComposition[]> {
  const result = await db.query<{ wave: number; kind: string; windows: Cluster['maintenanceWindows']; n: number }>(
    `SELECT r.wave, c.kind, c.maintenance_windows AS windows, count(*)::int AS n
       FROM cluster_runs r JOIN clusters c ON c.id = r.cluster_id
      WHERE r.operation_id = $1 AND r.wave <> $2
      GROUP BY r.wave, c.kind, c.maintenance_windows`,
    [operationId, noWave],
  );
  return result.rows.map((row) => ({ wave: row.wave, kind: row.kind, windows: row.windows, count: row.n }));
}
