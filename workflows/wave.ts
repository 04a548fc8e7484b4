// waveWorkflow: one wave of an operation — a sliding window of at most maxParallel clusters, each
// selected, applied, monitored (rolled back on failure when asked), with the wave's failure budget.
// A cluster outside its maintenance window, held by another operation or held back by the fleet guard is
// parked: set aside without a slot or a lease, and queued again when its window opens or it is looked at
// again. A fleet limit whose hourly failures are over it pauses the wave, which tells its operation.
// The wave reads its planned clusters from PostgreSQL a page at a time, so nothing it carries or returns
// grows with its size.
import {
  allHandlersFinished,
  condition,
  continueAsNew,
  getExternalWorkflowHandle,
  log,
  patched,
  setHandler,
} from '@temporalio/workflow';
import { MOVED_AWAY } from '../domain/plan-edits';
import type { ClusterWork, WaveInput, WaveResult } from '../domain/workflow-contracts';
import type { SelectResult } from '../activities/select';
import type { FinishResult } from '../activities/bookkeeping';
import {
  adapterCalls,
  BOOKKEEPING_OPTIONS,
  bookkeeping,
  changeOptions,
  monitorOptions,
  selectOptions,
  withSummary,
} from './activity-options';
import { failureMessage, outsideWindow } from './failures';
import { markGuarded } from './guard-parking';
import {
  guardTrippedSignal,
  waveCancelSignal,
  wavePauseSignal,
  waveResumeSignal,
  waveRetrySignal,
  waveSetMaxFailuresSignal,
  waveSetMaxParallelSignal,
  waveSkipSignal,
} from './messages';
import { type ClusterOutcome, WaveQueue } from './wave-queue';

export { PAGE_WAVE_CLUSTERS_PATCH, pageSize } from './wave-queue';

/** What every activity of one cluster's turn is told: which cluster, which wave, which operator attempt, what to do. */
type ClusterStep = ClusterWork & { operationId: string; wave: number; action: WaveInput['action'] };

/** One wave's run: the queue it draws from, the per-cluster select → apply → monitor flow, and its handlers. */
class WaveRun extends WaveQueue {
  /** The parent relays the operator's controls; each one only changes what starts next. */
  registerHandlers(): void {
    const progress = this.progress;
    setHandler(wavePauseSignal, () => void (progress.paused = true));
    setHandler(waveResumeSignal, () => void (progress.paused = false));
    setHandler(waveCancelSignal, () => void (progress.cancelled = true));
    setHandler(waveSetMaxParallelSignal, ({ maxParallel }) => void (progress.maxParallel = maxParallel));
    setHandler(waveSetMaxFailuresSignal, ({ maxFailures }) => this.setMaxFailures(maxFailures));
    setHandler(waveRetrySignal, (work) => this.enqueue(work));
    setHandler(waveSkipSignal, ({ clusterId }) => {
      progress.queue = progress.queue.filter((w) => w.clusterId !== clusterId);
      if (progress.parked) progress.parked = progress.parked.filter((p) => p.clusterId !== clusterId);
    });
  }

  /** A live edit of the failure budget: a budget already spent by the failures counted stops the wave at once. */
  private setMaxFailures(maxFailures: number): void {
    const { progress } = this;
    progress.maxFailures = maxFailures;
    if (progress.failed > maxFailures && !progress.budgetExceeded) {
      progress.budgetExceeded = true;
      log.warn('wave failure budget lowered below its failures: no new cluster starts', {
        operationId: this.operationId,
        wave: this.wave,
        failed: progress.failed,
        maxFailures,
      });
    }
  }

  startNext(): void {
    const work = this.progress.queue.shift()!;
    this.inFlight.add(work.clusterId);
    void this.runCluster(work).finally(() => this.inFlight.delete(work.clusterId));
  }

  /** What finishing found (histories from before the guard recorded no result). */
  protected async finish(
    clusterId: string,
    outcome: ClusterOutcome,
    details: { error?: string; reason?: string; version?: string | null } = {},
  ): Promise<FinishResult | undefined> {
    const { operationId, wave } = this;
    return bookkeeping.finishCluster.executeWithOptions(withSummary(BOOKKEEPING_OPTIONS, `${outcome} ${clusterId}`), [
      { operationId, clusterId, wave, action: this.input.action, outcome, ...details },
    ]);
  }

