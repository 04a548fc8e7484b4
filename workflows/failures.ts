// Turns a failed activity into the one-line reason recorded on the cluster's run, or into the failure a wave
// parks a cluster for instead of failing it.
import { ActivityFailure, ApplicationFailure, TimeoutFailure } from '@temporalio/workflow';
import { outsideWindowDetails } from '../domain/parking';

// `code: …`, or `code:<name>: …` for codes that name what they are about (`secret_missing:<ref>: …`).
const ERROR_CODE_PREFIX = /^[a-z][a-z_]*:(?: |[A-Za-z0-9_.-]+: )/;

export function failureMessage(err: unknown): string {
  let cause: unknown = err;
  while (cause instanceof ActivityFailure && cause.cause) cause = cause.cause;
  if (cause instanceof ApplicationFailure) {
    // Messages that start with their own error code (`deadline_exceeded: …`, `version_mismatch: …`) stand as they are.
    if (ERROR_CODE_PREFIX.test(cause.message)) return cause.message.slice(0, 1000);
    return `${cause.type ?? 'Error'}: ${cause.message}`.slice(0, 1000);
  }
  if (cause instanceof TimeoutFailure) {
    // Temporal's backstop past the step's deadline; the last attempt's failure, when any, is its cause.
    if (cause.timeoutType === 'SCHEDULE_TO_CLOSE') {
      const last = cause.cause ? failureMessage(cause.cause) : 'no attempt answered';
      return `deadline_exceeded: the step did not finish in time; last error: ${last}`.slice(0, 1000);
    }
    return `timed out (${cause.timeoutType})`;
  }
  return (cause instanceof Error ? cause.message : String(cause)).slice(0, 1000);
}

/** The apply's OutsideWindow failure (when the next window opens), or null for any other failure. */
export function outsideWindow(err: unknown): { untilMs: number; opensAt: string } | null {
  let cause: unknown = err;
  while (cause instanceof ActivityFailure && cause.cause) cause = cause.cause;
  return cause instanceof ApplicationFailure
    ? outsideWindowDetails(cause.type ?? undefined, cause.details ?? undefined)
    : null;
}
