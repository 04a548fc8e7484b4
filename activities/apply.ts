// applyToCluster and rollbackCluster: the adapter calls that change a cluster, keyed for idempotency and
// bounded by the cluster's deadline (limits.applyTimeoutSeconds), retries included. An apply never starts
// outside the cluster's maintenance window: every attempt checks it first.
import type { LeasedClusters } from './leased-clusters';
import { ApplicationFailure, Context } from '@temporalio/activity';
import { adapterFor } from '../adapters';
import type { AdapterRegistry } from '../adapters/types';
import { applyIdempotencyKey } from '../domain/ids';
import type { Db } from '../db/pool';
import { getRun, parkRun, recordProviderOperation, updateRun } from '../db/runs';
import type { Cluster } from '../domain/cluster';
import { windowOpensAt } from '../domain/maintenance';
import { OUTSIDE_WINDOW, type OutsideWindowDetails } from '../domain/parking';
import { attemptLogFields, type ClusterAttemptInput } from './cluster-attempt';
import { withAdapterContext } from './context';
import { errorText, stepDeadline, underDeadline } from './deadline';

export interface ApplyToClusterOutput {
  version: string | null;
  duplicate: boolean;
}
export interface RollbackClusterInput extends ClusterAttemptInput {
  /** The version to go back to: the one the cluster had before this operation. */
  fromVersion: string;
}

export function createApplyActivities(deps: {
  db: Db;
  adapters: AdapterRegistry;
  leased: LeasedClusters;
  now?: () => Date;
}) {
  const { db } = deps;

  /**
   * The window closed (a retry after it ended, or a wave that waited too long for a slot): the cluster is
   * parked until the next opening, its lease released, and the wave told so by a non-retryable failure.
   */
  async function parkOutsideWindow(input: ClusterAttemptInput, cluster: Cluster): Promise<void> {
    const opensAt = windowOpensAt(cluster.maintenanceWindows, (deps.now ?? (() => new Date()))());
    if (!opensAt) return;
    deps.leased.forget(input.clusterId);
    await parkRun(db, input, { state: 'waiting_window', windowOpensAt: opensAt });
    Context.current().log.info('apply not started: the maintenance window is closed', {
      ...attemptLogFields(input),
      windowOpensAt: opensAt.toISOString(),
    });
    const details: OutsideWindowDetails = { untilMs: opensAt.getTime(), opensAt: opensAt.toISOString() };
    throw ApplicationFailure.create({
      type: OUTSIDE_WINDOW,
      message: `the maintenance window of '${input.clusterId}' is closed; it opens at ${details.opensAt}`,
      nonRetryable: true,
      details: [details],
    });
  }

  return {
    async applyToCluster(input: ClusterAttemptInput): Promise<ApplyToClusterOutput> {
      const { log } = Context.current();
      const deadline = stepDeadline('apply', input);
      const fields = { ...attemptLogFields(input), action: input.action.type, adapterAttempt: deadline.attempt };
      const cluster = await deps.leased.get(db, input.operationId, input.clusterId);
      await parkOutsideWindow(input, cluster);
      await updateRun(db, { ...input, state: 'applying', adapterAttempts: deadline.attempt });
      const key = applyIdempotencyKey(input.operationId, input.clusterId, input.attempt);
      log.info('apply started', {
        ...fields,
        idempotencyKey: key,
        adapter: cluster.adapter.type,
        fromVersion: cluster.version,
      });
      const started = Date.now();
      try {
        const result = await underDeadline(db, deadline, input, (deadlineSignal) =>
          withAdapterContext(
            (ctx) =>
              adapterFor(deps.adapters, cluster).apply({ cluster, action: input.action, idempotencyKey: key }, ctx),
            {
              deadline: deadlineSignal,
              recordProviderOperation: (id) => recordProviderOperation(db, input.operationId, input.clusterId, id),
            },
          ),
        );
        log.info('apply finished', {
          ...fields,
          durationMs: Date.now() - started,
          version: result.version,
          duplicate: result.duplicate,
        });
        return { version: result.version, duplicate: result.duplicate };
      } catch (err) {
        log.warn('apply failed', {
          ...fields,
          durationMs: Date.now() - started,
          errorType: err instanceof Error ? err.name : typeof err,
          error: errorText(err),
        });
        throw err;
      }
    },

    async rollbackCluster(input: RollbackClusterInput): Promise<{ message: string }> {
      const deadline = stepDeadline('rollback', input);
      const cluster = await deps.leased.get(db, input.operationId, input.clusterId);
      const key = applyIdempotencyKey(input.operationId, input.clusterId, input.attempt);
      // Stored when the apply was accepted, so a rollback after a worker restart names the same provider operation.
      const providerOperationId = (await getRun(db, input.operationId, input.clusterId))?.providerOperationId ?? null;
      Context.current().log.info('rollback started', {
        ...attemptLogFields(input),
        toVersion: input.fromVersion,
        providerOperationId,
        adapterAttempt: deadline.attempt,
      });
      return underDeadline(db, deadline, input, (deadlineSignal) =>
        withAdapterContext(
          (ctx) =>
            adapterFor(deps.adapters, cluster).rollback(
              {
                cluster,
                action: input.action,
                idempotencyKey: key,
                fromVersion: input.fromVersion,
                providerOperationId,
              },
              ctx,
            ),
          { deadline: deadlineSignal },
        ),
      );
    },
  };
}
