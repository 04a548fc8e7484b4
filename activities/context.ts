// Bridges Temporal's activity context to the adapter seam: heartbeats, cancellation, periodic liveness.
import { Context } from '@temporalio/activity';
import type { AdapterContext } from '../adapters/types';

export interface AdapterContextOptions {
  /** Aborts the call when the cluster's deadline passes, as cancellation does. */
  deadline?: AbortSignal;
  recordProviderOperation?: AdapterContext['recordProviderOperation'];
  everyMs?: number;
}

/**
 * Runs `fn` with an AdapterContext; while it runs, the last progress detail is re-sent every
 * `everyMs` so a slow step without progress still proves the worker is alive.
 */
export async function withAdapterContext<T>(
  fn: (ctx: AdapterContext) => Promise<T>,
  { deadline, recordProviderOperation, everyMs = 2000 }: AdapterContextOptions = {},
): Promise<T> {
  const activity = Context.current();
  let last: unknown = undefined;
  const ctx: AdapterContext = {
    heartbeat(details) {
      last = details;
      activity.heartbeat(details);
    },
    signal: deadline ? AbortSignal.any([activity.cancellationSignal, deadline]) : activity.cancellationSignal,
    ...(recordProviderOperation ? { recordProviderOperation } : {}),
  };
  const timer = setInterval(() => activity.heartbeat(last), everyMs);
  try {
    // No heartbeat up front: each one is a call to the server, and an instant change needs none.
    return await fn(ctx);
  } finally {
    clearInterval(timer);
  }
}
