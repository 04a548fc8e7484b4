// How an adapter call stops when its activity is cancelled or times out: the abort reason as an error,
// and a wait that ends as soon as the signal aborts.
import { setTimeout as sleep } from 'node:timers/promises';

/** The error that explains why `signal` aborted (the reason itself when it is an Error). */
export function abortReason(signal: AbortSignal): Error {
  return signal.reason instanceof Error ? signal.reason : new Error(`aborted: ${String(signal.reason)}`);
}

export function throwIfAborted(signal: AbortSignal): void {
  if (signal.aborted) throw abortReason(signal);
}

/** Waits `ms`; rejects with the abort reason as soon as `signal` aborts. */
export async function sleepUnlessAborted(ms: number, signal: AbortSignal): Promise<void> {
  try {
    await sleep(ms, undefined, { signal });
  } catch (err) {
    throw signal.aborted ? abortReason(signal) : err;
  }
}
