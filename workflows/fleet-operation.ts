// fleetOperationWorkflow: one operation — waves in order, approval gates, a child workflow per wave,
// the failure policy, bake time, and the operator's pause/resume/cancel/retry/skip/maxParallel.
import {
  allHandlersFinished,
  ApplicationFailure,
  condition,
  continueAsNew,
  log,
  patched,
  workflowInfo,
  setCurrentDetails,
  setHandler,
  startChild,
  upsertSearchAttributes,
  type ChildWorkflowHandle,
} from '@temporalio/workflow';
import { FINAL_OPERATION_STATES, type OperationStateName, type PauseReason } from '../domain/states';
import type { ClusterWork, OperationInput, OperationState, WaveStatus } from '../domain/workflow-contracts';
import { waveWorkflowId } from '../domain/ids';
import { FLEET_OPERATION_ID, FLEET_STATE, FLEET_WAVE } from '../domain/search-attributes';
import { BOOKKEEPING_OPTIONS, bookkeeping } from './activity-options';
import {
  approveWaveSignal,
  cancelSignal,
  pauseSignal,
  resumeSignal,
  retryClusterSignal,
  setMaxParallelUpdate,
  skipClusterSignal,
  statusQuery,
  waveCancelSignal,
  wavePauseSignal,
  waveResumeSignal,
  waveRetrySignal,
  waveSetMaxParallelSignal,
  waveSkipSignal,
} from './messages';
import { waveWorkflow } from './wave';

const now = () => new Date().toISOString();

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