  /**
   * Pauses the wave at once (in-flight clusters finish, none starts) and asks the operation to pause with
   * `guard:<limit>`; the operation's resume resumes the wave. Already paused: nothing more to say.
   */
  protected guardTripped(limit: string, clusterId: string): void {
    const { operationId, wave, progress } = this;
    markGuarded();
    if (progress.paused || progress.cancelled) return;
    progress.paused = true;
    log.warn('fleet limit tripped: the wave pauses and its operation with it', { operationId, wave, clusterId, limit });
    void getExternalWorkflowHandle(operationId)
      .signal(guardTrippedSignal, { limit, wave, clusterId })
      .catch((err: unknown) =>
        log.warn('could not tell the operation', { operationId, wave, limit, error: String(err) }),
      );
  }

  /** select → apply → monitor, or roll back and count the failure; parked instead when select or apply says so. */
  private async runCluster({ clusterId, attempt }: ClusterWork): Promise<void> {
    const { input, operationId, wave, progress } = this;
    const { action, onLeased, deadline } = input;
    const { applyTimeoutSeconds } = input;
    const step: ClusterStep = {
      operationId,
      clusterId,
      wave,
      attempt,
      action,
      ...(applyTimeoutSeconds === undefined ? {} : { applyTimeoutSeconds }),
    };
    let selected: SelectResult;
    try {
      selected = await bookkeeping.selectCluster.executeWithOptions(
        withSummary(selectOptions(applyTimeoutSeconds), `select ${clusterId}`),
        [{ ...step, ...(onLeased ? { onLeased } : {}), ...(deadline ? { deadline } : {}) }],
      );
    } catch (err) {
      // The cluster's state could not be read before its deadline, or its control plane does not know it.
      await this.fail(step, null, failureMessage(err));
      return;
    }
    if (!selected.proceed) {
      if (selected.park) await this.park({ clusterId, attempt }, selected.park);
      // A cluster moved to a later wave before its turn is that wave's to run, not a skip of this one.
      else if (selected.reason !== MOVED_AWAY) progress.skipped++;
      return;
    }
    // Only histories recorded before parking: select found the window closed and the wave waited, in the slot.
    if (selected.windowWaitMs !== undefined && selected.windowWaitMs > 0) {
      // Wait for the maintenance window, but let a cancel end the wait.
      if (await condition(() => progress.cancelled, selected.windowWaitMs)) {
        await this.finish(clusterId, 'skipped', { reason: 'operation_cancelled' });
        progress.skipped++;
        return;
      }
    }
    try {
      await adapterCalls.applyToCluster.executeWithOptions(
        withSummary(changeOptions(applyTimeoutSeconds), `apply ${action.type} to ${clusterId}`),
        [step],
      );
      // Since this patch a healthy cluster is recorded by the monitor activity itself: one activity
      // less per cluster. Histories from before it replay with the separate finish.
      const monitorFinishes = patched('monitor-records-success');
      const monitored = await adapterCalls.monitorCluster.executeWithOptions(
        withSummary(monitorOptions(input.monitor), `monitor ${clusterId}`),
        [
          {
            operationId,
            clusterId,
            wave,
            monitor: input.monitor,
            // The monitor verifies against the action; `finish` carries it already, so it is sent once.
            ...(monitorFinishes ? { finish: { action } } : { action }),
          },
        ],
      );
      if (!monitored.finished) await this.finish(clusterId, 'succeeded', { version: monitored.version });
      progress.succeeded++;
    } catch (err) {
      // The window closed before this apply attempt started (a retry past its end): nothing was changed.
      const closed = outsideWindow(err);
      if (closed) await this.park({ clusterId, attempt }, { kind: 'window', ...closed });
      else await this.fail(step, selected.fromVersion, failureMessage(err));
    }
  }

