// The operation's state as one named object, with the operator's controls as its methods; the
// fleetOperationWorkflow registers these as signal and update handlers and drives the waves.
import {
  condition,
  log,
  patched,
  setCurrentDetails,
  upsertSearchAttributes,
  uuid4,
  type ChildWorkflowHandle,
} from '@temporalio/workflow';
import { snapshotOf } from '../domain/operation-status';
import { appliedMessage, check, readAction, type ReadAction } from '../domain/operator-actions';
import { FINAL_OPERATION_STATES, type OperationStateName, type PauseReason } from '../domain/states';
import { FLEET_STATE } from '../domain/search-attributes';
import type {
  ActionOutcome,
  ActorRef,
  ApproveWaveInput,
  ClusterRef,
  ClusterWork,
  FiringAlarm,
  OperationInput,
  OperationState,
  OperatorActionName,
  SetMaxParallelInput,
  WaveResult,
  WaveStatus,
} from '../domain/workflow-contracts';
import { BOOKKEEPING_OPTIONS, bookkeeping, withSummary } from './activity-options';
import {
  waveCancelSignal,
  wavePauseSignal,
  waveResumeSignal,
  waveRetrySignal,
  waveSetMaxParallelSignal,
  waveSkipSignal,
} from './messages';
import type { waveWorkflow } from './wave';

type WaveHandle = ChildWorkflowHandle<typeof waveWorkflow>;

export const now = (): string => new Date().toISOString();

/** Operator actions since this patch are checked, answered and audited by the workflow itself. */
export const GOVERNED_ACTIONS_PATCH = 'governed-operator-actions';
/**
 * Since this patch the workflow writes a snapshot of its state to PostgreSQL whenever it changes, and an
 * operator action is answered only once the snapshot that shows it is written: the API serves status from
 * it, on every replica, without querying the workflow.
 */
export const STATUS_SNAPSHOT_PATCH = 'status-snapshot';
/** How many answered actions the state keeps to recognise a repeat (an update retried as a signal). */
const RECENT_ACTIONS_KEPT = 100;

function initialState(input: OperationInput): OperationState {
  return {
    operationId: input.operationId,
    name: input.name,
    state: 'running',
    pauseReason: null,
    currentWave: null,
    pendingApproval: null,
    waves: input.waves.map((w): WaveStatus => ({
      number: w.number,
      name: w.name,
      state: 'pending',
      approvedBy: null,
      approvedAt: null,
      approvalComment: null,
      startedAt: null,
      finishedAt: null,
      runs: 0,
    })),
    maxParallelOverride: null,
    pendingRetries: [],
    retryAttempts: {},
    paused: false,
    cancelRequested: false,
    waveIndex: 0,
    skipped: [],
    notStarted: [],
    failuresTotal: 0,
    error: null,
    startedBy: input.startedBy,
    createdAt: input.createdAt,
    updatedAt: input.createdAt,
  };
}

export class OperationRun {
  /** What the status query returns and continue-as-new carries. */
  readonly state: OperationState;
  /** The running wave's child workflow: set from the moment it is asked to start until it closes. */
  private waveStarting: Promise<WaveHandle> | undefined;
  /** The same child once it runs (histories from before relays waited for a starting child read this). */
  private waveStarted: WaveHandle | undefined;
  /** The last relay to the wave, so the next one is sent only after it was delivered. */
  private relayed: Promise<void> = Promise.resolve();
  /** Actions being answered right now, by action id: a repeat arriving meanwhile waits for the same answer. */
  private readonly answering = new Map<string, Promise<ActionOutcome>>();
  private readonly allowSelfApproval: boolean;
  /** The snapshot last written to PostgreSQL (as JSON), while snapshots are written (see startStatusSnapshots). */
  private snapshots: { written: string } | undefined;

  constructor(input: OperationInput) {
    this.state = input.carried ?? initialState(input);
    this.allowSelfApproval = input.allowSelfApproval ?? false;
  }

  get operationId(): string {
    return this.state.operationId;
  }

  isFinal(): boolean {
    return FINAL_OPERATION_STATES.includes(this.state.state);
  }

