// How long a cluster's adapter steps may take, and how their retries back off: one source for the
// workflow's retry policies and the activities that decide a retry would land past the deadline.

/** limits.applyTimeoutSeconds when an operation does not say. */
export const DEFAULT_APPLY_TIMEOUT_SECONDS = 3600;
export const MAX_APPLY_TIMEOUT_SECONDS = 604_800;

/** Backoff of retried activities: 1 s, doubling, at most 30 s between attempts. */
export const RETRY_BACKOFF = { initialIntervalMs: 1000, backoffCoefficient: 2, maximumIntervalMs: 30_000 } as const;

/** The wait Temporal puts between attempt `attempt` (1-based) failing and the next one starting. */
export function retryDelayMs(attempt: number): number {
  const { initialIntervalMs, backoffCoefficient, maximumIntervalMs } = RETRY_BACKOFF;
  return Math.min(maximumIntervalMs, initialIntervalMs * backoffCoefficient ** Math.max(0, attempt - 1));
}

/** The error of a cluster whose step ran out of time: it starts `deadline_exceeded:` and quotes the last error. */
export function deadlineExceeded(step: string, seconds: number, attempts: number, lastError: string | null): string {
  const tries = attempts === 1 ? '1 attempt' : `${attempts} attempts`;
  return `deadline_exceeded: ${step} did not succeed within ${seconds}s (${tries}); last error: ${lastError ?? 'none recorded'}`.slice(
    0,
    1000,
  );
}
