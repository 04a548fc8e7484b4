// The operator's actions on a running operation: governed actions (checked, answered and audited by the
// workflow), the signal handlers replayed by histories from before them, and what each control does.
import { log, patched, uuid4 } from '@temporalio/workflow';
import { appliedMessage, check, readAction, type ReadAction } from '../domain/operator-actions';
import type {
  ActionOutcome,
  ActorRef,
  ApproveWaveInput,
  ClusterRef,
  ClusterWork,
  OperatorActionName,
} from '../domain/workflow-contracts';
import { BOOKKEEPING_OPTIONS, bookkeeping, withSummary } from './activity-options';
import { guardRefusal } from './guard-pause';
import { waveCancelSignal, wavePauseSignal, waveResumeSignal, waveRetrySignal, waveSkipSignal } from './messages';
import { now, type OperationRun } from './operation';

/** How many answered actions the state keeps to recognise a repeat (an update retried as a signal). */
const RECENT_ACTIONS_KEPT = 100;

/** The operator's controls of one operation run, registered as its signal and update handlers. */
export class OperatorControls {
  /** Actions being answered right now, by action id: a repeat arriving meanwhile waits for the same answer. */
  private readonly answering = new Map<string, Promise<ActionOutcome>>();

  constructor(private readonly run: OperationRun) {}

  /**
   * An operator action since governed actions: read defensively, checked against the state (who asks,
   * four-eyes, whether it applies now), applied or rejected, and audited with how it came; the answer
   * says which. An action id seen before gets the first answer and changes nothing.
   */
  act(action: OperatorActionName, payload: unknown): Promise<ActionOutcome> {
    const read = readAction(action, payload);
    const id = read.actionId;
    if (!id) return this.answer(read);
    const earlier = this.answering.get(id) ?? this.run.state.recentActions?.find((a) => a.actionId === id);
    if (earlier) return Promise.resolve(earlier).then(({ outcome, reason, message }) => ({ outcome, reason, message }));
    const answer = this.answer(read).then((outcome) => {
      const recent = [...(this.run.state.recentActions ?? []), { actionId: id, ...outcome }];
      this.run.state.recentActions = recent.slice(-RECENT_ACTIONS_KEPT);
      return outcome;
    });
    this.answering.set(id, answer);
    return answer.finally(() => this.answering.delete(id));
  }

