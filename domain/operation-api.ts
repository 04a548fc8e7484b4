// The /v1/operations contract: zod schemas for params, queries and bodies, and the pure rules that shape answers.
import { z } from 'zod';
import {
  FINAL_OPERATION_STATES,
  IN_FLIGHT_RUN_STATES,
  OPERATION_STATES,
  RUN_STATES,
  type OperationStateName,
  type RunState,
  type WaveStateName,
} from './states';
import type { OperationInput, OperationState } from './workflow-contracts';
import { FleetError } from './errors';
import { OPERATION_NAME_PATTERN, type OperationRequest } from './operation';
import { planOperation, type Plan } from './planner';
import type { PlannableCluster } from './selector';

/** An operation id is `<name ≤ 48>-<6 hex>` (domain/ids.ts); anything else cannot exist. */
export const OperationIdSchema = z.string().regex(/^[a-z0-9][a-z0-9._-]{0,62}$/, 'is not an operation id');

/** Idempotency-Key header: printable ASCII, so it is safe to store, log and compare. */
export const IdempotencyKeySchema = z
  .string()
  .min(1)
  .max(200)
  .regex(/^[\x21-\x7e]+$/, 'must be printable ASCII without spaces');

const booleanFlag = z.enum(['true', 'false']).transform((v) => v === 'true');

const intParam = (min: number, max: number, what: string) =>
  z
    .string()
    .regex(/^\d+$/, `${what} must be an integer`)
    .transform(Number)
    .pipe(z.number().int().min(min, `${what} must be at least ${min}`).max(max, `${what} must be at most ${max}`));

const cursorParam = z
  .string()
  .min(1)
  .max(400)
  .regex(/^[A-Za-z0-9_-]+$/, 'use the value returned as the next cursor');

export const StartQuerySchema = z.object({ dryRun: booleanFlag.default(false) }).strict();

export const OperationListQuerySchema = z
  .object({
    state: z.enum(OPERATION_STATES).optional(),
    name: z.string().regex(OPERATION_NAME_PATTERN, 'must be an operation name').optional(),
    limit: intParam(1, 1000, 'limit').default(50),
    pageToken: cursorParam.optional(),
  })
  .strict();
export type OperationListQuery = z.output<typeof OperationListQuerySchema>;

/** `state` takes one run state or a comma-separated list (state=failed,rolled_back). */
export const RunListQuerySchema = z
  .object({
    state: z
      .string()
      .transform((s) =>
        s
          .split(',')
          .map((v) => v.trim())
          .filter((v) => v.length > 0),
      )
      .pipe(z.array(z.enum(RUN_STATES)).min(1))
      .optional(),
    // 0 is where the planner puts clusters it skipped (already at target).
    wave: intParam(0, 10_000, 'wave').optional(),
    limit: intParam(1, 1000, 'limit').default(100),
    cursor: cursorParam.optional(),
  })
  .strict();
export type RunListQuery = z.output<typeof RunListQuerySchema>;

export const EventListQuerySchema = z
  .object({ limit: intParam(1, 1000, 'limit').default(100), cursor: cursorParam.optional() })
  .strict();
export type EventListQuery = z.output<typeof EventListQuerySchema>;

/** pause, resume, cancel, retry, skip: no body, or an optional reason kept in the audit log. */
export const ActionBodySchema = z.object({ reason: z.string().min(1).max(500).optional() }).strict();
export type ActionBody = z.output<typeof ActionBodySchema>;

export const ApproveBodySchema = z
  .object({
    wave: z.number().int().min(1),
    comment: z.string().max(1000).optional(),
  })
  .strict();
export type ApproveBody = z.output<typeof ApproveBodySchema>;

export const PatchOperationBodySchema = z.object({ maxParallel: z.number().int().min(1).max(1000) }).strict();
export type PatchOperationBody = z.output<typeof PatchOperationBodySchema>;

// ---- pure rules the operations service applies to what Temporal and PostgreSQL report ----

export const COUNT_KEYS = ['pending', 'running', 'succeeded', 'failed', 'rolled_back', 'skipped'] as const;
export type RunCounts = { total: number } & Record<(typeof COUNT_KEYS)[number], number>;

export const emptyCounts = (): RunCounts => ({
  total: 0,
  pending: 0,
  running: 0,
  succeeded: 0,
  failed: 0,
  rolled_back: 0,
  skipped: 0,
});

/** Folds (wave, state, count) rows into per-wave counts and operation counts; in-flight states count as `running`. */
export function tallyRuns(rows: readonly { wave: number; state: RunState; count: number }[], noWave: number) {
  const operation = emptyCounts();
  const byWave = new Map<number, RunCounts>();
  for (const { wave, state, count } of rows) {
    const key = (IN_FLIGHT_RUN_STATES.includes(state) ? 'running' : state) as (typeof COUNT_KEYS)[number];
    // Clusters the planner skipped belong to no wave and are listed in plan.skipped, so the
    // operation counts add up to plan.total, as the waves' counts do.
    if (wave === noWave) continue;
    const perWave = byWave.get(wave) ?? emptyCounts();
    byWave.set(wave, perWave);
    for (const c of [operation, perWave]) {
      c.total += count;
      c[key] += count;
    }
  }
  return { operation, byWave };
}

