// The fleet figures the API's /metrics shows: clusters by cloud and environment, leases held, and runs of
// operations that still have work — one round trip, bounded by a statement timeout of its own.
import type { RunState } from '../domain/states';
import { withTransaction, type Db } from './pool';

export interface FleetGaugeRow {
  metric: 'clusters' | 'leases' | 'runs';
  /** clusters: cloud; runs: run state. */
  a: string | null;
  /** clusters: environment; runs: action type. */
  b: string | null;
  n: number;
}

// Runs are counted for operations that still have unfinished clusters: a gauge of every run ever
// would only grow, and would scan the whole history at every scrape.
const FLEET_SQL = `
  SELECT 'clusters' AS metric, cloud AS a, environment AS b, count(*)::int AS n FROM clusters GROUP BY cloud, environment
  UNION ALL
  SELECT 'leases', NULL, NULL, count(*)::int FROM leases
  UNION ALL
  SELECT 'runs', r.state, COALESCE(o.request->'action'->>'type', 'unknown'), count(*)::int
    FROM cluster_runs r JOIN operations o ON o.id = r.operation_id
   WHERE r.operation_id IN (SELECT DISTINCT operation_id FROM cluster_runs WHERE state = ANY($1::text[]))
   GROUP BY 2, 3`;

export async function readFleetGauges(
  db: Db,
  unfinishedRunStates: readonly RunState[],
  timeoutMs: number,
): Promise<FleetGaugeRow[]> {
  return withTransaction(db, async (tx) => {
    // The server gives up too, so a slow scrape never keeps working after the caller stopped waiting.
    await tx.query("SELECT set_config('statement_timeout', $1, true)", [String(timeoutMs)]);
    const result = await tx.query<FleetGaugeRow>(FLEET_SQL, [unfinishedRunStates]);
    return result.rows;
  });
}