  private async answer(read: ReadAction): Promise<ActionOutcome> {
    const record = {
      actionKey: read.actionId ?? uuid4(),
      operationId: this.run.operationId,
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
    // A limit that paused the operation is looked at in PostgreSQL first; the state is checked after it.
    const guarded = read.action === 'resume' ? await guardRefusal(this.run) : null;
    const refusal = check(this.run.state, read, this.run.allowSelfApproval) ?? guarded;
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
        this.run.markApplied();
        if (!this.run.isFinal()) {
          if (read.action === 'retry') this.queueRetry(clusterId, record.by);
          else this.markSkipped(clusterId, record.by);
        }
        await this.run.flushIfWritten();
      }
      return result;
    }
    this.applyControl(read);
    this.run.markApplied();
    const outcome: ActionOutcome = { outcome: 'applied', message };
    await this.audit(`${read.action} by ${record.by} via ${read.via}`, { ...record, ...outcome });
    await this.run.flushIfWritten();
    return outcome;
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
    const state = this.run.state;
    if (this.run.isFinal() || state.paused) return;
    this.doPause(by);
  }

  resume({ by }: ActorRef): void {
    const state = this.run.state;
    if (this.run.isFinal() || !state.paused) return;
    const firing = this.run.alarmsFiring();
    if (firing.length > 0) {
      log.warn('resume refused: an alarm still fires', {
        operationId: this.run.operationId,
        by,
        firing: firing.map((alarm) => alarm.name),
      });
      return;
    }
    this.doResume(by);
  }

  cancel({ by }: ActorRef): void {
    if (this.run.isFinal()) return;
    this.doCancel(by);
  }

  approveWave({ wave, by, comment }: ApproveWaveInput): void {
    const state = this.run.state;
    if (!state.waves[wave - 1] || state.pendingApproval?.wave !== wave) return;
    this.doApprove(wave, by, comment);
  }

  async retryCluster({ clusterId, by }: ClusterRef): Promise<void> {
    if (this.run.isFinal()) return;
    this.queueRetry(clusterId, by);
    // Operations started before this change never recorded the re-queue: keep their replay unchanged.
    if (patched('requeue-run-on-retry')) {
      await bookkeeping.requeueCluster.executeWithOptions(
        withSummary(BOOKKEEPING_OPTIONS, `re-queue ${clusterId} (retry by ${by})`),
        [{ operationId: this.run.operationId, clusterId }],
      );
    }
  }

  async skipCluster({ clusterId, by }: ClusterRef): Promise<void> {
    if (this.run.isFinal()) return;
    this.markSkipped(clusterId, by);
    await bookkeeping.skipClusters.executeWithOptions(
      withSummary(BOOKKEEPING_OPTIONS, `skip ${clusterId} (by ${by})`),
      [{ operationId: this.run.operationId, clusterIds: [clusterId], reason: `skipped_by:${by}` }],
    );
  }

  // ---- what each control does once it is allowed ----

  private doPause(by: string): void {
    const state = this.run.state;
    log.info('operation paused by an operator', { operationId: this.run.operationId, by });
    state.paused = true;
    const running = this.run.currentWaveStatus();
    if (running?.state === 'running') running.state = 'paused';
    this.run.setState('paused', 'operator');
    this.run.toWave((wave) => wave.signal(wavePauseSignal));
  }

  private doResume(by: string): void {
    const state = this.run.state;
    log.info('operation resumed', { operationId: this.run.operationId, by, pauseReason: state.pauseReason });
    state.paused = false;
    const current = this.run.currentWaveStatus();
    if (current?.state === 'paused') current.state = 'running';
    this.run.setState(state.pendingApproval ? 'awaiting_approval' : 'running');
    this.run.toWave((wave) => wave.signal(waveResumeSignal));
  }

  private doCancel(by: string): void {
    log.info('operation cancel requested: in-flight clusters finish, nothing new starts', {
      operationId: this.run.operationId,
      by,
    });
    this.run.state.cancelRequested = true;
    this.run.toWave((wave) => wave.signal(waveCancelSignal));
  }

  private doApprove(wave: number, by: string, comment: string | undefined): void {
    const state = this.run.state;
    const waveStatus = state.waves[wave - 1]!;
    log.info('wave approved', { operationId: this.run.operationId, wave, by });
    waveStatus.approvedBy = by;
    waveStatus.approvedAt = now();
    waveStatus.approvalComment = comment ?? null;
    state.pendingApproval = null;
  }

  /** The next operator attempt of a failed cluster, handed to the running wave or kept for the next one. */
  private queueRetry(clusterId: string, by: string): void {
    const state = this.run.state;
    const attempt = (state.retryAttempts[clusterId] ?? 1) + 1;
    state.retryAttempts[clusterId] = attempt;
    const work: ClusterWork = { clusterId, attempt };
    // A retry after a skip wins, as it does inside a running wave; earlier histories kept the skip.
    if (state.skipped.some((entry) => entry.clusterId === clusterId) && patched('retry-overrides-earlier-skip')) {
      state.skipped = state.skipped.filter((entry) => entry.clusterId !== clusterId);
    }
    log.info('cluster retry requested', { operationId: this.run.operationId, clusterId, operatorAttempt: attempt, by });
    this.run.toWave(
      (wave) => wave.signal(waveRetrySignal, work),
      () => void state.pendingRetries.push(work),
    );
  }

  private markSkipped(clusterId: string, by: string): void {
    const state = this.run.state;
    log.info('cluster skipped by an operator', { operationId: this.run.operationId, clusterId, by });
    state.skipped.push({ clusterId, by });
    state.notStarted = state.notStarted.filter((w) => w.clusterId !== clusterId);
    state.pendingRetries = state.pendingRetries.filter((w) => w.clusterId !== clusterId);
    this.run.toWave((wave) => wave.signal(waveSkipSignal, { clusterId }));
  }
}
