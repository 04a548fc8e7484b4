// The API answers the CLI reads, typed from the domain where it defines them, so a renamed field breaks the build.
import type { Cluster } from '../domain/cluster';
import type { Forecast } from '../domain/forecast';
import type { buildStatus, RunCounts } from '../domain/operation-status';
import type { Plan, PlannedWave } from '../domain/planner';

export type { Cluster, RunCounts };

/** A plan as start and dryRun answer it; status answers may omit cluster ids of very large plans. */
export type PlanView = Pick<Plan, 'total' | 'skipped'> & {
  waves: (Omit<PlannedWave, 'clusterIds'> & { clusterIds?: string[]; size?: number })[];
  emptyWaves?: string[];
  skippedCount?: number;
};

type FullStatus = ReturnType<typeof buildStatus>;
export type WaveView = Pick<
  FullStatus['waves'][number],
  'number' | 'name' | 'size' | 'state' | 'counts' | 'approval' | 'approvedBy'
>;

export type OperationStatus = Pick<
  FullStatus,
  | 'id'
  | 'name'
  | 'state'
  | 'action'
  | 'startedBy'
  | 'createdAt'
  | 'currentWave'
  | 'pendingApproval'
  | 'pauseReason'
  | 'error'
  | 'counts'
  | 'inFlight'
  | 'note'
> & {
  waves: WaveView[];
  plan?: PlanView;
  alarms?: FullStatus['alarms'];
  forecast?: Pick<Forecast, 'expectedEndAt' | 'unknownWaits'> | null;
  frozen?: FullStatus['frozen'];
};

export interface StartAnswer {
  id: string;
  state: string;
  plan: PlanView;
}

export interface OperationListItem {
  id: string;
  name: string | null;
  state: string;
  action: string | null;
  targetVersion: string | null;
  startedAt: string | null;
  closedAt: string | null;
}

export interface AuditEventView {
  id: number;
  at: string;
  identity: string;
  role: string;
  action: string;
  targetId: string;
  payload: unknown;
}

export interface ClusterRunView {
  operationId: string;
  wave: number;
  state: string;
  fromVersion: string | null;
  toVersion: string | null;
  error: string | null;
  startedAt: string | null;
  finishedAt: string | null;
  /** Absent from servers older than adapter deadlines. */
  lastError?: string | null;
  adapterAttempts?: number;
}

/** One run of GET /v1/operations/:id/clusters. */
export interface OperationRunView extends ClusterRunView {
  clusterId: string;
  attempts: number;
  reason: string | null;
}

/** PATCH /v1/operations/:id: `wave` is echoed by servers that take it. */
export interface SetParallelAnswer {
  id: string;
  maxParallel?: number;
  wave?: number | null;
}

/**
 * What an operator action answers: 200 with the operation's status once the workflow applied it (its
 * `action` may be the report of the action rather than the operation's); 202 `outcome: "delivered"`
 * when no worker answered in time; older servers: 202 `{ id, accepted }`.
 */
export type ActionAnswer =
  | (Omit<Partial<OperationStatus>, 'action'> & { state: string; action?: unknown })
  | { id: string; name?: string; action?: string; outcome: 'delivered'; message: string }
  | { id: string; accepted: string };

/** PATCH /v1/operations/:id with maxFailures or bakeSeconds too: what changed, and in which waves. */
export interface EditAnswer extends SetParallelAnswer {
  maxFailures?: number;
  bakeSeconds?: number;
  waves?: number[];
}

/** A move or an append: the status after it, and what the workflow did. */
export type PlanEditAnswer = OperationStatus & {
  editResult:
    | { name: 'move'; editId: string; clusterId: string; fromWave: number; toWave: number; message: string }
    | { name: 'append'; editId: string; wave: { number: number; name: string; size: number }; message: string };
};

/** GET /v1/guard, and what PUT /v1/guard/limits answers. */
export type { GuardView } from '../domain/guard';
