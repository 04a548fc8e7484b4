// Run bookkeeping: final states, inventory version, lease release, operator skips, operation close.
import type { LeasedClusters } from './leased-clusters';
import type { Action } from '../domain/operation';
import { releaseOperationLeases } from '../db/leases';
import { withTransaction, type Db } from '../db/pool';
import { finishRun, pendingWaveClusters } from '../db/runs';

export interface FinishInput {
  operationId: string;
  clusterId: string;
  wave: number;
  action: Action;
  outcome: 'succeeded' | 'failed' | 'rolled_back' | 'skipped';
  error?: string;
  reason?: string;
  /** The version the cluster reported after apply, when known. */
  version?: string | null;
}

/** The inventory version a successful action leaves behind, when it changes one. */
export function targetVersionOf(action: Action): string | null {
  return action.type === 'upgrade' ? action.targetVersion : null;
}

export function createRunActivities(deps: { db: Db; leased: LeasedClusters }) {
  return {
    async finishCluster(input: FinishInput): Promise<void> {
      deps.leased.forget(input.clusterId);
      await finishRun(deps.db, {
        operationId: input.operationId,
        clusterId: input.clusterId,
        wave: input.wave,
        state: input.outcome,
        error: input.error ?? null,
        reason: input.reason ?? null,
        version: input.outcome === 'succeeded' ? targetVersionOf(input.action) : null,
      });
    },

    /** An operator retry: the run shows pending again until its wave picks it up. */
    async requeueCluster(input: { operationId: string; clusterId: string }): Promise<void> {
      await deps.db.query(
        `UPDATE cluster_runs SET state = 'pending', finished_at = NULL, updated_at = clock_timestamp()
          WHERE operation_id = $1 AND cluster_id = $2 AND state IN ('failed', 'rolled_back')`,
        [input.operationId, input.clusterId],
      );
    },

    async loadWaveClusters(input: { operationId: string; wave: number }): Promise<string[]> {
      return pendingWaveClusters(deps.db, input.operationId, input.wave);
    },

    /** Operator skips: only clusters still pending are skipped; returns those that were. */
    async skipClusters(input: { operationId: string; clusterIds: string[]; reason: string }): Promise<string[]> {
      const result = await deps.db.query<{ cluster_id: string }>(
        `UPDATE cluster_runs SET state = 'skipped', reason = $3, finished_at = clock_timestamp(), updated_at = clock_timestamp()
          WHERE operation_id = $1 AND cluster_id = ANY($2::text[]) AND state = 'pending' RETURNING cluster_id`,
        [input.operationId, input.clusterIds, input.reason],
      );
      return result.rows.map((r) => r.cluster_id);
    },

    /** The operation ended: nothing stays pending or leased. */
    async closeOperation(input: { operationId: string; outcome: 'completed' | 'failed' | 'cancelled' }) {
      return withTransaction(deps.db, async (tx) => {
        const skipped =
          input.outcome === 'completed'
            ? 0
            : await tx
                .query(
                  `UPDATE cluster_runs SET state = 'skipped', reason = $2, finished_at = clock_timestamp(), updated_at = clock_timestamp()
                    WHERE operation_id = $1 AND state IN ('pending', 'waiting_window')`,
                  [input.operationId, input.outcome === 'cancelled' ? 'operation_cancelled' : 'operation_failed'],
                )
                .then((r) => r.rowCount ?? 0);
        const released = await releaseOperationLeases(tx, input.operationId);
        return { skipped, released };
      });
    },
  };
}
