// The operation's state as one named object, with the relays to its running wave and its status snapshots;
// the operator's actions on it are OperatorControls (operator-actions.ts).
import {
  condition,
  log,
  patched,
  setCurrentDetails,
  upsertSearchAttributes,
  type ChildWorkflowHandle,
} from '@temporalio/workflow';
import { snapshotOf } from '../domain/operation-status';
import { FINAL_OPERATION_STATES, type OperationStateName, type PauseReason } from '../domain/states';
import { FLEET_STATE } from '../domain/search-attributes';
import {
  pendingWaveStatus,
  type FiringAlarm,
  type OperationInput,
  type OperationState,
  type SetMaxParallelInput,
  type WaveResult,
  type WaveStatus,
  type WaveSummary,
} from '../domain/workflow-contracts';
import { BOOKKEEPING_OPTIONS, bookkeeping, withSummary } from './activity-options';
import { wavePauseSignal, waveSetMaxParallelSignal } from './messages';
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

function initialState(input: OperationInput): OperationState {
  return {
    operationId: input.operationId,
    name: input.name,
    state: 'running',
    pauseReason: null,
    currentWave: null,
    pendingApproval: null,
    waves: input.waves.map((w) => pendingWaveStatus(w.number, w.name)),
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
  readonly allowSelfApproval: boolean;
  /** The snapshot last written to PostgreSQL (as JSON), while snapshots are written (see startStatusSnapshots). */
  private snapshots: { written: string } | undefined;
  /** A move or an append is writing the plan (PlanEditor): no wave child starts until it is done. */
  planWriting = false;
  /** The last wave is done and the operation closes: its plan takes no more edits. */
  closing = false;

  constructor(private readonly input: OperationInput) {
    this.state = input.carried ?? initialState(input);
    this.allowSelfApproval = input.allowSelfApproval ?? false;
  }

  /** The plan's waves as the operation runs them: as live edits left them, else as planned. */
  waves(): readonly WaveSummary[] {
    return this.state.editedWaves ?? this.input.waves;
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
  toWave(send: (wave: WaveHandle) => Promise<void>, orElse?: () => void): void {
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
   * An applied action moves the snapshot's time on, even when only runs changed (a retry or a skip): its
   * new version tells every API replica's cache that the counts moved too.
   */
  markApplied(): void {
    if (this.snapshots) this.state.updatedAt = now();
  }

  /**
   * An applied action is answered once the snapshot showing it is written, so any API replica reading
   * PostgreSQL after the answer sees it; histories from before snapshots answer as they did.
   */
  async flushIfWritten(): Promise<void> {
    if (this.snapshots) await this.flushStatusSnapshot();
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