  /** The status of the wave being worked on, if any. */
  currentWaveStatus(): WaveStatus | undefined {
    const { currentWave, waves } = this.state;
    return currentWave ? waves[currentWave - 1] : undefined;
  }

  /** Sets the operation state and shows it in visibility (FleetState) and the Web UI's current details. */
  setState(name: OperationStateName, pauseReason: PauseReason | null = null): void {
    const state = this.state;
    state.state = name;
    state.pauseReason = pauseReason;
    state.updatedAt = now();
    upsertSearchAttributes([{ key: FLEET_STATE, value: name }]);
    const wave = this.currentWaveStatus();
    setCurrentDetails(
      `**${name}**${pauseReason ? ` (${pauseReason})` : ''}` +
        (wave ? ` · wave ${wave.number}/${state.waves.length} '${wave.name}' ${wave.state}` : '') +
        (state.failuresTotal ? ` · ${state.failuresTotal} failed` : ''),
    );
  }

  /** `running`, or `paused` when a pause is in force (for the reason it was paused: the operator's by default). */
  showRunningOrPaused(): void {
    const { paused, pauseReason } = this.state;
    this.setState(paused ? 'paused' : 'running', paused ? (pauseReason ?? 'operator') : null);
  }

  /**
   * Writes the status snapshot whenever it differs from the one last written, one write at a time: changes
   * made while a write is on its way (a burst of actions, a state change and an alarm) go out together in
   * the next one. Started once per run; continue-as-new starts a new writer in the new run.
   */
  startStatusSnapshots(): void {
    const writer = { written: '' };
    this.snapshots = writer;
    const current = () => JSON.stringify(snapshotOf(this.state));
    void (async () => {
      for (;;) {
        await condition(() => current() !== writer.written);
        const json = current();
        const snapshot = snapshotOf(this.state);
        await bookkeeping.writeStatusSnapshot.executeWithOptions(
          withSummary(BOOKKEEPING_OPTIONS, `status snapshot: ${snapshot.state}`),
          [{ operationId: this.operationId, snapshot, takenAt: now() }],
        );
        writer.written = json;
      }
    })();
  }

  /** Whether this run writes status snapshots (not in histories recorded before them). */
  writesStatusSnapshots(): boolean {
    return this.snapshots !== undefined;
  }

  /** Resolves once the snapshot of the state as it is now (or a later one) is in PostgreSQL. */
  async flushStatusSnapshot(): Promise<void> {
    const writer = this.snapshots;
    if (!writer) return;
    await condition(() => writer.written === JSON.stringify(snapshotOf(this.state)));
  }

  /** The alarms firing at their last evaluation. */
  alarmsFiring(): FiringAlarm[] {
    return this.state.alarmsFiring ?? [];
  }

  /**
   * An evaluation of the alarms: a firing one pauses the operation (in-flight clusters finish, none starts)
   * with `alarm:<name>`; one that stops firing leaves the pause for the operator to resume.
   */
  alarmsEvaluated(firing: FiringAlarm[]): void {
    const state = this.state;
    state.alarmsFiring = firing;
    state.updatedAt = now();
    const first = firing[0];
    if (!first || this.isFinal() || state.cancelRequested) return;
    const reason: PauseReason = `alarm:${first.name}`;
    if (state.paused && state.pauseReason === reason) return;
    log.warn('alarm firing: operation paused; in-flight clusters finish, none starts', {
      operationId: this.operationId,
      alarm: first.name,
      message: first.message,
      firing: firing.map((alarm) => alarm.name),
    });
    const wasPaused = state.paused;
    state.paused = true;
    const running = this.currentWaveStatus();
    if (running?.state === 'running') running.state = 'paused';
    this.setState('paused', reason);
    if (!wasPaused) this.toWave((wave) => wave.signal(wavePauseSignal));
  }

  /** Runs one child workflow of a wave: controls that arrive while it starts are relayed once it runs. */
  async runWaveChild(start: () => Promise<WaveHandle>): Promise<WaveResult> {
    this.waveStarting = start();
    try {
      this.waveStarted = await this.waveStarting;
      return await this.waveStarted.result();
    } finally {
      this.waveStarting = undefined;
      this.waveStarted = undefined;
    }
  }

