// monitorCluster: polls the adapter's health until `stableChecks` checks in a row pass (healthy, the target
// version for upgrades, every health rule), or fails at the timeout with the reason of the last failing check.
import type { LeasedClusters } from './leased-clusters';
import { ApplicationFailure, Context } from '@temporalio/activity';
import { adapterFor } from '../adapters';
import type { AdapterRegistry } from '../adapters/types';
import { ClusterNotFound, ClusterUnhealthy } from '../adapters/errors';
import type { MonitorSpec } from '../domain/operation';
import type { Db } from '../db/pool';
import { finishRun, recordShadowRules, updateRun } from '../db/runs';
import { targetVersionOf, type Action } from '../domain/operation';
import { judgeHealth, ShadowTally, type HealthExpectation } from '../domain/health-rules';

export interface MonitorInput {
  operationId: string;
  clusterId: string;
  wave: number;
  monitor: MonitorSpec;
  /** The operation's action: an upgrade passes only when health reports its target version. */
  action?: Action;
  /** When given, a cluster found healthy is also recorded succeeded here, saving a finish activity. */
  finish?: { action: Action };
}
export interface MonitorOutput {
  checks: number;
  /** The version the cluster reported in its last passing check (what the inventory now holds). */
  version: string | null;
  /** True when the run was recorded succeeded (and the lease released) by this activity. */
  finished?: boolean;
}

export function createMonitorActivities(deps: { db: Db; adapters: AdapterRegistry; leased: LeasedClusters }) {
  return {
    async monitorCluster(input: MonitorInput): Promise<MonitorOutput> {
      const activity = Context.current();
      const fields = { operationId: input.operationId, clusterId: input.clusterId, wave: input.wave };
      const { timeoutSeconds, intervalSeconds, stableChecks } = input.monitor;
      // Histories from before verification name the action only in `finish`.
      const action = input.action ?? input.finish?.action;
      const expect: HealthExpectation = {
        version: action ? targetVersionOf(action) : null,
        require: input.monitor.require ?? [],
      };
      const started = Date.now();
      const cluster = await deps.leased.get(deps.db, input.operationId, input.clusterId);
      await updateRun(deps.db, { ...input, state: 'monitoring' });
      const adapter = adapterFor(deps.adapters, cluster);
      // Counted from the first attempt: a worker lost mid-monitor does not give the cluster a new timeout.
      const deadline = activity.info.scheduledTimestampMs + timeoutSeconds * 1000;
      let stable = 0;
      let checks = 0;
      /** Why the latest failing check failed; it becomes the run's error if the timeout comes first. */
      let failure: string | null = null;
      const shadow = new ShadowTally(input.monitor.shadowRequire ?? [], stableChecks);
      /** Records what the shadow rules would have said; never fails the cluster, whatever happens. */
      const reportShadow = async () => {
        if (!shadow.active) return;
        try {
          await recordShadowRules(deps.db, { ...fields, wouldFail: shadow.wouldFail() });
        } catch (err) {
          activity.log.warn('could not record the shadow rules', {
            ...fields,
            error: err instanceof Error ? err.message : String(err),
          });
        }
      };
      for (;;) {
        checks++;
        try {
          const health = await adapter.health({ cluster });
          shadow.check(health);
          const verdict = judgeHealth(health, expect);
          stable = verdict.passed ? stable + 1 : 0;
          if (!verdict.passed) failure = verdict.reason;
          if (stable >= stableChecks) {
            activity.log.info('monitor passed: cluster healthy, verified and stable', {
              ...fields,
              checks,
              durationMs: Date.now() - started,
              version: health.version,
            });
            await reportShadow();
            if (!input.finish) return { checks, version: health.version };
            // The inventory takes the version the cluster reported, never the one it was asked for.
            try {
              await finishRun(deps.db, { ...fields, state: 'succeeded', version: health.version });
            } catch (err) {
              // The verdict stands: the workflow records it with a bookkeeping activity that waits PostgreSQL out,
              // instead of a retry of this monitor that would have to earn stableChecks again.
              activity.log.warn('monitor passed but could not record it; the workflow will', {
                ...fields,
                error: err instanceof Error ? err.message : String(err),
              });
              return { checks, version: health.version, finished: false };
            }
            deps.leased.forget(input.clusterId);
            return { checks, version: health.version, finished: true };
          }
        } catch (err) {
          // A control plane that stops answering is not a healthy cluster; keep asking until the deadline.
          // An unknown cluster, or an error marked non-retryable (a secret the worker cannot resolve), will
          // not change by asking again: end now.
          if (err instanceof ClusterNotFound || (err instanceof ApplicationFailure && err.nonRetryable)) throw err;
          shadow.check(null);
          stable = 0;
          failure = `unhealthy: no health answer: ${err instanceof Error ? err.message : String(err)}`;
        }
        // Heartbeat only when about to wait: a cluster healthy at the first check costs no extra call.
        activity.heartbeat({ checks, stable, last: failure ?? 'passing' });
        if (Date.now() + intervalSeconds * 1000 > deadline) {
          activity.log.warn('monitor gave up: cluster not healthy, verified and stable in time', {
            ...fields,
            checks,
            stable,
            durationMs: Date.now() - started,
            last: failure,
          });
          await reportShadow();
          const why = failure ?? `unhealthy: only ${stable} of ${stableChecks} passing checks in a row`;
          const needed = stableChecks === 1 ? '1 passing check' : `${stableChecks} passing checks in a row`;
          throw new ClusterUnhealthy(
            `${why} (needed ${needed} within ${timeoutSeconds}s; ${checks} checks, ${stable} passing at the end)`.slice(
              0,
              1000,
            ),
          );
        }
        await activity.sleep(intervalSeconds * 1000);
      }
    },
  };
}
