// fleetOperationWorkflow: one operation — waves in order, approval gates, a child workflow per wave,
// the failure policy and bake time; the operator's controls are OperatorControls (operator-actions.ts),
// the live plan edits PlanEditor (plan-edits.ts).
import {
  allHandlersFinished,
  ApplicationFailure,
  condition,
  continueAsNew,
  log,
  patched,
  setHandler,
  startChild,
  workflowInfo,
} from '@temporalio/workflow';
import { waveWorkflowId } from '../domain/ids';
import { FLEET_OPERATION_ID, FLEET_WAVE } from '../domain/search-attributes';
import type { PauseReason } from '../domain/states';
import type { ClusterWork, OperationInput, OperationState, SetMaxParallelInput } from '../domain/workflow-contracts';
import {
  approveWaveSignal,
  cancelSignal,
  guardTrippedSignal,
  operatorActionUpdate,
  pauseSignal,
  resumeSignal,
  retryClusterSignal,
  setMaxParallelUpdate,
  skipClusterSignal,
  statusQuery,
} from './messages';
import { AlarmWatch } from './alarm-watch';
import { pauseForGuard } from './guard-pause';
import { GOVERNED_ACTIONS_PATCH, now, OperationRun, STATUS_SNAPSHOT_PATCH } from './operation';
import { awaitApproval, close } from './operation-steps';
import { OperatorControls } from './operator-actions';
import { PlanEditor } from './plan-edits';
import { waveWorkflow } from './wave';

/**
 * The operator's controls. Signals (the Web UI, the temporal CLI, the API when no worker answers) and the
 * API's update go through the same rules; histories recorded before governed actions replay the old handlers.
 */
function registerHandlers(run: OperationRun): void {
  new PlanEditor(run).register();
  const controls = new OperatorControls(run);
  setHandler(statusQuery, () => run.state);
  const governed = () => patched(GOVERNED_ACTIONS_PATCH);
  setHandler(
    pauseSignal,
    async (actor) => void (governed() ? await controls.act('pause', actor) : controls.pause(actor)),
  );
  setHandler(
    resumeSignal,
    async (actor) => void (governed() ? await controls.act('resume', actor) : controls.resume(actor)),
  );
  setHandler(
    cancelSignal,
    async (actor) => void (governed() ? await controls.act('cancel', actor) : controls.cancel(actor)),
  );
  setHandler(approveWaveSignal, async (approval) =>
    governed() ? void (await controls.act('approve', approval)) : controls.approveWave(approval),
  );
  setHandler(retryClusterSignal, async (ref) =>
    governed() ? void (await controls.act('retry', ref)) : controls.retryCluster(ref),
  );
  setHandler(skipClusterSignal, async (ref) =>
    governed() ? void (await controls.act('skip', ref)) : controls.skipCluster(ref),
  );
  // A wave found a fleet limit tripped: pause, as for a firing alarm.
  setHandler(guardTrippedSignal, (tripped) => pauseForGuard(run, tripped));
  setHandler(operatorActionUpdate, (input) => {
    governed();
    return controls.act(input?.action, input);
  });
  setHandler(
    setMaxParallelUpdate,
    (change) => {
      const result = run.setMaxParallel(change);
      // Answered once the snapshot shows the change; histories from before snapshots answer at once.
      return run.writesStatusSnapshots() ? run.flushStatusSnapshot().then(() => result) : result;
    },
    { validator: (change: SetMaxParallelInput) => run.validateMaxParallel(change) },
  );
}

/**
 * Runs one wave as child workflows until it completes or is cancelled: a wave stopped by a failure
 * budget pauses the operation (or fails it, onFailure abort) and runs again on resume.
 */
