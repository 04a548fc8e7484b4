// selectCluster: re-checks eligibility against the live inventory, takes the lease, finds the window.
import { Context } from '@temporalio/activity';
import { matchesSelector, type Selector } from '../domain/selector';
import { isBelow } from '../domain/semver';
import { msUntilWindowOpen } from '../domain/maintenance';
import { getClusterWithRun } from '../db/clusters';
import { targetVersionOf } from '../domain/operation';
import type { ClusterAttemptInput } from './cluster-attempt';
import type { LeasedClusters } from './leased-clusters';
import { acquireLease } from '../db/leases';
import { findOperationSelector } from '../db/operations';
import type { Db } from '../db/pool';
import { updateRun } from '../db/runs';

/** The lease holder closed so recently that its in-flight apply may still run: try again shortly. */
export class LeaseHolderDraining extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'LeaseHolderDraining';
  }
}

export type HolderState = 'running' | 'draining' | 'gone';

export type SelectResult =
  { proceed: true; fromVersion: string; windowWaitMs: number } | { proceed: false; reason: string };

export interface SelectDeps {
  db: Db;
  leased: LeasedClusters;
  /**
   * Whether the workflow that owns a lease still acts: running (leave it), draining (closed so
   * recently its last activity may still run: wait) or gone (stale: take it over).
   */
  holderState(workflowId: string): Promise<HolderState>;
  now?: () => Date;
}

export function createSelectActivities(deps: SelectDeps) {
  const selectors = new Map<string, Selector | null>();

  async function operationSelector(operationId: string): Promise<Selector | null> {
    if (!selectors.has(operationId)) {
      const selector = await findOperationSelector(deps.db, operationId);
      // Operations are immutable once started, so the selector can be cached for the worker's life.
      if (selectors.size > 1000) selectors.clear();
      selectors.set(operationId, selector);
    }
    return selectors.get(operationId)!;
  }

  async function skip(input: ClusterAttemptInput, reason: string): Promise<SelectResult> {
    Context.current().log.info('cluster skipped', {
      operationId: input.operationId,
      clusterId: input.clusterId,
      wave: input.wave,
      reason,
    });
    await updateRun(deps.db, { ...input, state: 'skipped', reason, final: true });
    return { proceed: false, reason };
  }

  return {
    async selectCluster(input: ClusterAttemptInput): Promise<SelectResult> {
      // An operator may have skipped it between the wave queueing it and now.
      const { cluster, run } = await getClusterWithRun(deps.db, input.clusterId, input.operationId);
      if (run?.state === 'skipped' && run.reason?.startsWith('skipped_by:'))
        return { proceed: false, reason: run.reason };
      if (!cluster) return skip(input, 'no_longer_matches');
      const selector = await operationSelector(input.operationId);
      if (selector && !matchesSelector(cluster, selector)) return skip(input, 'no_longer_matches');
      if (input.action.type === 'upgrade' && !isBelow(cluster.version, input.action.targetVersion)) {
        return skip(input, 'already_at_target');
      }
      const lease = await acquireLease(
        deps.db,
        { clusterId: input.clusterId, operationId: input.operationId, workflowId: input.operationId },
        async (holder) => {
          const state = await deps.holderState(holder.workflowId);
          if (state === 'draining') {
            // Retryable: the activity is retried with backoff until the holder's grace period is over.
            throw new LeaseHolderDraining(
              `cluster '${input.clusterId}' is leased by '${holder.operationId}', which ended moments ago; waiting for its last activity`,
            );
          }
          const stale = state === 'gone';
          if (stale) {
            Context.current().log.info('lease holder no longer runs: taking its lease over', {
              operationId: input.operationId,
              clusterId: input.clusterId,
              wave: input.wave,
              previousOperationId: holder.operationId,
              heldSince: holder.acquiredAt,
            });
          }
          return stale;
        },
      );
      if (!lease.acquired) return skip(input, `leased_by:${lease.holder.operationId}`);
      deps.leased.remember(input.operationId, cluster);
      const windowWaitMs = msUntilWindowOpen(cluster.maintenanceWindows, (deps.now ?? (() => new Date()))());
      await updateRun(deps.db, {
        ...input,
        state: windowWaitMs > 0 ? 'waiting_window' : 'pending',
        fromVersion: cluster.version,
        toVersion: targetVersionOf(input.action) ?? cluster.version,
        start: true,
      });
      return { proceed: true, fromVersion: cluster.version, windowWaitMs };
    },
  };
}
