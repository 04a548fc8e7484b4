// waveWorkflow: one wave of an operation — a sliding window of at most maxParallel clusters, each
// selected, applied, monitored (rolled back on failure when asked), with the wave's failure budget.
import {
  allHandlersFinished,
  patched,
  condition,
  continueAsNew,
  log,
  setHandler,
  workflowInfo,
  type ActivityOptions,
} from '@temporalio/workflow';
import type { ClusterWork, WaveCarry, WaveInput, WaveResult } from '../domain/workflow-contracts';
import { BOOKKEEPING_OPTIONS, bookkeeping, CHANGE_OPTIONS, changes, monitorOptions } from './activity-options';
import { failureMessage } from './failures';
import {
  waveCancelSignal,
  wavePauseSignal,
  waveResumeSignal,
  waveRetrySignal,
  waveSetMaxParallelSignal,
  waveSkipSignal,
  waveStatusQuery,
} from './messages';

export async function waveWorkflow(input: WaveInput): Promise<WaveResult> {
  const { operationId, action } = input;
  const wave = input.wave.number;
  const st: WaveCarry = input.carried ?? {
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
  const inFlight = new Set<string>();
  const queued = (id: string) => inFlight.has(id) || st.queue.some((w) => w.clusterId === id);

  setHandler(wavePauseSignal, () => void (st.paused = true));
  setHandler(waveResumeSignal, () => void (st.paused = false));
  setHandler(waveCancelSignal, () => void (st.cancelled = true));
  setHandler(waveSetMaxParallelSignal, ({ maxParallel }) => void (st.maxParallel = maxParallel));
  setHandler(waveRetrySignal, (work) => {
    if (!queued(work.clusterId)) st.queue.push(work);
  });
  setHandler(waveSkipSignal, ({ clusterId }) => {
    st.queue = st.queue.filter((w) => w.clusterId !== clusterId);
  });
  setHandler(waveStatusQuery, () => ({
    number: wave,
    paused: st.paused,
    cancelled: st.cancelled,
    maxParallel: st.maxParallel,
    inFlight: [...inFlight],
    queued: st.queue.length,
    succeeded: st.succeeded,
    failed: st.failed,
    skipped: st.skipped,
  }));

  const withSummary = <T extends ActivityOptions>(opts: T, summary: string) => ({ ...opts, summary });

  if (!input.carried) {
    const planned =
      input.work ??
      (
        await bookkeeping.loadWaveClusters.executeWithOptions(
          withSummary(BOOKKEEPING_OPTIONS, `load the clusters of wave ${wave}`),
          [{ operationId, wave }],
        )
      ).map((clusterId) => ({ clusterId, attempt: 1 }));
    const skip = new Set(input.skip);
    for (const work of [...planned, ...input.extra]) {
      if (!skip.has(work.clusterId) && !queued(work.clusterId)) st.queue.push(work);
    }
  }

  log.info(input.carried ? 'wave continued as new' : 'wave started', {
    operationId,
    wave,
    waveName: input.wave.name,
    queued: st.queue.length,
    maxParallel: st.maxParallel,
    paused: st.paused,
  });

  async function finish(
    clusterId: string,
    outcome: 'succeeded' | 'failed' | 'rolled_back' | 'skipped',
    extra: { error?: string; reason?: string; version?: string | null } = {},
  ) {
    await bookkeeping.finishCluster.executeWithOptions(withSummary(BOOKKEEPING_OPTIONS, `${outcome} ${clusterId}`), [
      { operationId, clusterId, wave, action, outcome, ...extra },
    ]);
  }

  async function runCluster(work: ClusterWork): Promise<void> {
    const { clusterId, attempt } = work;
    const base = { operationId, clusterId, wave, attempt, action };
    const selected = await bookkeeping.selectCluster.executeWithOptions(
      withSummary(BOOKKEEPING_OPTIONS, `select ${clusterId}`),
      [base],
    );
    if (!selected.proceed) {
      st.skipped++;
      return;
    }
    if (selected.windowWaitMs > 0) {
      // Wait for the maintenance window, but let a cancel end the wait.
      if (await condition(() => st.cancelled, selected.windowWaitMs)) {
        await finish(clusterId, 'skipped', { reason: 'operation_cancelled' });
        st.skipped++;
        return;
      }
    }
    try {
      await changes.applyToCluster.executeWithOptions(
        withSummary(CHANGE_OPTIONS, `apply ${action.type} to ${clusterId}`),
        [base],
      );
      // Since this patch a healthy cluster is recorded by the monitor activity itself: one activity
      // less per cluster. Histories from before it replay with the separate finish.
      const monitorFinishes = patched('monitor-records-success');
      const monitored = await changes.monitorCluster.executeWithOptions(
        withSummary(monitorOptions(input.monitor), `monitor ${clusterId}`),
        [{ operationId, clusterId, wave, monitor: input.monitor, finish: monitorFinishes ? { action } : undefined }],
      );
      if (!monitored.finished) await finish(clusterId, 'succeeded', { version: monitored.version });
      st.succeeded++;
    } catch (err) {
      let error = failureMessage(err);
      let outcome: 'failed' | 'rolled_back' = 'failed';
      if (input.rollbackOnFailure) {
        try {
          await changes.rollbackCluster.executeWithOptions(withSummary(CHANGE_OPTIONS, `roll back ${clusterId}`), [
            { ...base, fromVersion: selected.fromVersion },
          ]);
          outcome = 'rolled_back';
        } catch (rollbackErr) {
          error = `${error}; rollback failed: ${failureMessage(rollbackErr)}`;
        }
      }
      await finish(clusterId, outcome, { error });
      log.warn('cluster failed', { operationId, wave, clusterId, operatorAttempt: attempt, outcome, error });
      st.failed++;
      if (st.failed > input.maxFailures && !st.budgetExceeded) {
        log.warn('wave failure budget exceeded: no new cluster starts', {
          operationId,
          wave,
          failed: st.failed,
          maxFailures: input.maxFailures,
        });
      }
      if (st.failed > input.maxFailures) st.budgetExceeded = true;
      if (input.totalFailuresLeft !== null && st.failed >= input.totalFailuresLeft && !st.totalBudgetExceeded) {
        log.warn('operation failure budget exceeded: no new cluster starts', {
          operationId,
          wave,
          failed: st.failed,
          totalFailuresLeft: input.totalFailuresLeft,
        });
      }
      if (input.totalFailuresLeft !== null && st.failed >= input.totalFailuresLeft) st.totalBudgetExceeded = true;
    }
  }

  const stopped = () => st.cancelled || st.budgetExceeded || st.totalBudgetExceeded;
  for (;;) {
    await condition(
      () =>
        stopped() ||
        (st.queue.length === 0 && inFlight.size === 0) ||
        (!st.paused && st.queue.length > 0 && inFlight.size < st.maxParallel),
    );
    if (stopped() || (st.queue.length === 0 && inFlight.size === 0)) break;
    if (workflowInfo().continueAsNewSuggested) {
      // Drain, then start afresh with the same input and the carried state: history stays bounded.
      await condition(() => inFlight.size === 0);
      await condition(allHandlersFinished);
      return continueAsNew<typeof waveWorkflow>({ ...input, carried: st });
    }
    const work = st.queue.shift()!;
    inFlight.add(work.clusterId);
    void runCluster(work).finally(() => inFlight.delete(work.clusterId));
  }
  // In-flight clusters always finish their apply and monitor, whatever stopped the wave.
  await condition(() => inFlight.size === 0);
  await condition(allHandlersFinished);
  log.info('wave finished', {
    operationId,
    wave,
    cancelled: st.cancelled,
    budgetExceeded: st.budgetExceeded || st.totalBudgetExceeded,
    succeeded: st.succeeded,
    failed: st.failed,
    skipped: st.skipped,
    notStarted: st.queue.length,
  });
  return {
    outcome: st.cancelled
      ? 'cancelled'
      : st.totalBudgetExceeded
        ? 'total_budget_exceeded'
        : st.budgetExceeded
          ? 'budget_exceeded'
          : 'completed',
    succeeded: st.succeeded,
    failed: st.failed,
    skipped: st.skipped,
    notStarted: st.queue,
  };
}
