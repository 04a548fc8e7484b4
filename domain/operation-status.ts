// Status assembly: one operation's answer from its recorded plan, the run counts in PostgreSQL and what
// Temporal says live; pure, so every rule of the answer is unit-testable.
import {
  FINAL_OPERATION_STATES,
  IN_FLIGHT_RUN_STATES,
  PARKED_RUN_STATES,
  type OperationStateName,
  type PauseReason,
  type RunState,
  type WaveStateName,
} from './states';
import type { RecordedOperation } from './operation-start';
import type { Plan } from './planner';
import type { AlarmStatus } from './alarms';
import { describeRule } from './health-rules';
import { knobsOf, type WaveKnobs } from './plan-edits';
import type { FiringAlarm, OperationState, WaveStatus } from './workflow-contracts';

type CountKey = 'pending' | 'running' | 'succeeded' | 'failed' | 'rolled_back' | 'skipped' | 'waiting';
export type RunCounts = { total: number } & Record<CountKey, number>;

export const emptyCounts = (): RunCounts => ({
  total: 0,
  pending: 0,
  running: 0,
  succeeded: 0,
  failed: 0,
  rolled_back: 0,
  skipped: 0,
  waiting: 0,
});

/** The count a run state adds to: parked runs are `waiting` (they hold no slot), in-flight ones `running`. */
function countKeyOf(state: RunState): CountKey {
  if (PARKED_RUN_STATES.includes(state)) return 'waiting';
  if (IN_FLIGHT_RUN_STATES.includes(state)) return 'running';
  return state as CountKey;
}

/** Folds (wave, state, count) rows into per-wave counts and operation counts. */
function tallyRuns(rows: readonly { wave: number; state: RunState; count: number }[], noWave: number) {
  const operation = emptyCounts();
  const byWave = new Map<number, RunCounts>();
  for (const { wave, state, count } of rows) {
    const key = countKeyOf(state);
    // Clusters the planner skipped belong to no wave and are listed in plan.skipped, so the
    // operation counts add up to plan.total, as the waves' counts do.
    if (wave === noWave) continue;
    const perWave = byWave.get(wave) ?? emptyCounts();
    byWave.set(wave, perWave);
    for (const tally of [operation, perWave]) {
      tally.total += count;
      tally[key] += count;
    }
  }
  return { operation, byWave };
}

/** Above this many clusters a status answer carries wave sizes, not ids (GET …/clusters pages them). */
const PLAN_IDS_LIMIT = 1000;

