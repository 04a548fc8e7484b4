// Named adapter failures. The error's name is its Temporal failure type: permanent ones are listed in
// domain/workflow-contracts.ts PERMANENT_FAILURE_TYPES (the workflows' nonRetryableErrorTypes); the rest retry.
import { ApplicationFailure } from '@temporalio/common';

abstract class AdapterError extends Error {
  constructor(message: string) {
    super(message);
    this.name = new.target.name;
  }
}

/** The control plane refused the change (4xx, or a simulated `failApply`): retrying will not help. */
export class ClusterApplyRejected extends AdapterError {}

/** The control plane accepted the change, then reported that it failed. */
export class ClusterApplyFailed extends AdapterError {}

/** The control plane does not know the cluster. */
export class ClusterNotFound extends AdapterError {}

/** The cluster did not become healthy and stable within the monitor timeout. */
export class ClusterUnhealthy extends AdapterError {}

/** The control plane is unreachable, timed out, answered 5xx or with a malformed body: retry. */
export class ControlPlaneUnavailable extends AdapterError {}

/**
 * The secret a cluster's `tokenRef` names is not on this worker: `secret_missing:<tokenRef>: …`. Non-retryable
 * by itself (an operator must provide it), so no retry policy has to list it. The message names where it was
 * looked for, never a value.
 */
export function secretMissing(tokenRef: string, where: string): ApplicationFailure {
  return ApplicationFailure.create({
    type: 'SecretMissing',
    message: `secret_missing:${tokenRef}: ${where}`,
    nonRetryable: true,
  });
}
