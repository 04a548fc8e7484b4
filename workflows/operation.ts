// The operation's state as one named object, with the operator's controls as its methods; the
// fleetOperationWorkflow registers these as signal and update handlers and drives the waves.
import {
  log,
  patched,
  setCurrentDetails,
  upsertSearchAttributes,
  type ChildWorkflowHandle,
} from '@temporalio/workflow';
import { FINAL_OPERATION_STATES, type OperationStateName, type PauseReason } from '../domain/states';
import { FLEET_STATE } from '../domain/search-attributes';
import type {
  ActorRef,
  ApproveWaveInput,
  ClusterRef,
  ClusterWork,
  FiringAlarm,
  OperationInput,
  OperationState,
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

  constructor(input: OperationInput) {
    this.state = input.carried ?? initialState(input);
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

  pause({ by }: ActorRef): void {
    const state = this.state;
    if (this.isFinal() || state.paused) return;
    log.info('operation paused by an operator', { operationId: this.operationId, by });
    state.paused = true;
    const running = this.currentWaveStatus();
    if (running?.state === 'running') running.state = 'paused';
    this.setState('paused', 'operator');
    this.toWave((wave) => wave.signal(wavePauseSignal));
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
    log.info('operation resumed', { operationId: this.operationId, by, pauseReason: state.pauseReason });
    state.paused = false;
    const current = this.currentWaveStatus();
    if (current?.state === 'paused') current.state = 'running';
    this.setState(state.pendingApproval ? 'awaiting_approval' : 'running');
    this.toWave((wave) => wave.signal(waveResumeSignal));
  }

  cancel({ by }: ActorRef): void {
    if (this.isFinal()) return;
    log.info('operation cancel requested: in-flight clusters finish, nothing new starts', {
      operationId: this.operationId,
      by,
    });
    this.state.cancelRequested = true;
    this.toWave((wave) => wave.signal(waveCancelSignal));
  }

  approveWave({ wave, by, comment }: ApproveWaveInput): void {
    const state = this.state;
    const waveStatus = state.waves[wave - 1];
    if (!waveStatus || state.pendingApproval?.wave !== wave) return;
    log.info('wave approved', { operationId: this.operationId, wave, by });
    waveStatus.approvedBy = by;
    waveStatus.approvedAt = now();
    waveStatus.approvalComment = comment ?? null;
    state.pendingApproval = null;
  }

  async retryCluster({ clusterId, by }: ClusterRef): Promise<void> {
    const state = this.state;
    if (this.isFinal()) return;
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
    // Operations started before this change never recorded the re-queue: keep their replay unchanged.
    if (patched('requeue-run-on-retry')) {
      await bookkeeping.requeueCluster.executeWithOptions(
        withSummary(BOOKKEEPING_OPTIONS, `re-queue ${clusterId} (retry by ${by})`),
        [{ operationId: this.operationId, clusterId }],
      );
    }
  }

  async skipCluster({ clusterId, by }: ClusterRef): Promise<void> {
    const state = this.state;
    if (this.isFinal()) return;
    log.info('cluster skipped by an operator', { operationId: this.operationId, clusterId, by });
    state.skipped.push({ clusterId, by });
    state.notStarted = state.notStarted.filter((w) => w.clusterId !== clusterId);
    state.pendingRetries = state.pendingRetries.filter((w) => w.clusterId !== clusterId);
    this.toWave((wave) => wave.signal(waveSkipSignal, { clusterId }));
    await bookkeeping.skipClusters.executeWithOptions(
      withSummary(BOOKKEEPING_OPTIONS, `skip ${clusterId} (by ${by})`),
      [{ operationId: this.operationId, clusterIds: [clusterId], reason: `skipped_by:${by}` }],
    );
  }

  setMaxParallel({ maxParallel, by }: SetMaxParallelInput): { maxParallel: number } {
    log.info('maxParallel changed', { operationId: this.operationId, maxParallel, by });
    this.state.maxParallelOverride = maxParallel;
    this.state.updatedAt = now();
    this.toWave((wave) => wave.signal(waveSetMaxParallelSignal, { maxParallel }));
    return { maxParallel };
  }

  /** The update's validator: synchronous, so an invalid change never reaches history. */
  validateMaxParallel({ maxParallel }: SetMaxParallelInput): void {
    if (!Number.isInteger(maxParallel) || maxParallel < 1 || maxParallel > 1000) {
      throw new Error('maxParallel must be an integer from 1 to 1000');
    }
    if (this.isFinal()) throw new Error(`the operation is ${this.state.state}`);
  }
}