  /** Sends to the running wave, if any; `orElse` runs when there is none or it already closed. */
  private toWave(send: (wave: WaveHandle) => Promise<void>, orElse?: () => void): void {
    const starting = this.waveStarting;
    if (!starting) return orElse?.();
    // Each relay waits for the child to run and for the relay before it: two signals sent at once may
    // reach the wave in either order (a pause overtaking the resume after it leaves the wave paused for
    // good), and a control sent while the child starts would find no child. Histories recorded before
    // this sent relays at once, to a running child only.
    if (patched('relay-wave-signals-in-order')) {
      this.relayed = this.relayed.then(async () => send(await starting)).catch(() => orElse?.());
      return;
    }
    const started = this.waveStarted;
    if (!started) return orElse?.();
    void send(started).catch(() => orElse?.());
  }

  /**
   * An operator action since governed actions: read defensively, checked against the state (who asks,
   * four-eyes, whether it applies now), applied or rejected, and audited with how it came; the answer
   * says which. An action id seen before gets the first answer and changes nothing.
   */
  act(action: OperatorActionName, payload: unknown): Promise<ActionOutcome> {
    const read = readAction(action, payload);
    const id = read.actionId;
    if (!id) return this.answer(read);
    const earlier = this.answering.get(id) ?? this.state.recentActions?.find((a) => a.actionId === id);
    if (earlier) return Promise.resolve(earlier).then(({ outcome, reason, message }) => ({ outcome, reason, message }));
    const answer = this.answer(read).then((outcome) => {
      const recent = [...(this.state.recentActions ?? []), { actionId: id, ...outcome }];
      this.state.recentActions = recent.slice(-RECENT_ACTIONS_KEPT);
      return outcome;
    });
    this.answering.set(id, answer);
    return answer.finally(() => this.answering.delete(id));
  }

  private async answer(read: ReadAction): Promise<ActionOutcome> {
    const record = {
      actionKey: read.actionId ?? uuid4(),
      operationId: this.operationId,
      action: read.action,
      by: read.by || 'unknown',
      role: read.role,
      via: read.via,
      ...(read.requestId ? { requestId: read.requestId } : {}),
      details: {
        ...(read.wave !== undefined ? { wave: read.wave } : {}),
        ...(read.clusterId ? { clusterId: read.clusterId } : {}),
        ...(read.comment ? { comment: read.comment } : {}),
        // The REST path's id, which its answer (actionResult, or a 202's body) also names.
        ...(read.actionId ? { actionId: read.actionId } : {}),
      },
    };
    const refusal = check(this.state, read, this.allowSelfApproval);
    if (refusal) {
      log.warn('operator action rejected', { ...record, ...refusal });
      const outcome: ActionOutcome = { outcome: 'rejected', ...refusal };
      await this.audit(`${read.action} rejected: ${refusal.reason}`, { ...record, ...outcome });
      return outcome;
    }
    const message = appliedMessage(read);
    if (read.action === 'retry' || read.action === 'skip') {
      // The run's own state decides (only a failed run is retried, only one not started is skipped),
      // read and changed with the audit row in one transaction.
      const clusterId = read.clusterId!;
      const result = await bookkeeping.clusterAction.executeWithOptions(
        withSummary(BOOKKEEPING_OPTIONS, `${read.action} ${clusterId} (by ${record.by} via ${read.via})`),
        [{ ...record, action: read.action, clusterId, appliedMessage: message }],
      );
      if (result.outcome === 'applied') {
        this.markApplied();
        if (!this.isFinal()) {
          if (read.action === 'retry') this.queueRetry(clusterId, record.by);
          else this.markSkipped(clusterId, record.by);
        }
        await this.flushIfWritten();
      }
      return result;
    }
    this.applyControl(read);
    this.markApplied();
    const outcome: ActionOutcome = { outcome: 'applied', message };
    await this.audit(`${read.action} by ${record.by} via ${read.via}`, { ...record, ...outcome });
    await this.flushIfWritten();
    return outcome;
  }

  /**
   * An applied action moves the snapshot's time on, even when only runs changed (a retry or a skip): its
   * new version tells every API replica's cache that the counts moved too.
   */
  private markApplied(): void {
    if (this.snapshots) this.state.updatedAt = now();
  }

