// The fleet guard as an operation meets it: a wave reports a limit whose hourly failures are over it, and
// the operation pauses `guard:<limit>` (like a firing alarm, nothing resumes it by itself); a resume is
// refused while that limit is still exceeded.
import { log } from '@temporalio/workflow';
import { guardExceededMessage, guardPauseReason, limitOfPauseReason } from '../domain/guard';
import type { Refusal } from '../domain/operator-actions';
import type { GuardTripped } from '../domain/workflow-contracts';
import { BOOKKEEPING_OPTIONS, bookkeeping, withSummary } from './activity-options';
import { wavePauseSignal } from './messages';
import type { OperationRun } from './operation';

/** The wave paused itself already; the operation follows, with the limit as its reason. */
export function pauseForGuard(run: OperationRun, tripped: GuardTripped): void {
  const state = run.state;
  if (run.isFinal() || state.cancelRequested) return;
  const reason = guardPauseReason(tripped.limit);
  if (state.paused && state.pauseReason === reason) return;
  log.warn('fleet limit tripped: operation paused; in-flight clusters finish, none starts', {
    operationId: run.operationId,
    limit: tripped.limit,
    wave: tripped.wave,
    clusterId: tripped.clusterId,
  });
  const wasPaused = state.paused;
  state.paused = true;
  const running = run.currentWaveStatus();
  if (running?.state === 'running') running.state = 'paused';
  run.setState('paused', reason);
  if (!wasPaused) run.toWave((wave) => wave.signal(wavePauseSignal));
}

/**
 * A resume of an operation a limit paused: refused (`guard_exceeded`) while the limit's failures in the
 * last hour are still over it, read from PostgreSQL. Any other pause reason needs no look.
 */
export async function guardRefusal(run: OperationRun): Promise<Refusal | null> {
  const limit = limitOfPauseReason(run.state.pauseReason);
  if (!limit || !run.state.paused) return null;
  const found = await bookkeeping.checkGuardLimit.executeWithOptions(
    withSummary(BOOKKEEPING_OPTIONS, `check fleet limit '${limit}' before resuming`),
    [{ limit }],
  );
  if (!found.exceeded) return null;
  return { reason: 'guard_exceeded', message: guardExceededMessage(run.operationId, limit, found) };
}
