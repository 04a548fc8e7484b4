// The input selectCluster, applyToCluster and rollbackCluster share: one operator attempt at one cluster.
import type { Action } from '../domain/operation';

/** Field names are recorded in workflow histories: add optional fields, never rename. */
export interface ClusterAttemptInput {
  operationId: string;
  clusterId: string;
  wave: number;
  /** The operator attempt (1, then one more per retry): the idempotency key's last part. */
  attempt: number;
  action: Action;
  /** How long this step may take, its retries included; absent in histories from before deadlines. */
  applyTimeoutSeconds?: number;
}

/** The log fields that let one cluster's attempt be followed across apply and rollback lines. */
export function attemptLogFields(input: ClusterAttemptInput) {
  return {
    operationId: input.operationId,
    clusterId: input.clusterId,
    wave: input.wave,
    operatorAttempt: input.attempt,
  };
}