async function runWave(run: OperationRun, alarms: AlarmWatch, input: OperationInput, number: number): Promise<void> {
  const state = run.state;
  const waveStatus = state.waves[number - 1]!;
  let onlyClusters: ClusterWork[] | undefined;
  // After a budget stop of a wave that pages its plan: where the rerun pages on, after onlyClusters.
  let resumeAfter: string | undefined;
  for (;;) {
    // A move or an append being written: the wave reads its clusters once the plan is whole.
    if (run.planWriting) await condition(() => !run.planWriting);
    // Its knobs as they are now: live edits reach every run of the wave.
    const wave = run.waves()[number - 1]!;
    waveStatus.state = state.paused ? 'paused' : 'running';
    waveStatus.startedAt ??= now();
    waveStatus.runs++;
    run.showRunningOrPaused();
    const maxParallel = run.maxParallelOf(wave);
    const result = await run.runWaveChild(() =>
      startChild(waveWorkflow, {
        workflowId: waveWorkflowId(state.operationId, wave.number),
        args: [
          {
            operationId: state.operationId,
            wave,
            action: input.action,
            monitor: input.monitor,
            applyTimeoutSeconds: input.limits?.applyTimeoutSeconds,
            rollbackOnFailure: input.rollbackOnFailure,
            maxParallel,
            maxFailures: wave.maxFailures,
            totalFailuresLeft:
              input.maxFailuresTotal === null ? null : Math.max(0, input.maxFailuresTotal - state.failuresTotal),
            paused: state.paused,
            onlyClusters,
            ...(resumeAfter !== undefined ? { resumeAfter } : {}),
            retries: state.pendingRetries.splice(0),
            skip: state.skipped.map((x) => x.clusterId),
            ...(input.onLeased ? { onLeased: input.onLeased } : {}),
            ...(input.deadline ? { deadline: input.deadline } : {}),
            ...(input.limits?.leaseCheckSeconds ? { leaseCheckSeconds: input.limits.leaseCheckSeconds } : {}),
            ...(input.limits?.guardCheckSeconds ? { guardCheckSeconds: input.limits.guardCheckSeconds } : {}),
            ...(input.limits?.waveLanes && input.limits.waveLanes > 1 ? { lanes: input.limits.waveLanes } : {}),
          },
        ],
        typedSearchAttributes: [
          { key: FLEET_OPERATION_ID, value: state.operationId },
          { key: FLEET_WAVE, value: wave.number },
        ],
        staticSummary: `wave ${wave.number} '${wave.name}' of ${state.operationId}: ${wave.size} clusters, maxParallel ${maxParallel} at start`,
      }),
    );
    state.failuresTotal += result.failed;
    if (result.outcome === 'cancelled') {
      waveStatus.state = 'cancelled';
      return;
    }
    if (result.outcome === 'completed') {
      // Retries that arrived after the wave closed run in one more child of the same wave.
      if (state.pendingRetries.length > 0 && !state.cancelRequested) {
        onlyClusters = [];
        resumeAfter = undefined;
        continue;
      }
      waveStatus.state = 'completed';
      return;
    }
    // The failure budget is spent: nothing new starts; the operator decides, or the operation fails. What
    // never started is bounded: a paging wave hands back what it had loaded, the rest stays in PostgreSQL.
    waveStatus.state = 'stopped';
    state.notStarted = result.notStarted;
    resumeAfter = result.resumeAfter;
    const reason: PauseReason =
      result.outcome === 'budget_exceeded' ? 'failure_budget_exceeded' : 'total_failure_budget_exceeded';
    log.warn('wave stopped by its failure budget', {
      operationId: state.operationId,
      wave: wave.number,
      reason,
      failed: result.failed,
      failuresTotal: state.failuresTotal,
      notStarted: result.notStarted.length,
      morePending: result.resumeAfter !== undefined,
      onFailure: input.onFailure,
    });
    if (input.onFailure === 'abort') {
      waveStatus.state = 'failed';
      state.error = `wave ${wave.number} '${wave.name}' stopped: ${reason} (${state.failuresTotal} failed in total)`;
      waveStatus.finishedAt = now();
      await close(run, alarms, 'failed');
      throw ApplicationFailure.nonRetryable(state.error, 'OperationFailed');
    }
    state.paused = true;
    run.setState('paused', reason);
    await condition(() => !state.paused || state.cancelRequested);
    if (state.cancelRequested) return;
    // Resume gives a fresh budget: the wave takes what never started, then pages on after resumeAfter
    // through what stayed pending, plus retried clusters (with their attempt).
    if (reason === 'total_failure_budget_exceeded') state.failuresTotal = 0;
    onlyClusters = state.notStarted.splice(0);
  }
}

export async function fleetOperationWorkflow(input: OperationInput): Promise<OperationState> {
  const run = new OperationRun(input);
  const state = run.state;
  registerHandlers(run);
  if (patched(STATUS_SNAPSHOT_PATCH)) run.startStatusSnapshots();
  const alarms = new AlarmWatch(run, input);
  alarms.start();

  run.showRunningOrPaused();
  // Inner loop: the waves in order. Outer: a wave appended while the last one ended runs too; after that
  // the plan takes no more edits.
  for (;;) {
    for (; state.waveIndex < run.waves().length; state.waveIndex++) {
      if (state.cancelRequested) break;
      if (workflowInfo().continueAsNewSuggested) {
        // Only between waves, when no child runs: the state object carries everything, signals included.
        await alarms.stop();
        await condition(allHandlersFinished);
        await run.flushStatusSnapshot();
        return continueAsNew<typeof fleetOperationWorkflow>({ ...input, carried: state });
      }
      const wave = run.waves()[state.waveIndex]!;
      const waveStatus = state.waves[state.waveIndex]!;
      state.currentWave = wave.number;
      if (wave.size === 0 && state.pendingRetries.length === 0) {
        waveStatus.state = 'empty';
        continue;
      }
      if (wave.approval === 'manual' && !waveStatus.approvedBy && !(await awaitApproval(run, wave))) break;
      // A fresh look at the alarms before the wave starts: one that fires holds the wave (paused).
      await alarms.checkBeforeWave(wave.number);
      if (state.paused) {
        waveStatus.state = 'pending';
        run.showRunningOrPaused();
        await condition(() => !state.paused || state.cancelRequested);
        if (state.cancelRequested) break;
      }
      await runWave(run, alarms, input, wave.number);
      waveStatus.finishedAt = now();
      if (state.cancelRequested) break;
      const bakeSeconds = () => run.waves()[state.waveIndex]!.bakeSeconds;
      if (bakeSeconds() > 0 && state.waveIndex < run.waves().length - 1) {
        waveStatus.state = 'baking';
        run.showRunningOrPaused();
        // A live edit of bakeSeconds moves the bake's end: that long after it began, or now if that has passed.
        const began = Date.now();
        let seconds = bakeSeconds();
        let wait = Math.round(seconds * 1000);
        while (await condition(() => state.cancelRequested || bakeSeconds() !== seconds, wait)) {
          if (state.cancelRequested) break;
          seconds = bakeSeconds();
          wait = Math.round(began + seconds * 1000 - Date.now());
          if (wait <= 0) break;
        }
        waveStatus.state = 'completed';
      }
    }
    if (state.cancelRequested || !run.planWriting) break;
    await condition(() => !run.planWriting);
    if (state.waveIndex >= run.waves().length) break;
  }
  run.closing = true;
  return close(run, alarms, state.cancelRequested ? 'cancelled' : 'completed');
}
