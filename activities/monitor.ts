// monitorCluster: polls the adapter's health until it is stable for `stableChecks` answers, or times out.
import type { LeasedClusters } from './leased-clusters';
import { Context } from '@temporalio/activity';
import { adapterFor } from '../adapters';
import type { AdapterRegistry } from '../adapters/types';
import { ClusterNotFound, ClusterUnhealthy } from '../adapters/errors';
import type { MonitorSpec } from '../domain/operation';
import type { Db } from '../db/pool';
import { finishRun, updateRun } from '../db/runs';
import type { Action } from '../domain/operation';
import { targetVersionOf } from '../domain/operation';

export interface MonitorInput {
  operationId: string;
  clusterId: string;
  wave: number;
  monitor: MonitorSpec;
  /** When given, a cluster found healthy is also recorded succeeded here, saving a finish activity. */
  finish?: { action: Action };
}
export interface MonitorOutput {
  checks: number;
  version: string | null;
  /** True when the run was recorded succeeded (and the lease released) by this activity. */
  finished?: boolean;
}

export function createMonitorActivities(deps: { db: Db; adapters: AdapterRegistry; leased: LeasedClusters }) {
  return {
    async monitorCluster(input: MonitorInput): Promise<MonitorOutput> {
      const activity = Context.current();
      const fields = { operationId: input.operationId, clusterId: input.clusterId, wave: input.wave };
      const started = Date.now();
      const cluster = await deps.leased.get(deps.db, input.operationId, input.clusterId);
      await updateRun(deps.db, { ...input, state: 'monitoring' });
      const adapter = adapterFor(deps.adapters, cluster);
      const deadline = Date.now() + input.monitor.timeoutSeconds * 1000;
      let stable = 0;
      let checks = 0;
      let last = 'no answer yet';
      for (;;) {
        checks++;
        try {
          const health = await adapter.health({ cluster });
          stable = health.healthy ? stable + 1 : 0;
          last = health.healthy ? 'healthy' : (health.message ?? 'unhealthy');
          if (stable >= input.monitor.stableChecks) {
            activity.log.info('monitor passed: cluster healthy and stable', {
              ...fields,
              checks,
              durationMs: Date.now() - started,
              version: health.version,
            });
            if (!input.finish) return { checks, version: health.version };
            await finishRun(deps.db, { ...fields, state: 'succeeded', version: targetVersionOf(input.finish.action) });
            deps.leased.forget(input.clusterId);
            return { checks, version: health.version, finished: true };
          }
        } catch (err) {
          // A control plane that stops answering is not a healthy cluster; keep asking until the deadline.
          if (err instanceof ClusterNotFound) throw err;
          stable = 0;
          last = err instanceof Error ? err.message : String(err);
        }
        // Heartbeat only when about to wait: a cluster healthy at the first check costs no extra call.
        activity.heartbeat({ checks, stable, last });
        if (Date.now() + input.monitor.intervalSeconds * 1000 > deadline) {
          activity.log.warn('monitor gave up: cluster not healthy and stable in time', {
            ...fields,
            checks,
            stable,
            durationMs: Date.now() - started,
            last,
          });
          throw new ClusterUnhealthy(
            `not healthy and stable within ${input.monitor.timeoutSeconds}s (${checks} checks, ${stable}/${input.monitor.stableChecks} stable; last: ${last})`,
          );
        }
        await activity.sleep(input.monitor.intervalSeconds * 1000);
      }
    },
  };
}
