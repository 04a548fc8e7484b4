// waveWorkflow: one wave of an operation — a sliding window of at most maxParallel clusters, each
// selected, applied, monitored (rolled back on failure when asked), with the wave's failure budget.
import {
  allHandlersFinished,
  condition,
  continueAsNew,
  log,
  patched,
  setHandler,
  workflowInfo,
} from '@temporalio/workflow';
import type { ClusterWork, WaveInput, WaveProgress, WaveResult } from '../domain/workflow-contracts';
import type { SelectResult } from '../activities/select';
import {
  adapterCalls,
  BOOKKEEPING_OPTIONS,
  bookkeeping,
  changeOptions,
  monitorOptions,
  selectOptions,
  withSummary,
} from './activity-options';
import { failureMessage } from './failures';
import {
  waveCancelSignal,
  wavePauseSignal,
  waveResumeSignal,
  waveRetrySignal,
  waveSetMaxParallelSignal,
  waveSkipSignal,
} from './messages';

type ClusterOutcome = 'succeeded' | 'failed' | 'rolled_back' | 'skipped';
/** What every activity of one cluster's turn is told: which cluster, which wave, which operator attempt, what to do. */
type ClusterStep = ClusterWork & { operationId: string; wave: number; action: WaveInput['action'] };

/** One wave's run: its progress (carried across continue-as-new), the clusters in flight, and its handlers. */
class WaveRun {
  readonly progress: WaveProgress;
  readonly inFlight = new Set<string>();
  private readonly operationId: string;
  private readonly wave: number;

  constructor(private readonly input: WaveInput) {
    this.operationId = input.operationId;
    this.wave = input.wave.number;
    this.progress = input.carried ?? {
      queue: [],
      succeeded: 0,
      failed: 0,
      skipped: 0,
      paused: input.paused,
      cancelled: false,
      maxParallel: input.maxParallel,
      budgetExceeded: false,
      totalBudgetExceeded: false,
    };
  }

  /** The parent relays the operator's controls; each one only changes what starts next. */
  registerHandlers(): void {
    const progress = this.progress;
    setHandler(wavePauseSignal, () => void (progress.paused = true));
    setHandler(waveResumeSignal, () => void (progress.paused = false));
    setHandler(waveCancelSignal, () => void (progress.cancelled = true));
    setHandler(waveSetMaxParallelSignal, ({ maxParallel }) => void (progress.maxParallel = maxParallel));
    setHandler(waveRetrySignal, (work) => this.enqueue(work));
    setHandler(waveSkipSignal, ({ clusterId }) => {
      progress.queue = progress.queue.filter((w) => w.clusterId !== clusterId);
    });
  }

  private isQueued(clusterId: string): boolean {
    return this.inFlight.has(clusterId) || this.progress.queue.some((w) => w.clusterId === clusterId);
  }

  private enqueue(work: ClusterWork): void {
    if (!this.isQueued(work.clusterId)) this.progress.queue.push(work);
  }

  /** A fresh wave queues its planned clusters (or the ones the parent named) and the retries handed over. */
  async queueClusters(): Promise<void> {
    const { input, operationId, wave } = this;
    // Histories recorded before the rename carry these lists as `work` and `extra`.
    const onlyClusters = input.onlyClusters ?? input.work;
    const retries = input.retries ?? input.extra ?? [];
    const planned =
      onlyClusters ??
      (
        await bookkeeping.loadWaveClusters.executeWithOptions(
          withSummary(BOOKKEEPING_OPTIONS, `load the clusters of wave ${wave}`),
          [{ operationId, wave }],
        )
      ).map((clusterId) => ({ clusterId, attempt: 1 }));
    const skip = new Set(input.skip);
    for (const work of [...planned, ...retries]) if (!skip.has(work.clusterId)) this.enqueue(work);
  }

  get stopped(): boolean {
    const { cancelled, budgetExceeded, totalBudgetExceeded } = this.progress;
    return cancelled || budgetExceeded || totalBudgetExceeded;
  }

  get drained(): boolean {
    return this.progress.queue.length === 0 && this.inFlight.size === 0;
  }

  get canStartOne(): boolean {
    const { paused, queue, maxParallel } = this.progress;
    return !paused && queue.length > 0 && this.inFlight.size < maxParallel;
  }

  startNext(): void {
    const work = this.progress.queue.shift()!;
    this.inFlight.add(work.clusterId);
    void this.runCluster(work).finally(() => this.inFlight.delete(work.clusterId));
  }

  private async finish(
    clusterId: string,
    outcome: ClusterOutcome,
    details: { error?: string; reason?: string; version?: string | null } = {},
  ): Promise<void> {
    const { operationId, wave } = this;
    await bookkeeping.finishCluster.executeWithOptions(withSummary(BOOKKEEPING_OPTIONS, `${outcome} ${clusterId}`), [
      { operationId, clusterId, wave, action: this.input.action, outcome, ...details },
    ]);
  }

  /** select → (window wait) → apply → monitor, or roll back and count the failure. */
  private async runCluster({ clusterId, attempt }: ClusterWork): Promise<void> {
    const { input, operationId, wave, progress } = this;
    const { action } = input;
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
        [step],
      );
    } catch (err) {
      // The cluster's state could not be read before its deadline, or its control plane does not know it.
      await this.fail(step, null, failureMessage(err));
      return;
    }
    if (!selected.proceed) {
      progress.skipped++;
      return;
    }
    if (selected.windowWaitMs > 0) {
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
      await this.fail(step, selected.fromVersion, failureMessage(err));
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
    await this.finish(clusterId, outcome, { error });
    log.warn('cluster failed', { operationId, wave, clusterId, operatorAttempt: attempt, outcome, error });
    progress.failed++;
    if (progress.failed > input.maxFailures && !progress.budgetExceeded) {
      progress.budgetExceeded = true;
      log.warn('wave failure budget exceeded: no new cluster starts', {
        operationId,
        wave,
        failed: progress.failed,
        maxFailures: input.maxFailures,
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
    const { cancelled, totalBudgetExceeded, budgetExceeded, succeeded, failed, skipped, queue } = this.progress;
    const outcome = cancelled
      ? 'cancelled'
      : totalBudgetExceeded
        ? 'total_budget_exceeded'
        : budgetExceeded
          ? 'budget_exceeded'
          : 'completed';
    return { outcome, succeeded, failed, skipped, notStarted: queue };
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
    maxParallel: progress.maxParallel,
    paused: progress.paused,
  });

  for (;;) {
    await condition(() => run.stopped || run.drained || run.canStartOne);
    if (run.stopped || run.drained) break;
    if (workflowInfo().continueAsNewSuggested) {
      // Drain, then start afresh with the same input and the carried progress: history stays bounded.
      await condition(() => run.inFlight.size === 0);
      await condition(allHandlersFinished);
      return continueAsNew<typeof waveWorkflow>({ ...input, carried: progress });
    }
    run.startNext();
  }
  // In-flight clusters always finish their apply and monitor, whatever stopped the wave.
  await condition(() => run.inFlight.size === 0);
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
  });
  return run.result();
}