  /**
   * Rolls the cluster back when asked (not when `fromVersion` is null: nothing was changed), records its
   * failure and spends the budgets.
   */
  private async fail(step: ClusterStep, fromVersion: string | null, reason: string): Promise<void> {
    const { input, operationId, wave, progress } = this;
    const { clusterId, attempt } = step;
    let error = reason;
    let outcome: 'failed' | 'rolled_back' = 'failed';
    if (input.rollbackOnFailure && fromVersion !== null) {
      try {
        await adapterCalls.rollbackCluster.executeWithOptions(
          withSummary(changeOptions(input.applyTimeoutSeconds), `roll back ${clusterId}`),
          [{ ...step, fromVersion }],
        );
        outcome = 'rolled_back';
      } catch (rollbackErr) {
        error = `${error}; rollback failed: ${failureMessage(rollbackErr)}`;
      }
    }
    const finished = await this.finish(clusterId, outcome, { error });
    log.warn('cluster failed', { operationId, wave, clusterId, operatorAttempt: attempt, outcome, error });
    progress.failed++;
    if (finished?.guardTripped) this.guardTripped(finished.guardTripped, clusterId);
    const maxFailures = progress.maxFailures ?? input.maxFailures;
    if (progress.failed > maxFailures && !progress.budgetExceeded) {
      progress.budgetExceeded = true;
      log.warn('wave failure budget exceeded: no new cluster starts', {
        operationId,
        wave,
        failed: progress.failed,
        maxFailures,
      });
    }
    const left = input.totalFailuresLeft;
    if (left !== null && progress.failed >= left && !progress.totalBudgetExceeded) {
      progress.totalBudgetExceeded = true;
      log.warn('operation failure budget exceeded: no new cluster starts', {
        operationId,
        wave,
        failed: progress.failed,
        totalFailuresLeft: left,
      });
    }
  }

  result(): WaveResult {
    const { cancelled, totalBudgetExceeded, budgetExceeded, succeeded, failed, skipped } = this.progress;
    // A stopped wave hands back what never started, parked clusters included: a resumed wave selects them afresh.
    const parked = this.parked.map(({ clusterId, attempt }) => ({ clusterId, attempt }));
    const queue = parked.length > 0 ? [...this.progress.queue, ...parked] : this.progress.queue;
    const outcome = cancelled
      ? 'cancelled'
      : totalBudgetExceeded
        ? 'total_budget_exceeded'
        : budgetExceeded
          ? 'budget_exceeded'
          : 'completed';
    // A paging wave that had not read its plan to the end: the rerun pages on after what it had loaded.
    const { cursor } = this;
    const resumeAfter = cursor && !cursor.done ? { resumeAfter: cursor.after } : {};
    return { outcome, succeeded, failed, skipped, notStarted: queue, ...resumeAfter };
  }
}

export async function waveWorkflow(input: WaveInput): Promise<WaveResult> {
  const { operationId } = input;
  const wave = input.wave.number;
  const run = new WaveRun(input);
  const { progress } = run;
  run.registerHandlers();
  if (!input.carried) await run.queueClusters();
  log.info(input.carried ? 'wave continued as new' : 'wave started', {
    operationId,
    wave,
    waveName: input.wave.name,
    queued: progress.queue.length,
    parked: run.parked.length,
    maxParallel: progress.maxParallel,
    paused: progress.paused,
  });

  for (;;) {
    run.wakeForParked();
    run.refill();
    await condition(() => run.stopped || run.drained || run.canStartOne || run.parkedDue || run.needsPage);
    if (run.stopped || run.drained) break;
    if (run.historyFull) {
      // Drain what is in flight, then start afresh with the same input and the carried progress (parked
      // clusters included: they wait in the next run; a paging wave's cursor and the page it holds):
      // history stays bounded.
      await condition(() => run.inFlight.size === 0 && !run.loading);
      await condition(allHandlersFinished);
      return continueAsNew<typeof waveWorkflow>({ ...input, carried: progress });
    }
    if (run.parkedDue) await run.settleParked();
    if (run.canStartOne) run.startNext();
  }
  // In-flight clusters always finish their apply and monitor, whatever stopped the wave.
  await condition(() => run.inFlight.size === 0 && !run.loading);
  await condition(allHandlersFinished);
  log.info('wave finished', {
    operationId,
    wave,
    cancelled: progress.cancelled,
    budgetExceeded: progress.budgetExceeded || progress.totalBudgetExceeded,
    succeeded: progress.succeeded,
    failed: progress.failed,
    skipped: progress.skipped,
    notStarted: progress.queue.length,
    parked: run.parked.length,
  });
  return run.result();
}
