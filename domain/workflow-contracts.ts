// The workflows' contracts: inputs, results, the state continue-as-new carries, and message payloads.
import type { AlarmSpec } from './alarms';
import type { Action, Limits, MonitorSpec } from './operation';
import type { OperationStateName, PauseReason, WaveStateName } from './states';

export type * from './wave-contracts';

/** A wave as the parent workflow carries it: settings and size, never the cluster ids. */
export interface WaveSummary {
  number: number;
  name: string;
  size: number;
  maxParallel: number;
  maxFailures: number;
  bakeSeconds: number;
  approval: 'none' | 'manual';
}

/** Input of fleetOperationWorkflow; the full plan lives in PostgreSQL (operations, cluster_runs). */
export interface OperationInput {
  operationId: string;
  name: string;
  action: Action;
  monitor: MonitorSpec;
  /** Absent in histories recorded before deadlines: the defaults apply. */
  limits?: Limits;
  /** Outside signals that pause the operation while they fire (absent or empty: none). */
  alarms?: AlarmSpec[];
  alarmIntervalSeconds?: number;
  waves: WaveSummary[];
  maxFailuresTotal: number | null;
  onFailure: 'pause' | 'abort';
  rollbackOnFailure: boolean;
  startedBy: string;
  createdAt: string;
  /** Whether the starter may approve their own waves (absent in older histories: no). */
  allowSelfApproval?: boolean;
  /** What to do with a cluster another operation holds (absent in older histories: skip, as then). */
  onLeased?: 'wait' | 'skip';
  /** ISO time after which no cluster starts: parked and queued ones end skipped (absent: none). */
  deadline?: string;
  /** Carried across continue-as-new. */
  carried?: OperationState;
}

export interface WaveStatus {
  number: number;
  name: string;
  state: WaveStateName;
  approvedBy: string | null;
  approvedAt: string | null;
  approvalComment: string | null;
  startedAt: string | null;
  finishedAt: string | null;
  /** Child workflow runs of this wave (a resume after a budget stop starts it again). */
  runs: number;
}

/** A cluster to work on and which operator attempt this is (the idempotency key's last part). */
export interface ClusterWork {
  clusterId: string;
  attempt: number;
}

/** Everything the status query returns and continue-as-new carries; counts are derived elsewhere. */
export interface OperationState {
  operationId: string;
  name: string;
  state: OperationStateName;
  pauseReason: PauseReason | null;
  currentWave: number | null;
  pendingApproval: { wave: number } | null;
  waves: WaveStatus[];
  /** setMaxParallel: applies to the running wave and every later one. */
  maxParallelOverride: number | null;
  /** setMaxParallel with `wave`: that wave only, by number (absent in older histories: none). */
  maxParallelByWave?: Record<string, number>;
  /**
   * Operator actions the REST path sent with an id, and what became of each, newest last and bounded:
   * the same action arriving again (an update retried, then sent as a signal) is answered, not repeated.
   */
  recentActions?: RecentAction[];
  /** Failed clusters the operator asked to run again, not yet handed to a wave. */
  pendingRetries: ClusterWork[];
  /** Operator attempt per retried cluster (absent = 1): the idempotency key's last part. */
  retryAttempts: Record<string, number>;
  /** Operator pause (between or within waves); cancel requested. */
  paused: boolean;
  cancelRequested: boolean;
  /** Index into `waves` of the wave being worked on; carried across continue-as-new. */
  waveIndex: number;
  /** Clusters the operator skipped (so a later wave leaves them out). */
  skipped: { clusterId: string; by: string }[];
  /**
   * Clusters of a stopped wave that never started; the wave takes them again on resume. Bounded: a wave
   * that pages its clusters hands back only what it had loaded (at most two pages), its parked clusters
   * and its retries; the rest stays pending in PostgreSQL and is paged in again after them.
   */
  notStarted: ClusterWork[];
  failuresTotal: number;
  /** The alarms firing at their last evaluation; resume is refused while any does (absent: none). */
  alarmsFiring?: FiringAlarm[];
  /**
   * The plan as edited while the operation runs (knobs changed, sizes after moves, appended waves), set by
   * the first live plan edit; absent: the input's waves, unchanged.
   */
  editedWaves?: WaveSummary[];
  /** Moves and appends written to PostgreSQL so far (absent: none): the recorded plan's `revision`. */
  planRevision?: number;
  error: string | null;
  startedBy: string;
  createdAt: string;
  updatedAt: string;
}

/** An alarm that fired, with what its source said. */
export interface FiringAlarm {
  name: string;
  message: string;
}

// ---- signal and update payloads ----
/**
 * Who asks. Signals sent from the Web UI or the temporal CLI name `by` only (via defaults to temporal);
 * the REST API adds via, its action id (so a repeat is applied once) and the caller's role.
 */
export interface ActorRef {
  by: string;
  via?: 'api' | 'temporal';
  actionId?: string;
  role?: string;
  /** The API request that sent it, for the audit row. */
  requestId?: string;
}
export interface ApproveWaveInput extends ActorRef {
  wave: number;
  comment?: string;
}
export interface ClusterRef extends ActorRef {
  clusterId: string;
}
export interface SetMaxParallelInput extends ActorRef {
  maxParallel: number;
  /** That wave only (by number); absent: the running wave and every later one. */
  wave?: number;
}

/** A wave found a fleet limit tripped (its select, or a failure it recorded). */
export interface GuardTripped {
  limit: string;
  wave: number;
  clusterId: string;
}

export const OPERATOR_ACTIONS = ['pause', 'resume', 'cancel', 'approve', 'retry', 'skip'] as const;
export type OperatorActionName = (typeof OPERATOR_ACTIONS)[number];

/** The REST path's operator action, sent as an update so the answer says what the workflow did. */
export type OperatorActionInput = ActorRef & {
  action: OperatorActionName;
  wave?: number;
  clusterId?: string;
  comment?: string;
};

export interface RecentAction extends ActionOutcome {
  actionId: string;
}

/** What the workflow did with an operator action; `reason` is the error code of a rejection. */
export interface ActionOutcome {
  outcome: 'applied' | 'rejected';
  reason?: string;
  message: string;
}

/** Failure types the engine never retries by itself (an operator may retry the cluster). */
export const PERMANENT_FAILURE_TYPES = [
  'ClusterApplyRejected',
  'ClusterApplyFailed',
  'ClusterNotFound',
  'ClusterUnhealthy',
  'DeadlineExceeded',
];

/** A wave as the operation's state holds it before it starts. */
export function pendingWaveStatus(number: number, name: string): WaveStatus {
  const none = { approvedBy: null, approvedAt: null, approvalComment: null, startedAt: null, finishedAt: null };
  return { number, name, state: 'pending', ...none, runs: 0 };
}