  /**
   * An applied action is answered once the snapshot showing it is written, so any API replica reading
   * PostgreSQL after the answer sees it; histories from before snapshots answer as they did.
   */
  private async flushIfWritten(): Promise<void> {
    if (this.snapshots) await this.flushStatusSnapshot();
  }

  /** The audit row, written by the engine (retried until PostgreSQL answers, written once). */
  private async audit(summary: string, record: Parameters<typeof bookkeeping.recordOperatorAction>[0]) {
    await bookkeeping.recordOperatorAction.executeWithOptions(withSummary(BOOKKEEPING_OPTIONS, summary), [record]);
  }

  private applyControl(read: ReadAction): void {
    if (read.action === 'pause') this.doPause(read.by);
    else if (read.action === 'resume') this.doResume(read.by);
    else if (read.action === 'cancel') this.doCancel(read.by);
    else if (read.action === 'approve') this.doApprove(read.wave!, read.by, read.comment);
  }

  // ---- the controls as signals were handled before governed actions: replayed by older histories ----

  pause({ by }: ActorRef): void {
    const state = this.state;
    if (this.isFinal() || state.paused) return;
    this.doPause(by);
  }

  resume({ by }: ActorRef): void {
    const state = this.state;
    if (this.isFinal() || !state.paused) return;
    const firing = this.alarmsFiring();
    if (firing.length > 0) {
      log.warn('resume refused: an alarm still fires', {
        operationId: this.operationId,
        by,
        firing: firing.map((alarm) => alarm.name),
      });
      return;
    }
    this.doResume(by);
  }

  cancel({ by }: ActorRef): void {
    if (this.isFinal()) return;
    this.doCancel(by);
  }

  approveWave({ wave, by, comment }: ApproveWaveInput): void {
    const state = this.state;
    if (!state.waves[wave - 1] || state.pendingApproval?.wave !== wave) return;
    this.doApprove(wave, by, comment);
  }

  async retryCluster({ clusterId, by }: ClusterRef): Promise<void> {
    if (this.isFinal()) return;
    this.queueRetry(clusterId, by);
    // Operations started before this change never recorded the re-queue: keep their replay unchanged.
    if (patched('requeue-run-on-retry')) {
      await bookkeeping.requeueCluster.executeWithOptions(
        withSummary(BOOKKEEPING_OPTIONS, `re-queue ${clusterId} (retry by ${by})`),
        [{ operationId: this.operationId, clusterId }],
      );
    }
  }

  async skipCluster({ clusterId, by }: ClusterRef): Promise<void> {
    if (this.isFinal()) return;
    this.markSkipped(clusterId, by);
    await bookkeeping.skipClusters.executeWithOptions(
      withSummary(BOOKKEEPING_OPTIONS, `skip ${clusterId} (by ${by})`),
      [{ operationId: this.operationId, clusterIds: [clusterId], reason: `skipped_by:${by}` }],
    );
  }

  // ---- what each control does once it is allowed ----

  private doPause(by: string): void {
    const state = this.state;
    log.info('operation paused by an operator', { operationId: this.operationId, by });
    state.paused = true;
    const running = this.currentWaveStatus();
    if (running?.state === 'running') running.state = 'paused';
    this.setState('paused', 'operator');
    this.toWave((wave) => wave.signal(wavePauseSignal));
  }

  private doResume(by: string): void {
    const state = this.state;
    log.info('operation resumed', { operationId: this.operationId, by, pauseReason: state.pauseReason });
    state.paused = false;
    const current = this.currentWaveStatus();
    if (current?.state === 'paused') current.state = 'running';
    this.setState(state.pendingApproval ? 'awaiting_approval' : 'running');
    this.toWave((wave) => wave.signal(waveResumeSignal));
  }

  private doCancel(by: string): void {
    log.info('operation cancel requested: in-flight clusters finish, nothing new starts', {
      operationId: this.operationId,
      by,
    });
    this.state.cancelRequested = true;
    this.toWave((wave) => wave.signal(waveCancelSignal));
  }

