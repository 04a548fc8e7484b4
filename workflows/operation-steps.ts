// The steps of an operation around its waves: the approval gate before a wave, and the close at the end
// (alarm watch stopped, leases released, the final state written before the workflow ends).
import { allHandlersFinished, condition, log } from '@temporalio/workflow';
import type { OperationState, WaveSummary } from '../domain/workflow-contracts';
import { BOOKKEEPING_OPTIONS, bookkeeping, withSummary } from './activity-options';
import type { AlarmWatch } from './alarm-watch';
import type { OperationRun } from './operation';

export async function close(
  run: OperationRun,
  alarms: AlarmWatch,
  outcome: 'completed' | 'failed' | 'cancelled',
): Promise<OperationState> {
  const state = run.state;
  await alarms.stop();
  await bookkeeping.closeOperation.executeWithOptions(
    withSummary(BOOKKEEPING_OPTIONS, `close the operation: ${outcome}`),
    [{ operationId: state.operationId, outcome }],
  );
  if (outcome === 'cancelled') {
    for (const wave of state.waves) {
      if (wave.state === 'pending' || wave.state === 'awaiting_approval') wave.state = 'cancelled';
    }
  }
  state.pendingApproval = null;
  state.paused = false;
  run.setState(outcome, null);
  log.info('operation finished', {
    operationId: state.operationId,
    outcome,
    failuresTotal: state.failuresTotal,
    wavesCompleted: state.waves.filter((w) => w.state === 'completed').length,
    waves: state.waves.length,
  });
  await condition(allHandlersFinished);
  // The final state is in PostgreSQL before the workflow closes: status never shows a closed one running.
  await run.flushStatusSnapshot();
  return state;
}

/** Holds the wave until it is approved (or the operation is cancelled); false when cancelled. */
export async function awaitApproval(run: OperationRun, wave: WaveSummary): Promise<boolean> {
  const state = run.state;
  const waveStatus = state.waves[wave.number - 1]!;
  waveStatus.state = 'awaiting_approval';
  state.pendingApproval = { wave: wave.number };
  log.info('wave awaiting approval', {
    operationId: state.operationId,
    wave: wave.number,
    waveName: wave.name,
    clusters: wave.size,
  });
  if (state.paused) run.showRunningOrPaused();
  else run.setState('awaiting_approval');
  await condition(() => waveStatus.approvedBy !== null || state.cancelRequested);
  return !state.cancelRequested;
}
