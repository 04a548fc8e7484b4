// A cluster step's deadline inside its activity: counted from the first attempt's schedule time, so a
// worker crash or a retry never restarts the clock, and a transient error past it ends the cluster.
import { ApplicationFailure, Context } from '@temporalio/activity';
import { DEFAULT_APPLY_TIMEOUT_SECONDS, deadlineExceeded, retryDelayMs } from '../domain/deadlines';
import { PERMANENT_FAILURE_TYPES } from '../domain/workflow-contracts';
import type { Queryable } from '../db/pool';
import { getRun, recordAdapterError } from '../db/runs';

export interface StepDeadline {
  /** What the step is called in the error (`apply`, `reading the cluster's state`, `rollback`). */
  step: string;
  seconds: number;
  /** This attempt's number, 1-based (Temporal's activity attempt). */
  attempt: number;
  atMs: number;
}

export function stepDeadline(step: string, input: { applyTimeoutSeconds?: number }): StepDeadline {
  const { info } = Context.current();
  const seconds = input.applyTimeoutSeconds ?? DEFAULT_APPLY_TIMEOUT_SECONDS;
  return { step, seconds, attempt: info.attempt, atMs: info.scheduledTimestampMs + seconds * 1000 };
}

export const msLeft = (deadline: StepDeadline) => deadline.atMs - Date.now();

/** Whether the retry Temporal would schedule after this attempt still starts before the deadline. */
export const retryFits = (deadline: StepDeadline) => Date.now() + retryDelayMs(deadline.attempt) < deadline.atMs;

/** Permanent: named in PERMANENT_FAILURE_TYPES or marked non-retryable; such errors end the step at once anyway. */
export function isPermanent(err: unknown): boolean {
  if (err instanceof ApplicationFailure && err.nonRetryable) return true;
  return err instanceof Error && PERMANENT_FAILURE_TYPES.includes(err.name);
}

export const errorText = (err: unknown) => (err instanceof Error ? err.message : String(err)).slice(0, 1000);

/** The non-retryable failure that ends the step: `deadline_exceeded: …` quoting the last error. */
export function deadlineFailure(
  deadline: StepDeadline,
  attempts: number,
  lastError: string | null,
): ApplicationFailure {
  return ApplicationFailure.create({
    type: 'DeadlineExceeded',
    message: deadlineExceeded(deadline.step, deadline.seconds, attempts, lastError),
    nonRetryable: true,
  });
}

/**
 * Runs one attempt of an adapter step under its deadline: the call is aborted when the deadline passes;
 * a failed attempt is shown on the run (lastError, adapterAttempts); a transient error whose retry would
 * start past the deadline, or an attempt that starts past it, ends the step with `deadline_exceeded:`.
 */
export async function underDeadline<T>(
  db: Queryable,
  deadline: StepDeadline,
  run: { operationId: string; clusterId: string },
  call: (deadlineSignal: AbortSignal) => Promise<T>,
): Promise<T> {
  const { attempt } = deadline;
  if (msLeft(deadline) <= 0) {
    // The attempt before this one was lost (a worker crash): its error, if any, is on the run.
    const previous = await getRun(db, run.operationId, run.clusterId);
    throw deadlineFailure(deadline, attempt - 1, previous?.lastError ?? 'the worker running the last attempt was lost');
  }
  // A timer cleared when the call ends: at 10,000 clusters, hour-long AbortSignal.timeout timers would pile up.
  const deadlinePassed = new AbortController();
  const timer = setTimeout(
    () => deadlinePassed.abort(new Error(`${deadline.step}: deadline passed`)),
    msLeft(deadline),
  );
  try {
    return await call(deadlinePassed.signal);
  } catch (err) {
    if (Context.current().cancellationSignal.aborted) throw err;
    const cutOff = deadlinePassed.signal.aborted;
    const lastError = cutOff ? `${deadline.step} was still in progress when the deadline passed` : errorText(err);
    await recordAdapterError(db, { ...run, adapterAttempts: attempt, lastError });
    if (cutOff || (!isPermanent(err) && !retryFits(deadline))) throw deadlineFailure(deadline, attempt, lastError);
    throw err;
  } finally {
    clearTimeout(timer);
  }
}