export async function fleetOperationWorkflow(input: OperationInput): Promise<OperationState> {
  const s = input.carried ?? initialState(input);
  let child: ChildWorkflowHandle<typeof waveWorkflow> | undefined;
  const isFinal = () => FINAL_OPERATION_STATES.includes(s.state);

  function setState(state: OperationStateName, pauseReason: PauseReason | null = null): void {
    s.state = state;
    s.pauseReason = pauseReason;
    s.updatedAt = now();
    upsertSearchAttributes([{ key: FLEET_STATE, value: state }]);
    const wave = s.currentWave ? s.waves[s.currentWave - 1] : undefined;
    setCurrentDetails(
      `**${state}**${pauseReason ? ` (${pauseReason})` : ''}` +
        (wave ? ` · wave ${wave.number}/${s.waves.length} '${wave.name}' ${wave.state}` : '') +
        (s.failuresTotal ? ` · ${s.failuresTotal} failed` : ''),
    );
  }

  /** Sends to the running wave, if any; `orElse` runs when there is none or it already closed. */
  function toWave(send: (h: ChildWorkflowHandle<typeof waveWorkflow>) => Promise<void>, orElse?: () => void): void {
    if (!child) return orElse?.();
    void send(child).catch(() => orElse?.());
  }

  setHandler(statusQuery, () => s);
  setHandler(pauseSignal, ({ by }) => {
    if (isFinal() || s.paused) return;
    log.info('operation paused by an operator', { operationId: s.operationId, by });
    s.paused = true;
    const running = s.currentWave ? s.waves[s.currentWave - 1] : undefined;
    if (running?.state === 'running') running.state = 'paused';
    setState('paused', 'operator');
    toWave((h) => h.signal(wavePauseSignal));
  });
  setHandler(resumeSignal, ({ by }) => {
    if (isFinal() || !s.paused) return;
    log.info('operation resumed', { operationId: s.operationId, by, pauseReason: s.pauseReason });
    s.paused = false;
    const current = s.currentWave ? s.waves[s.currentWave - 1] : undefined;
    if (current?.state === 'paused') current.state = 'running';
    setState(s.pendingApproval ? 'awaiting_approval' : 'running');
    toWave((h) => h.signal(waveResumeSignal));
  });
  setHandler(cancelSignal, ({ by }) => {
    if (isFinal()) return;
    log.info('operation cancel requested: in-flight clusters finish, nothing new starts', {
      operationId: s.operationId,
      by,
    });
    s.cancelRequested = true;
    toWave((h) => h.signal(waveCancelSignal));
  });
  setHandler(approveWaveSignal, ({ wave, by, comment }) => {
    const ws = s.waves[wave - 1];
    if (!ws || s.pendingApproval?.wave !== wave) return;
    log.info('wave approved', { operationId: s.operationId, wave, by });
    ws.approvedBy = by;
    ws.approvedAt = now();
    ws.approvalComment = comment ?? null;
    s.pendingApproval = null;
  });
  setHandler(retryClusterSignal, async ({ clusterId, by }) => {
    if (isFinal()) return;
    const attempt = (s.retryAttempts[clusterId] ?? 1) + 1;
    s.retryAttempts[clusterId] = attempt;
    const work: ClusterWork = { clusterId, attempt };
    log.info('cluster retry requested', { operationId: s.operationId, clusterId, operatorAttempt: attempt, by });
    toWave(
      (h) => h.signal(waveRetrySignal, work),
      () => void s.pendingRetries.push(work),
    );
    // Operations started before this change never recorded the re-queue: keep their replay unchanged.
    if (patched('requeue-run-on-retry')) {
      await bookkeeping.requeueCluster.executeWithOptions(
        { ...BOOKKEEPING_OPTIONS, summary: `re-queue ${clusterId} (retry by ${by})` },
        [{ operationId: s.operationId, clusterId }],
      );
    }
  });
  setHandler(skipClusterSignal, async ({ clusterId, by }) => {
    if (isFinal()) return;
    log.info('cluster skipped by an operator', { operationId: s.operationId, clusterId, by });
    s.skipped.push({ clusterId, by });
    s.notStarted = s.notStarted.filter((w) => w.clusterId !== clusterId);
    s.pendingRetries = s.pendingRetries.filter((w) => w.clusterId !== clusterId);
    toWave((h) => h.signal(waveSkipSignal, { clusterId }));
    await bookkeeping.skipClusters.executeWithOptions(
      { ...BOOKKEEPING_OPTIONS, summary: `skip ${clusterId} (by ${by})` },
      [{ operationId: s.operationId, clusterIds: [clusterId], reason: `skipped_by:${by}` }],
    );
  });
  setHandler(
    setMaxParallelUpdate,
    ({ maxParallel, by }) => {
      log.info('maxParallel changed', { operationId: s.operationId, maxParallel, by });
      s.maxParallelOverride = maxParallel;
      s.updatedAt = now();
      toWave((h) => h.signal(waveSetMaxParallelSignal, { maxParallel }));
      return { maxParallel };
    },
    {
      validator: ({ maxParallel }) => {
        if (!Number.isInteger(maxParallel) || maxParallel < 1 || maxParallel > 1000) {
          throw new Error('maxParallel must be an integer from 1 to 1000');
        }
        if (isFinal()) throw new Error(`the operation is ${s.state}`);
      },
    },
  );

  async function close(outcome: 'completed' | 'failed' | 'cancelled'): Promise<OperationState> {
    await bookkeeping.closeOperation.executeWithOptions(
      { ...BOOKKEEPING_OPTIONS, summary: `close the operation: ${outcome}` },
      [{ operationId: s.operationId, outcome }],
    );
    if (outcome === 'cancelled') {
      for (const ws of s.waves) if (ws.state === 'pending' || ws.state === 'awaiting_approval') ws.state = 'cancelled';
    }
    s.pendingApproval = null;
    s.paused = false;
    setState(outcome, null);
    log.info('operation finished', {
      operationId: s.operationId,
      outcome,
      failuresTotal: s.failuresTotal,
      wavesCompleted: s.waves.filter((w) => w.state === 'completed').length,
      waves: s.waves.length,
    });
    await condition(allHandlersFinished);
    return s;
  }

  setState(s.paused ? 'paused' : 'running', s.paused ? 'operator' : null);
  for (; s.waveIndex < input.waves.length; s.waveIndex++) {
    if (s.cancelRequested) break;
    if (workflowInfo().continueAsNewSuggested) {
      // Only between waves, when no child runs: the state object carries everything, signals included.
      await condition(allHandlersFinished);
      return continueAsNew<typeof fleetOperationWorkflow>({ ...input, carried: s });
    }
    const wave = input.waves[s.waveIndex]!;
    const ws = s.waves[s.waveIndex]!;
    s.currentWave = wave.number;
    if (wave.size === 0 && s.pendingRetries.length === 0) {
      ws.state = 'empty';
      continue;
    }
    if (wave.approval === 'manual' && !ws.approvedBy) {
      ws.state = 'awaiting_approval';
      s.pendingApproval = { wave: wave.number };
      log.info('wave awaiting approval', {
        operationId: s.operationId,
        wave: wave.number,
        waveName: wave.name,
        clusters: wave.size,
      });
      setState(s.paused ? 'paused' : 'awaiting_approval', s.paused ? 'operator' : null);
      await condition(() => ws.approvedBy !== null || s.cancelRequested);
      if (s.cancelRequested) break;
    }
    if (s.paused) {
      ws.state = 'pending';
      setState('paused', 'operator');
      await condition(() => !s.paused || s.cancelRequested);
      if (s.cancelRequested) break;
    }

    let work: ClusterWork[] | undefined;
    for (;;) {
      ws.state = s.paused ? 'paused' : 'running';
      ws.startedAt ??= now();
      ws.runs++;
      setState(s.paused ? 'paused' : 'running', s.paused ? 'operator' : null);
      child = await startChild(waveWorkflow, {
        workflowId: waveWorkflowId(s.operationId, wave.number),
        args: [
          {
            operationId: s.operationId,
            wave,
            action: input.action,
            monitor: input.monitor,
            rollbackOnFailure: input.rollbackOnFailure,
            maxParallel: s.maxParallelOverride ?? wave.maxParallel,
            maxFailures: wave.maxFailures,
            totalFailuresLeft:
              input.maxFailuresTotal === null ? null : Math.max(0, input.maxFailuresTotal - s.failuresTotal),
            paused: s.paused,
            work,
            extra: s.pendingRetries.splice(0),
            skip: s.skipped.map((x) => x.clusterId),
          },
        ],
        typedSearchAttributes: [
          { key: FLEET_OPERATION_ID, value: s.operationId },
          { key: FLEET_WAVE, value: wave.number },
        ],
        staticSummary: `wave ${wave.number} '${wave.name}' of ${s.operationId}: ${wave.size} clusters, maxParallel ${s.maxParallelOverride ?? wave.maxParallel} at start`,
      });
      const result = await child.result();
      child = undefined;
      s.failuresTotal += result.failed;
      if (result.outcome === 'cancelled') {
        ws.state = 'cancelled';
        break;
      }
      if (result.outcome === 'completed') {
        if (s.pendingRetries.length > 0 && !s.cancelRequested) {
          work = [];
          continue;
        }
        ws.state = 'completed';
        break;
      }
      // The failure budget is spent: nothing new starts; the operator decides, or the operation fails.
      ws.state = 'stopped';
      s.notStarted = result.notStarted;
      const reason: PauseReason =
        result.outcome === 'budget_exceeded' ? 'failure_budget_exceeded' : 'total_failure_budget_exceeded';
      log.warn('wave stopped by its failure budget', {
        operationId: s.operationId,
        wave: wave.number,
        reason,
        failed: result.failed,
        failuresTotal: s.failuresTotal,
        notStarted: result.notStarted.length,
        onFailure: input.onFailure,
      });
      if (input.onFailure === 'abort') {
        ws.state = 'failed';
        s.error = `wave ${wave.number} '${wave.name}' stopped: ${reason} (${s.failuresTotal} failed in total)`;
        ws.finishedAt = now();
        await close('failed');
        throw ApplicationFailure.nonRetryable(s.error, 'OperationFailed');
      }
      s.paused = true;
      setState('paused', reason);
      await condition(() => !s.paused || s.cancelRequested);
      if (s.cancelRequested) break;
      // Resume gives a fresh budget: the wave takes what never started, plus retried clusters.
      if (reason === 'total_failure_budget_exceeded') s.failuresTotal = 0;
      work = s.notStarted.splice(0);
    }
    ws.finishedAt = now();
    if (s.cancelRequested) break;
    if (wave.bakeSeconds > 0 && s.waveIndex < input.waves.length - 1) {
      ws.state = 'baking';
      setState(s.paused ? 'paused' : 'running', s.paused ? 'operator' : null);
      await condition(() => s.cancelRequested, Math.round(wave.bakeSeconds * 1000));
      ws.state = 'completed';
    }
  }
  return close(s.cancelRequested ? 'cancelled' : 'completed');
}