function compactPlan(plan: Plan, limit = PLAN_IDS_LIMIT) {
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

/**
 * What the operation workflow writes to PostgreSQL whenever it changes (operation_status_snapshots): all a
 * status answer needs of the workflow's state, never per-cluster data, so it stays a few hundred bytes
 * per wave. The status query's full state has these fields too, so either serves as the live view.
 */
export interface StatusSnapshot {
  state: OperationStateName;
  pauseReason: PauseReason | null;
  currentWave: number | null;
  pendingApproval: { wave: number } | null;
  maxParallelOverride: number | null;
  error: string | null;
  failuresTotal: number;
  alarmsFiring?: FiringAlarm[];
  updatedAt: string;
  waves: Omit<WaveStatus, 'runs'>[];
  /** Moves and appends the recorded plan holds (absent: none): a reader's copy of an older plan is stale. */
  planRevision?: number;
  /** Each wave's knobs as it runs them, once the plan was edited live (absent: as planned). */
  waveKnobs?: (WaveKnobs & { number: number })[];
}

/** The snapshot of a workflow's state: pure and deterministic, so the workflow can compare it with the last written. */
export function snapshotOf(state: OperationState): StatusSnapshot {
  return {
    state: state.state,
    pauseReason: state.pauseReason,
    currentWave: state.currentWave,
    pendingApproval: state.pendingApproval ? { wave: state.pendingApproval.wave } : null,
    maxParallelOverride: state.maxParallelOverride,
    error: state.error,
    failuresTotal: state.failuresTotal,
    alarmsFiring: (state.alarmsFiring ?? []).map(({ name, message }) => ({ name, message })),
    updatedAt: state.updatedAt,
    waves: state.waves.map(({ runs: _runs, ...wave }) => ({ ...wave })),
    ...(state.planRevision ? { planRevision: state.planRevision } : {}),
    ...(state.editedWaves
      ? { waveKnobs: state.editedWaves.map((wave) => ({ number: wave.number, ...knobsOf(state, wave) })) }
      : {}),
  };
}

/**
 * What the workflow tells about itself: the snapshot it last wrote to PostgreSQL, else (an operation whose
 * workflow has written none yet) the status query when a worker answers, else describe.
 */
export interface LiveView {
  source: 'snapshot' | 'query' | 'describe' | 'none';
  state: OperationStateName | 'unknown';
  op: StatusSnapshot | null;
  workflowStatus: string | null;
  note: string | null;
}

/** What the service gathered for one status answer. */
export interface StatusSources {
  record: RecordedOperation;
  live: LiveView;
  counts: readonly { wave: number; state: RunState; count: number; lastUpdate: string | null }[];
  inFlight: readonly { clusterId: string; wave: number; state: RunState; startedAt: string | null }[];
  /** The last evaluation of each alarm (operation_alarms). */
  alarms: readonly AlarmStatus[];
  /** Per wave, clusters whose shadow rules were evaluated (rule null) and those that broke each rule. */
  shadow?: readonly { wave: number; rule: string | null; count: number }[];
  noWave: number;
  /** Freezes hold every cluster the operation has not finished (absent or null: they do not). */
  frozen?: { freezes: string[]; until: string } | null;
}

/**
 * Each shadow rule of the operation (monitor.shadowRequire) for one wave: how many of its monitored clusters
 * would have failed it had it been enforced, out of how many it was evaluated on.
 */
function shadowOf(record: RecordedOperation, wave: number, counts: StatusSources['shadow']) {
  const rules = record.request.monitor.shadowRequire ?? [];
  const inWave = (counts ?? []).filter((row) => row.wave === wave);
  const evaluated = inWave.find((row) => row.rule === null)?.count ?? 0;
  return rules.map(describeRule).map((rule) => ({
    rule,
    wouldFail: inWave.find((row) => row.rule === rule)?.count ?? 0,
    evaluated,
  }));
}

/**
 * Every alarm the operation names, as last evaluated; one not evaluated yet shows as such. An alarm the
 * workflow still holds as firing shows firing until it has taken the newer evaluation, so a status that
 * says no alarm fires means resume will be accepted.
 */
function alarmsOf(record: RecordedOperation, evaluated: readonly AlarmStatus[], op: StatusSnapshot | null) {
  const byName = new Map(evaluated.map((alarm) => [alarm.name, alarm]));
  const held = new Set((op?.alarmsFiring ?? []).map((alarm) => alarm.name));
  // Operations recorded before alarms existed have none in their request.
  return (record.request.alarms ?? []).map(({ name }) => {
    const last = byName.get(name);
    if (!last) return { name, firing: held.has(name), message: 'not evaluated yet', checkedAt: null, errorsInARow: 0 };
    const pending = held.has(name) && !last.firing;
    return {
      name,
      firing: last.firing || held.has(name),
      message: pending ? `${last.message} (not yet taken by the operation)` : last.message,
      checkedAt: last.checkedAt,
      errorsInARow: last.consecutiveErrors,
    };
  });
}

/** A wave's state from its counts alone, for when no worker answers the status query. */
function waveStateFromCounts(counts: RunCounts, size: number, operationEnded: boolean): WaveStateName {
  const done = counts.succeeded + counts.failed + counts.rolled_back + counts.skipped;
  if (size > 0 && done >= size) return 'completed';
  if (counts.running + counts.waiting === 0 && done === 0) return operationEnded ? 'cancelled' : 'pending';
  return operationEnded ? 'stopped' : 'running';
}

export function buildStatus({ record, live, counts, inFlight, alarms, shadow, noWave, frozen }: StatusSources) {
  const { op } = live;
  const tally = tallyRuns(counts, noWave);
  const ended = live.state !== 'unknown' && FINAL_OPERATION_STATES.includes(live.state);
  const updatedAt = [record.createdAt, op?.updatedAt, ...counts.map((row) => row.lastUpdate)]
    .filter((time): time is string => typeof time === 'string')
    .reduce((latest, time) => (latest > time ? latest : time));
  const waves = record.plan.waves.map((planned) => {
    const waveCounts = tally.byWave.get(planned.number) ?? emptyCounts();
    const reported = op?.waves.find((wave) => wave.number === planned.number);
    const knobs = op?.waveKnobs?.find((wave) => wave.number === planned.number);
    return {
      number: planned.number,
      name: planned.name,
      size: planned.clusterIds.length,
      maxParallel: knobs?.maxParallel ?? op?.maxParallelOverride ?? planned.maxParallel,
      maxFailures: knobs?.maxFailures ?? planned.maxFailures,
      bakeSeconds: knobs?.bakeSeconds ?? planned.bakeSeconds,
      approval: planned.approval,
      state: reported?.state ?? waveStateFromCounts(waveCounts, planned.clusterIds.length, ended),
      counts: waveCounts,
      approvedBy: reported?.approvedBy ?? null,
      approvedAt: reported?.approvedAt ?? null,
      approvalComment: reported?.approvalComment ?? null,
      startedAt: reported?.startedAt ?? null,
      finishedAt: reported?.finishedAt ?? null,
      shadow: shadowOf(record, planned.number, shadow),
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
    alarms: alarmsOf(record, alarms, op),
    ...(frozen && !ended ? { frozen } : {}),
    // Where state came from: `query` (live), `describe` (no worker answered) or `none` (no workflow).
    source: live.source,
    workflowStatus: live.workflowStatus,
    note: live.note,
  };
}
