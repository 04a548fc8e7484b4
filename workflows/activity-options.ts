// Activity proxies with deliberate timeouts and retry policies; permanent failures are never retried here.
import { proxyActivities, type ActivityOptions } from '@temporalio/workflow';
import type { Activities } from '../activities';
import { PERMANENT_FAILURE_TYPES } from '../domain/workflow-contracts';
import type { MonitorSpec } from '../domain/operation';
import { DEFAULT_APPLY_TIMEOUT_SECONDS, RETRY_BACKOFF } from '../domain/deadlines';

const retry = {
  initialInterval: RETRY_BACKOFF.initialIntervalMs,
  backoffCoefficient: RETRY_BACKOFF.backoffCoefficient,
  // Transient trouble (PostgreSQL restarting, a control plane answering 5xx) is waited out: forever for
  // bookkeeping against our own database, until the cluster's deadline for calls through an adapter.
  maximumInterval: RETRY_BACKOFF.maximumIntervalMs,
  nonRetryableErrorTypes: PERMANENT_FAILURE_TYPES,
};

/**
 * Beyond the deadline the activity enforces itself (it fails `deadline_exceeded:` when a retry would
 * start too late), Temporal ends the step this long after it, should no worker be there to say so.
 */
const DEADLINE_BACKSTOP_SECONDS = 300;

export const BOOKKEEPING_OPTIONS: ActivityOptions = { startToCloseTimeout: '30s', retry };
export const ADAPTER_CALL_OPTIONS: ActivityOptions = { startToCloseTimeout: '2h', heartbeatTimeout: '20s', retry };

/** Short bookkeeping against PostgreSQL. */
export const bookkeeping = proxyActivities<Activities>(BOOKKEEPING_OPTIONS);

/** Calls through a cluster's adapter (apply, monitor, roll back): long, heartbeating, so a dead worker is noticed fast. */
export const adapterCalls = proxyActivities<Activities>(ADAPTER_CALL_OPTIONS);

/** Apply and rollback: heartbeating adapter calls whose retries end at the cluster's deadline. */
export function changeOptions(applyTimeoutSeconds = DEFAULT_APPLY_TIMEOUT_SECONDS): ActivityOptions {
  const backstop = Math.ceil((applyTimeoutSeconds + DEADLINE_BACKSTOP_SECONDS) * 1000);
  // One attempt may use the whole deadline (a long rolling restart); heartbeats notice a lost worker sooner.
  return { ...ADAPTER_CALL_OPTIONS, startToCloseTimeout: backstop, scheduleToCloseTimeout: backstop };
}

/**
 * Select reads the cluster's state through its adapter: a call that may be slow (heartbeating meanwhile)
 * and retries until the deadline, around bookkeeping that retries as long as PostgreSQL needs.
 */
export function selectOptions(applyTimeoutSeconds = DEFAULT_APPLY_TIMEOUT_SECONDS): ActivityOptions {
  return {
    ...BOOKKEEPING_OPTIONS,
    startToCloseTimeout: '11m',
    heartbeatTimeout: '20s',
    scheduleToCloseTimeout: Math.ceil((applyTimeoutSeconds + DEADLINE_BACKSTOP_SECONDS) * 1000),
  };
}

/**
 * The alarm watch: one activity evaluates every interval for up to an hour (heartbeating, so cancelling it
 * is quick) and answers when the firing set changes. Source errors are judged inside it; the activity itself
 * fails only when PostgreSQL does, and is retried like bookkeeping.
 */
export const ALARM_WATCH_OPTIONS: ActivityOptions = { startToCloseTimeout: '70m', heartbeatTimeout: '30s', retry };
export const alarmCalls = proxyActivities<Activities>(ALARM_WATCH_OPTIONS);

/** Monitoring lasts at most the operation's monitor timeout, plus room for the last check. */
export function monitorOptions(monitor: MonitorSpec): ActivityOptions {
  return {
    ...ADAPTER_CALL_OPTIONS,
    startToCloseTimeout: Math.ceil((monitor.timeoutSeconds + 60) * 1000),
    // The activity counts its timeout from the first attempt; a lost worker's retry fits in this.
    scheduleToCloseTimeout: Math.ceil((monitor.timeoutSeconds + DEADLINE_BACKSTOP_SECONDS) * 1000),
    heartbeatTimeout: Math.ceil(Math.max(20, monitor.intervalSeconds * 3) * 1000),
  };
}

/** Options with the summary the Web UI shows for this one activity call. */
export function withSummary(options: ActivityOptions, summary: string): ActivityOptions {
  return { ...options, summary };
}
