// Turns a failed activity into the one-line reason recorded on the cluster's run.
import { ActivityFailure, ApplicationFailure, TimeoutFailure } from '@temporalio/workflow';

export function failureMessage(err: unknown): string {
  let cause: unknown = err;
  while (cause instanceof ActivityFailure && cause.cause) cause = cause.cause;
  if (cause instanceof ApplicationFailure) return `${cause.type ?? 'Error'}: ${cause.message}`.slice(0, 1000);
  if (cause instanceof TimeoutFailure) return `timed out (${cause.timeoutType})`;
  return (cause instanceof Error ? cause.message : String(cause)).slice(0, 1000);
}
