// waveWorkflow: one wave of an operation — a sliding window of at most maxParallel clusters, each
// selected, applied, monitored (rolled back on failure when asked), with the wave's failure budget.
// A cluster outside its maintenance window, held by another operation or held back by the fleet guard is
// parked: set aside without a slot or a lease, and queued again when its window opens or it is looked at
// again. A fleet limit whose hourly failures are over it pauses the wave, which tells its operation.
// The wave reads its planned clusters from PostgreSQL a page at a time, so nothing it carries or returns
// grows with its size.
import { allHandlersFinished, condition, continueAsNew, log, patched } from '@temporalio/workflow';
import { MOVED_AWAY } from '../domain/plan-edits';
import type { ClusterWork, HandedOverCluster, WaveInput, WaveResult } from '../domain/workflow-contracts';
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
import type { ClusterOutcome } from './wave-queue';
import { WaveControls } from './wave-controls';
import { HAND_OVER_PATCH } from './wave-hand-over';
import { laneCount, runLanes } from './wave-lanes';

export { PAGE_WAVE_CLUSTERS_PATCH, pageSize } from './wave-queue';

/** What every activity of one cluster's turn is told: which cluster, which wave, which operator attempt, what to do. */
type ClusterStep = ClusterWork & { operationId: string; wave: number; action: WaveInput['action'] };

/** One wave's run: the per-cluster select → apply → monitor flow over its queue, controls and hand-over. */
class WaveRun extends WaveControls {
  startNext(): void {
    this.start(this.progress.queue.shift()!);
  }

  /** The clusters the previous run handed over go on from their next step, in their slots. */
  takeOver(): void {
    const { handedOver } = this.progress;
    delete this.progress.handedOver;
    for (const cluster of handedOver ?? []) this.start(cluster, cluster);
  }

  private start(work: ClusterWork, from?: HandedOverCluster): void {
    this.inFlight.add(work.clusterId);
    void this.runCluster(work, from).finally(() => this.inFlight.delete(work.clusterId));
  }

  /** What finishing found (histories from before the guard recorded no result). */
  protected async finish(
    clusterId: string,
    outcome: ClusterOutcome,
    details: { error?: string; reason?: string; version?: string | null } = {},
  ): Promise<FinishResult | undefined> {
    const { operationId, wave } = this;
    // A lane counts its wave's failures over every lane: the budgets are the wave's.
    const lane = this.input.lane ? { countWaveFailures: true } : {};
    return bookkeeping.finishCluster.executeWithOptions(withSummary(BOOKKEEPING_OPTIONS, `${outcome} ${clusterId}`), [
      { operationId, clusterId, wave, action: this.input.action, outcome, ...details, ...lane },
    ]);
  }

  /**
   * select → apply → monitor, or roll back and count the failure; parked instead when select or apply says so.
   * A cluster handed over by the previous run starts at the step it stopped before.
   * Keep its awaits where they are: moving a step into a helper of its own adds a microtask hop, which
   * reorders the commands of clusters whose activities finish in the same activation, and recorded
   * histories no longer replay (the fixture test of engine-history.test.ts fails).
   */
  private async runCluster({ clusterId, attempt }: ClusterWork, from?: HandedOverCluster): Promise<void> {
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
    let fromVersion = from?.fromVersion;
    if (fromVersion === undefined) {
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
      fromVersion = selected.fromVersion;
      if (this.handOver({ clusterId, attempt, next: 'apply', fromVersion })) return;
    }
    try {
      if (from?.next !== 'monitor') {
        await adapterCalls.applyToCluster.executeWithOptions(
          withSummary(changeOptions(applyTimeoutSeconds), `apply ${action.type} to ${clusterId}`),
          [step],
        );
        if (this.handOver({ clusterId, attempt, next: 'monitor', fromVersion })) return;
      }
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
      else await this.fail(step, fromVersion, failureMessage(err));
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
    if (finished?.waveFailed !== undefined)
      progress.waveFailed = Math.max(progress.waveFailed ?? 0, finished.waveFailed);
    if (finished?.guardTripped) this.guardTripped(finished.guardTripped, clusterId);
    const maxFailures = progress.maxFailures ?? input.maxFailures;
    const failed = this.failedInWave;
    if (failed > maxFailures && !progress.budgetExceeded) {
      progress.budgetExceeded = true;
      log.warn('wave failure budget exceeded: no new cluster starts', { operationId, wave, failed, maxFailures });
      this.tellWave('wave', failed);
    }
    const left = input.totalFailuresLeft;
    if (left !== null && failed >= left && !progress.totalBudgetExceeded) {
      progress.totalBudgetExceeded = true;
      log.warn('operation failure budget exceeded: no new cluster starts', {
        operationId,
        wave,
        failed,
        totalFailuresLeft: left,
      });
      this.tellWave('total', failed);
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
  // A wave asked to run in lanes starts them and adds up their results; each lane is this workflow again.
  const lanes = laneCount(input);
  if (lanes > 1) return runLanes(input, lanes, waveWorkflow);
  const { operationId } = input;
  const wave = input.wave.number;
  const run = new WaveRun(input);
  const { progress } = run;
  run.registerHandlers();
  if (!input.carried) await run.queueClusters();
  else run.takeOver();
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
      // Start afresh with the same input and the carried progress (parked clusters included: they wait in
      // the next run; a paging wave's cursor and the page it holds): history stays bounded. The clusters in
      // flight stop at their next step and the next run takes them on from there, so the slots stay busy;
      // histories from before the hand-over drained them first.
      run.handingOver = patched(HAND_OVER_PATCH);
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