  private doApprove(wave: number, by: string, comment: string | undefined): void {
    const state = this.state;
    const waveStatus = state.waves[wave - 1]!;
    log.info('wave approved', { operationId: this.operationId, wave, by });
    waveStatus.approvedBy = by;
    waveStatus.approvedAt = now();
    waveStatus.approvalComment = comment ?? null;
    state.pendingApproval = null;
  }

  /** The next operator attempt of a failed cluster, handed to the running wave or kept for the next one. */
  private queueRetry(clusterId: string, by: string): void {
    const state = this.state;
    const attempt = (state.retryAttempts[clusterId] ?? 1) + 1;
    state.retryAttempts[clusterId] = attempt;
    const work: ClusterWork = { clusterId, attempt };
    // A retry after a skip wins, as it does inside a running wave; earlier histories kept the skip.
    if (state.skipped.some((entry) => entry.clusterId === clusterId) && patched('retry-overrides-earlier-skip')) {
      state.skipped = state.skipped.filter((entry) => entry.clusterId !== clusterId);
    }
    log.info('cluster retry requested', { operationId: this.operationId, clusterId, operatorAttempt: attempt, by });
    this.toWave(
      (wave) => wave.signal(waveRetrySignal, work),
      () => void state.pendingRetries.push(work),
    );
  }

  private markSkipped(clusterId: string, by: string): void {
    const state = this.state;
    log.info('cluster skipped by an operator', { operationId: this.operationId, clusterId, by });
    state.skipped.push({ clusterId, by });
    state.notStarted = state.notStarted.filter((w) => w.clusterId !== clusterId);
    state.pendingRetries = state.pendingRetries.filter((w) => w.clusterId !== clusterId);
    this.toWave((wave) => wave.signal(waveSkipSignal, { clusterId }));
  }

  setMaxParallel({ maxParallel, by, wave }: SetMaxParallelInput): { maxParallel: number; wave?: number } {
    const state = this.state;
    log.info('maxParallel changed', { operationId: this.operationId, maxParallel, by, wave });
    state.updatedAt = now();
    const running = state.currentWave;
    if (wave !== undefined) {
      state.maxParallelByWave = { ...state.maxParallelByWave, [wave]: maxParallel };
      if (wave === running) this.toWave((child) => child.signal(waveSetMaxParallelSignal, { maxParallel }));
      return { maxParallel, wave };
    }
    // The running wave and every later one: a per-wave setting of those gives way.
    state.maxParallelOverride = maxParallel;
    if (state.maxParallelByWave) {
      const from = running ?? 1;
      state.maxParallelByWave = Object.fromEntries(
        Object.entries(state.maxParallelByWave).filter(([number]) => Number(number) < from),
      );
    }
    this.toWave((child) => child.signal(waveSetMaxParallelSignal, { maxParallel }));
    return { maxParallel };
  }

  /** The parallelism a wave starts with: its own setting, else the operation-wide change, else the plan's. */
  maxParallelOf(wave: { number: number; maxParallel: number }): number {
    const { maxParallelByWave, maxParallelOverride } = this.state;
    return maxParallelByWave?.[wave.number] ?? maxParallelOverride ?? wave.maxParallel;
  }

  /** The update's validator: synchronous, so an invalid change never reaches history. */
  validateMaxParallel({ maxParallel, wave }: SetMaxParallelInput): void {
    if (!Number.isInteger(maxParallel) || maxParallel < 1 || maxParallel > 1000) {
      throw new Error('maxParallel must be an integer from 1 to 1000');
    }
    const state = this.state;
    if (this.isFinal()) throw new Error(`the operation is ${state.state}`);
    if (wave === undefined) return;
    const target = Number.isInteger(wave) ? state.waves[wave - 1] : undefined;
    if (!target) throw new Error(`the operation has no wave ${wave}: its waves are 1 to ${state.waves.length}`);
    const done = ['completed', 'failed', 'cancelled', 'empty'];
    if (done.includes(target.state) || (state.currentWave !== null && wave < state.currentWave)) {
      throw new Error(
        `wave ${wave} '${target.name}' has finished (${target.state}): its parallelism no longer matters`,
      );
    }
  }
}