/** Above this many clusters a status answer carries wave sizes, not ids (GET …/clusters pages them). */
export const PLAN_IDS_LIMIT = 1000;

export function compactPlan(plan: Plan, limit = PLAN_IDS_LIMIT) {
  const waves = plan.waves.map((w) => ({ ...w, size: w.clusterIds.length }));
  if (plan.total + plan.skipped.length <= limit)
    return { ...plan, waves, skippedCount: plan.skipped.length, clusterIdsOmitted: false };
  return {
    ...plan,
    waves: waves.map(({ clusterIds: _ids, ...wave }) => wave),
    skipped: plan.skipped.slice(0, limit),
    skippedCount: plan.skipped.length,
    clusterIdsOmitted: true,
  };
}

// Values of temporal.api.enums.v1.WorkflowExecutionStatus, as a raw list call returns them.
const EXECUTION_STATUS = [
  'UNSPECIFIED',
  'RUNNING',
  'COMPLETED',
  'FAILED',
  'CANCELLED',
  'TERMINATED',
  'CONTINUED_AS_NEW',
  'TIMED_OUT',
];
export const executionStatusName = (code: number | null | undefined) => EXECUTION_STATUS[code ?? 0] ?? 'UNSPECIFIED';

const ENDED_AS: Record<string, OperationStateName> = {
  COMPLETED: 'completed',
  FAILED: 'failed',
  TIMED_OUT: 'failed',
  CANCELLED: 'cancelled',
  TERMINATED: 'cancelled',
};

/**
 * The operation state when only Temporal's execution status and the FleetState search attribute are
 * known: a running workflow is what it last recorded; a workflow that returned may have recorded how
 * it ended (failed, cancelled); a terminated or timed-out one could not record anything.
 */
export function stateFromExecution(status: string, recorded: unknown): OperationStateName {
  const known = (OPERATION_STATES as readonly unknown[]).includes(recorded)
    ? (recorded as OperationStateName)
    : undefined;
  if (status === 'RUNNING') return known ?? 'running';
  if (status === 'COMPLETED' && known && FINAL_OPERATION_STATES.includes(known)) return known;
  return ENDED_AS[status] ?? known ?? 'running';
}

