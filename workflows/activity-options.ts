// Activity proxies with deliberate timeouts and retry policies; permanent failures are never retried here.
import { proxyActivities, type ActivityOptions } from '@temporalio/workflow';
import type { Activities } from '../activities';
import { PERMANENT_FAILURE_TYPES } from '../domain/workflow-contracts';
import type { MonitorSpec } from '../domain/operation';

const retry = {
  initialInterval: '1s',
  backoffCoefficient: 2,
  // Transient trouble (PostgreSQL restarting, a control plane answering 5xx) is waited out.
  maximumInterval: '30s',
  nonRetryableErrorTypes: PERMANENT_FAILURE_TYPES,
};

export const BOOKKEEPING_OPTIONS: ActivityOptions = { startToCloseTimeout: '30s', retry };
export const ADAPTER_CALL_OPTIONS: ActivityOptions = { startToCloseTimeout: '2h', heartbeatTimeout: '20s', retry };

/** Short bookkeeping against PostgreSQL. */
export const bookkeeping = proxyActivities<Activities>(BOOKKEEPING_OPTIONS);

/** Calls through a cluster's adapter (apply, monitor, roll back): long, heartbeating, so a dead worker is noticed fast. */
export const adapterCalls = proxyActivities<Activities>(ADAPTER_CALL_OPTIONS);

/** Monitoring lasts at most the operation's monitor timeout, plus room for the last check. */
export function monitorOptions(monitor: MonitorSpec): ActivityOptions {
  return {
    ...ADAPTER_CALL_OPTIONS,
    startToCloseTimeout: Math.ceil((monitor.timeoutSeconds + 60) * 1000),
    heartbeatTimeout: Math.ceil(Math.max(20, monitor.intervalSeconds * 3) * 1000),
  };
}

/** Options with the summary the Web UI shows for this one activity call. */
export function withSummary(options: ActivityOptions, summary: string): ActivityOptions {
  return { ...options, summary };
}
