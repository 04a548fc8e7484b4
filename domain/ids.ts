// Workflow ids and idempotency keys are built here only, so every caller agrees on them.

export const OPERATION_WORKFLOW_TYPE = 'fleetOperationWorkflow';

/** The Temporal header that carries an API request id into starts, signals and updates. */
export const REQUEST_ID_HEADER = 'requestId';

/** A new operation id: the operation's name plus a short random suffix supplied by the caller. */
export function operationWorkflowId(name: string, suffix: string): string {
  return `${name.slice(0, 48)}-${suffix}`;
}

export function waveWorkflowId(operationId: string, wave: number): string {
  return `${operationId}/wave-${wave}`;
}

/** The key every adapter apply carries: an activity retried after a crash reuses it. */
export function applyIdempotencyKey(operationId: string, clusterId: string, attempt: number): string {
  return `${operationId}:${clusterId}:${attempt}`;
}
