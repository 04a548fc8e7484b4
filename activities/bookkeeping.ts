// Bookkeeping activities: a run's final state (with inventory version and lease, and whether a failure
// tripped a fleet limit), operator retries and skips, a wave's cluster list, and closing the operation.
import type { LeasedClusters } from './leased-clusters';
import type { Action } from '../domain/operation';
import { limitFailures, trippedLimitFor } from '../db/guard';
import { failuresExceeded } from '../domain/guard';
import { closeOperation } from '../db/operations';
import type { Db } from '../db/pool';
import { writeStatusSnapshot, type StatusSnapshotWrite } from '../db/status-snapshots';
import {
  finishRun,
  pendingWaveClusters,
  requeueRun,
  skipPendingClusters,
  waveClusterPage,
  waveFailures,
} from '../db/runs';
import type { WaveLane } from '../domain/workflow-contracts';
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
  /** A lane's failure: also count the failures of the whole wave (every lane), answered as waveFailed. */
  countWaveFailures?: boolean;
}

/**
 * What finishing a run found out: for a failure, the first fleet limit whose hourly failures are now over
 * it (the operation pauses `guard:<limit>`). Histories from before the guard recorded no result.
 */
export interface FinishResult {
  guardTripped?: string;
  /** Asked by a lane: the failed and rolled-back runs of the wave, over every lane. */
  waveFailed?: number;
}

/** Which wave's clusters to load; `after` and `limit` ask for one page of them. */
export interface WaveClustersInput {
  operationId: string;
  wave: number;
  after?: string;
  limit?: number;
  /** A lane of the wave: only the clusters of this lane. */
  lane?: WaveLane;
}

export interface GuardLimitCheck {
  exceeded: boolean;
  failuresLastHour: number;
  /** Absent when the limit no longer exists or counts no failures. */
  maxFailuresPerHour?: number;
}

export function createBookkeepingActivities(deps: { db: Db; leased: LeasedClusters }) {
  return {
    async finishCluster(input: FinishInput): Promise<FinishResult> {
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
      if (input.outcome !== 'failed' && input.outcome !== 'rolled_back') return {};
      const tripped = await trippedLimitFor(deps.db, input.clusterId);
      const counted = input.countWaveFailures
        ? { waveFailed: await waveFailures(deps.db, input.operationId, input.wave) }
        : {};
      return tripped ? { guardTripped: tripped, ...counted } : counted;
    },

    /**
     * Whether a limit's failures in the last hour are still over its maxFailuresPerHour: a resume of an
     * operation it paused is refused until they are not (the hour rolled on, the limit was raised or removed).
     */
    async checkGuardLimit(input: { limit: string }): Promise<GuardLimitCheck> {
      const found = await limitFailures(deps.db, input.limit);
      if (!found || found.maxFailuresPerHour === null) return { exceeded: false, failuresLastHour: 0 };
      const { failuresLastHour, maxFailuresPerHour } = found;
      return { exceeded: failuresExceeded(found, failuresLastHour), failuresLastHour, maxFailuresPerHour };
    },

    /** An operator retry: the run shows pending again until its wave picks it up. */
    async requeueCluster(input: { operationId: string; clusterId: string }): Promise<void> {
      await requeueRun(deps.db, input.operationId, input.clusterId);
    },

    /**
     * The clusters a wave still has to work on, in id order. With `limit` (waves since paging): one page
     * of those not started, after the cluster id `after` ('' for the first), at most `limit` ids; a page
     * shorter than `limit` is the last. Without it (histories recorded before paging): every pending one.
     */
    async loadWaveClusters(input: WaveClustersInput): Promise<string[]> {
      const { operationId, wave, after, limit, lane } = input;
      if (limit === undefined) return pendingWaveClusters(deps.db, operationId, wave);
      return waveClusterPage(deps.db, { operationId, wave, after: after ?? '', limit, ...(lane ? { lane } : {}) });
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

    /**
     * The operation's status snapshot, which the API answers status from; written whenever the workflow's
     * state changes.
     */
    async writeStatusSnapshot(input: StatusSnapshotWrite): Promise<void> {
      await writeStatusSnapshot(deps.db, input);
    },

    /** The operation ended: nothing stays pending or leased. */
    async closeOperation(input: { operationId: string; outcome: 'completed' | 'failed' | 'cancelled' }) {
      return closeOperation(deps.db, input.operationId, input.outcome);
    },
  };
}
