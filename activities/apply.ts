// applyToCluster and rollbackCluster: the adapter calls that change a cluster, keyed for idempotency.
import type { LeasedClusters } from './leased-clusters';
import { Context } from '@temporalio/activity';
import { adapterFor } from '../adapters';
import type { AdapterRegistry } from '../adapters/types';
import { applyIdempotencyKey } from '../domain/ids';
import type { Db } from '../db/pool';
import { updateRun } from '../db/runs';
import { attemptLogFields, type ClusterAttemptInput } from './cluster-attempt';
import { withAdapterContext } from './context';

export interface ApplyToClusterOutput {
  version: string | null;
  duplicate: boolean;
}
export interface RollbackClusterInput extends ClusterAttemptInput {
  /** The version to go back to: the one the cluster had before this operation. */
  fromVersion: string;
}

export function createApplyActivities(deps: { db: Db; adapters: AdapterRegistry; leased: LeasedClusters }) {
  return {
    async applyToCluster(input: ClusterAttemptInput): Promise<ApplyToClusterOutput> {
      const { log } = Context.current();
      const fields = { ...attemptLogFields(input), action: input.action.type };
      const cluster = await deps.leased.get(deps.db, input.operationId, input.clusterId);
      await updateRun(deps.db, { ...input, state: 'applying' });
      const key = applyIdempotencyKey(input.operationId, input.clusterId, input.attempt);
      log.info('apply started', {
        ...fields,
        idempotencyKey: key,
        adapter: cluster.adapter.type,
        fromVersion: cluster.version,
      });
      const started = Date.now();
      try {
        const result = await withAdapterContext((ctx) =>
          adapterFor(deps.adapters, cluster).apply({ cluster, action: input.action, idempotencyKey: key }, ctx),
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
          error: err instanceof Error ? err.message : String(err),
        });
        throw err;
      }
    },

    async rollbackCluster(input: RollbackClusterInput): Promise<{ message: string }> {
      const cluster = await deps.leased.get(deps.db, input.operationId, input.clusterId);
      const key = applyIdempotencyKey(input.operationId, input.clusterId, input.attempt);
      Context.current().log.info('rollback started', { ...attemptLogFields(input), toVersion: input.fromVersion });
      return withAdapterContext((ctx) =>
        adapterFor(deps.adapters, cluster).rollback(
          { cluster, action: input.action, idempotencyKey: key, fromVersion: input.fromVersion },
          ctx,
        ),
      );
    },
  };
}
