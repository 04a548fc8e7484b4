// Forecasts for the dry-run plan and the status: gathers what the model in domain/forecast.ts needs. The
// duration statistics are cached per (kind, action, target) for `cacheMs` and shared by every request, an
// operation's own durations per operation for as long, and its clusters' kinds and windows once per plan revision.
import type { OperationRecord } from '../../db/operations';
import type { Db } from '../../db/pool';
import { operationRunDurations, recentRunDurations, waveComposition } from '../../db/run-durations';
import type { Cluster } from '../../domain/cluster';
import {
  defaultTiming,
  durationStats,
  forecastPlan,
  groupClusters,
  kindBasis,
  type ClusterGroup,
  type DurationSample,
  type DurationStats,
  type Forecast,
  type ForecastWave,
  type KindBasis,
} from '../../domain/forecast';
import { forecastProgress } from '../../domain/forecast-progress';
import type { OperationRequest } from '../../domain/operation';
import type { buildStatus } from '../../domain/operation-status';
import type { Plan } from '../../domain/planner';
import { FINAL_OPERATION_STATES } from '../../domain/states';
import { createSingleFlight } from './single-flight';

export interface ForecastDeps {
  db: Db;
  /** How long duration statistics are reused before the next request reads them again. */
  cacheMs: number;
  /** The wave number of the clusters a plan skipped (db/operations NO_WAVE). */
  noWave: number;
}

type Status = ReturnType<typeof buildStatus>;

/** Operations whose clusters' kinds and windows a process keeps. */
const COMPOSITIONS_KEPT = 1000;
/** Every cached answer has this one version: reuse is decided by age alone. */
const UNVERSIONED = 0;

export function createForecasts({ db, cacheMs, noWave }: ForecastDeps) {
  const samples = createSingleFlight<DurationSample[]>(cacheMs);
  const own = createSingleFlight<DurationStats>(cacheMs);
  const compositions = createSingleFlight<Map<number, ClusterGroup[]>>(Number.POSITIVE_INFINITY, COMPOSITIONS_KEPT);

  /** How each kind of the request's clusters is timed, from the cached durations of its kind and action. */
  function kindsOf(request: OperationRequest, clustersByKind: Map<string, number>): Promise<KindBasis[]> {
    const actionType = request.action.type;
    const targetVersion = request.action.type === 'upgrade' ? request.action.targetVersion : null;
    return Promise.all(
      [...clustersByKind].map(async ([kind, clusters]) => {
        const key = JSON.stringify([kind, actionType, targetVersion]);
        const found = await samples.get(key, UNVERSIONED, async () => ({
          version: UNVERSIONED,
          value: await recentRunDurations(db, { kind, actionType, targetVersion }),
        }));
        return kindBasis(kind, clusters, found, request.monitor);
      }),
    );
  }

  /**
   * The operation's clusters per wave, grouped by kind and windows: read once per plan revision (a live plan
   * edit that moves a cluster or appends a wave moves the revision on).
   */
  function compositionOf(operationId: string, revision: number): Promise<Map<number, ClusterGroup[]>> {
    return compositions.get(`${operationId}@${revision}`, UNVERSIONED, async () => {
      const byWave = new Map<number, ClusterGroup[]>();
      for (const row of await waveComposition(db, operationId, noWave)) {
        const groups = byWave.get(row.wave) ?? [];
        groups.push({ kind: row.kind, count: row.count, windows: row.windows });
        byWave.set(row.wave, groups);
      }
      return { version: UNVERSIONED, value: byWave };
    });
  }

  const ownOf = (operationId: string) =>
    own.get(operationId, UNVERSIONED, async () => ({
      version: UNVERSIONED,
      value: durationStats(await operationRunDurations(db, operationId)),
    }));

  return {
    /** The forecast of a plan about to start (a dry run). */
    async forPlan(request: OperationRequest, plan: Plan, clusters: readonly Cluster[], now: Date): Promise<Forecast> {
      const byId = new Map(clusters.map((c) => [c.id, c]));
      const waves: ForecastWave[] = plan.waves.map((w) => ({
        number: w.number,
        maxParallel: w.maxParallel,
        bakeSeconds: w.bakeSeconds,
        approval: w.approval,
        groups: groupClusters(w.clusterIds.flatMap((id) => byId.get(id) ?? [])),
      }));
      const kinds = await kindsOf(request, countByKind(waves));
      return forecastPlan({ waves, kinds, defaults: defaultTiming(request.monitor), now });
    },

    /** The forecast of an operation from its status; null once it has ended (or its state is unknown). */
    async forStatus(record: OperationRecord, status: Status): Promise<Forecast | null> {
      if (status.state === 'unknown' || FINAL_OPERATION_STATES.includes(status.state)) return null;
      const composition = await compositionOf(record.id, record.plan.revision ?? 0);
      const waves: ForecastWave[] = status.waves.map((w) => ({
        number: w.number,
        maxParallel: w.maxParallel,
        bakeSeconds: w.bakeSeconds,
        approval: w.approval,
        groups: composition.get(w.number) ?? [],
      }));
      const [kinds, ownStats] = await Promise.all([kindsOf(record.request, countByKind(waves)), ownOf(record.id)]);
      return forecastProgress({
        waves,
        progress: status.waves,
        inFlight: status.inFlight,
        kinds,
        defaults: defaultTiming(record.request.monitor),
        own: ownStats,
        state: status.state,
        pauseReason: status.pauseReason,
        start: new Date(record.createdAt),
        asOf: new Date(status.updatedAt),
      });
    },
  };
}

export type Forecasts = ReturnType<typeof createForecasts>;

/** Clusters of each kind over every wave, in the order the kinds first appear. */
function countByKind(waves: readonly ForecastWave[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const g of waves.flatMap((w) => w.groups)) counts.set(g.kind, (counts.get(g.kind) ?? 0) + g.count);
  return counts;
}