/** A visibility string literal; names are validated already, this keeps a quote from ever ending one. */
export const visibilityLiteral = (value: string) => `'${value.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;

const live = (state: string) => `ExecutionStatus = 'Running' AND FleetState = ${visibilityLiteral(state)}`;
/** The same rule as stateFromExecution, as a visibility query per state. */
const STATE_CLAUSES: Record<OperationStateName, string> = {
  planning: live('planning'),
  running: live('running'),
  awaiting_approval: live('awaiting_approval'),
  paused: live('paused'),
  completed: `ExecutionStatus = 'Completed' AND FleetState NOT IN ('failed', 'cancelled')`,
  failed: `(ExecutionStatus IN ('Failed', 'TimedOut') OR (ExecutionStatus = 'Completed' AND FleetState = 'failed'))`,
  cancelled: `(ExecutionStatus IN ('Canceled', 'Terminated') OR (ExecutionStatus = 'Completed' AND FleetState = 'cancelled'))`,
};

export function operationListQuery(
  workflowType: string,
  filter: { state?: OperationStateName; name?: string },
): string {
  // Each continue-as-new leaves a closed run behind: list only the live or final one.
  const clauses = [`WorkflowType = ${visibilityLiteral(workflowType)}`, `ExecutionStatus != 'ContinuedAsNew'`];
  if (filter.name) clauses.push(`FleetOperationName = ${visibilityLiteral(filter.name)}`);
  if (filter.state) clauses.push(STATE_CLAUSES[filter.state]);
  return clauses.join(' AND ');
}

/** One line for the Web UI's summary and a few for its details, so a person sees what runs. */
export function describeOperation(
  request: OperationRequest,
  plan: Plan,
  startedBy: string,
): { summary: string; details: string } {
  const { action } = request;
  const what =
    action.type === 'upgrade'
      ? `upgrade to ${action.targetVersion}`
      : action.type === 'config'
        ? `config change (${Object.keys(action.settings).join(', ')})`.slice(0, 120)
        : 'rolling restart';
  const summary = `${what} · ${plan.total} clusters in ${plan.waves.length} wave${plan.waves.length === 1 ? '' : 's'}`;
  const waves = plan.waves
    .slice(0, 20)
    .map(
      (w) =>
        `${w.number}. ${w.name}: ${w.clusterIds.length} clusters, maxParallel ${w.maxParallel}${w.approval === 'manual' ? ', manual approval' : ''}`,
    );
  if (plan.waves.length > 20) waves.push(`… and ${plan.waves.length - 20} more waves`);
  const details = [
    `**${request.name}** started by ${startedBy}`,
    ...waves,
    `skipped at plan: ${plan.skipped.length}; on failure: ${request.onFailure}; rollback: ${request.rollbackOnFailure}`,
  ].join('\n');
  return { summary, details };
}

/** Fails the way the API answers: an empty selection (planner) or nothing left to do is a 400. */
export function planOrThrow(request: OperationRequest, clusters: readonly PlannableCluster[]): Plan {
  const plan = planOperation(request, clusters);
  if (plan.total === 0) {
    throw new FleetError(
      400,
      'nothing_to_do',
      `every selected cluster (${plan.skipped.length}) is already at the target; nothing to do`,
      plan.skipped
        .slice(0, 100)
        .map((s) => ({ path: s.clusterId, message: s.reason, clusterId: s.clusterId, reason: s.reason })),
    );
  }
  return plan;
}

/** What Temporal tells about the workflow: the status query when a worker answers, else describe. */
export interface LiveView {
  source: 'query' | 'describe' | 'none';
  state: OperationStateName | 'unknown';
  op: OperationState | null;
  workflowStatus: string | null;
  note: string | null;
}

/** An operation as recorded at start (db/operations.ts keeps it). */
export interface RecordedOperation {
  id: string;
  name: string;
  request: OperationRequest;
  plan: Plan;
  startedBy: string;
  createdAt: string;
}

/** The workflow's input: wave settings and sizes only; cluster ids stay in PostgreSQL (cluster_runs). */
export function operationInput(op: RecordedOperation): OperationInput {
  const { request } = op;
  return {
    operationId: op.id,
    name: op.name,
    action: request.action,
    monitor: request.monitor,
    waves: op.plan.waves.map(({ clusterIds, ...w }) => ({ ...w, size: clusterIds.length })),
    maxFailuresTotal: request.maxFailuresTotal ?? null,
    onFailure: request.onFailure,
    rollbackOnFailure: request.rollbackOnFailure,
    startedBy: op.startedBy,
    createdAt: op.createdAt,
  };
}

/** JSON with object keys sorted at every level, so equal requests hash equally whatever the key order. */
export const canonicalJson = (value: unknown): string => {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value === null || typeof value !== 'object') return JSON.stringify(value);
  const entries = Object.entries(value as Record<string, unknown>).filter(([, v]) => v !== undefined);
  entries.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
};

/** What the service gathered for one status answer. */
export interface StatusSources {
  record: RecordedOperation;
  live: LiveView;
  counts: readonly { wave: number; state: RunState; count: number; lastUpdate: string | null }[];
  inFlight: readonly { clusterId: string; wave: number; state: RunState; startedAt: string | null }[];
  noWave: number;
}

/** A wave's state from its counts alone, for when no worker answers the status query. */
function waveStateFromCounts(c: RunCounts, size: number, operationEnded: boolean): WaveStateName {
  const done = c.succeeded + c.failed + c.rolled_back + c.skipped;
  if (size > 0 && done >= size) return 'completed';
  if (c.running === 0 && done === 0) return operationEnded ? 'cancelled' : 'pending';
  return operationEnded ? 'stopped' : 'running';
}

export function buildStatus({ record, live, counts, inFlight, noWave }: StatusSources) {
  const { op } = live;
  const tally = tallyRuns(counts, noWave);
  const ended = live.state !== 'unknown' && FINAL_OPERATION_STATES.includes(live.state);
  const updatedAt = [record.createdAt, op?.updatedAt, ...counts.map((c) => c.lastUpdate)]
    .filter((t): t is string => typeof t === 'string')
    .reduce((a, b) => (a > b ? a : b));
  const waves = record.plan.waves.map((w) => {
    const waveCounts = tally.byWave.get(w.number) ?? emptyCounts();
    const ws = op?.waves.find((x) => x.number === w.number);
    return {
      number: w.number,
      name: w.name,
      size: w.clusterIds.length,
      maxParallel: op?.maxParallelOverride ?? w.maxParallel,
      maxFailures: w.maxFailures,
      bakeSeconds: w.bakeSeconds,
      approval: w.approval,
      state: ws?.state ?? waveStateFromCounts(waveCounts, w.clusterIds.length, ended),
      counts: waveCounts,
      approvedBy: ws?.approvedBy ?? null,
      approvedAt: ws?.approvedAt ?? null,
      approvalComment: ws?.approvalComment ?? null,
      startedAt: ws?.startedAt ?? null,
      finishedAt: ws?.finishedAt ?? null,
    };
  });
  return {
    id: record.id,
    name: record.name,
    state: live.state,
    action: record.request.action,
    startedBy: record.startedBy,
    createdAt: record.createdAt,
    updatedAt,
    plan: compactPlan(record.plan),
    currentWave: op?.currentWave ?? null,
    pendingApproval: op?.pendingApproval ?? null,
    pauseReason: op?.pauseReason ?? null,
    error: op?.error ?? null,
    maxParallelOverride: op?.maxParallelOverride ?? null,
    counts: tally.operation,
    waves,
    inFlight,
    // Where state came from: `query` (live), `describe` (no worker answered) or `none` (no workflow).
    source: live.source,
    workflowStatus: live.workflowStatus,
    note: live.note,
  };
}
