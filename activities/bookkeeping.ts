// Bookkeeping activities: a run's final state (with inventory version and lease), operator retries and
// skips, a wave's cluster list, and closing the operation.
import type { LeasedClusters } from './leased-clusters';
import type { Action } from '../domain/operation';
import { closeOperation } from '../db/operations';
import type { Db } from '../db/pool';
import { finishRun, pendingWaveClusters, requeueRun, skipPendingClusters } from '../db/runs';
import {
  clusterAction,
  recordOperatorAction,
  type ClusterActionResult,
  type OperatorActionRecord,
} from '../db/operator-actions';

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

export function createBookkeepingActivities(deps: { db: Db; leased: LeasedClusters }) {
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
        // What the cluster reported, never what it was asked for.
        version: input.outcome === 'succeeded' ? (input.version ?? null) : null,
      });
    },

    /** An operator retry: the run shows pending again until its wave picks it up. */
    async requeueCluster(input: { operationId: string; clusterId: string }): Promise<void> {
      await requeueRun(deps.db, input.operationId, input.clusterId);
    },

    async loadWaveClusters(input: { operationId: string; wave: number }): Promise<string[]> {
      return pendingWaveClusters(deps.db, input.operationId, input.wave);
    },

    /** Operator skips: only clusters still pending are skipped; returns those that were. */
    async skipClusters(input: { operationId: string; clusterIds: string[]; reason: string }): Promise<string[]> {
      return skipPendingClusters(deps.db, input.operationId, input.clusterIds, input.reason);
    },

    /** An operator action the workflow applied or rejected, in the audit trail once. */
    async recordOperatorAction(record: OperatorActionRecord): Promise<void> {
      await recordOperatorAction(deps.db, record);
    },

    /** An operator retry or skip: checked against the stored run, changed and audited in one transaction. */
    async clusterAction(record: Parameters<typeof clusterAction>[1]): Promise<ClusterActionResult> {
      return clusterAction(deps.db, record);
    },

    /** The operation ended: nothing stays pending or leased. */
    async closeOperation(input: { operationId: string; outcome: 'completed' | 'failed' | 'cancelled' }) {
      return closeOperation(deps.db, input.operationId, input.outcome);
    },
  };
}
