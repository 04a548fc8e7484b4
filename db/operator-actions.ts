// Operator actions as the engine records them: the audit row, and for retry and skip the run's change in
// the same transaction, so no action takes effect without its row and a retried activity repeats nothing.
import { recordAudit, type AuditEventInput } from './audit';
import { withTransaction, type Db, type Queryable } from './pool';
import { requeueRun, skipPendingClusters } from './runs';
import { PARKED_RUN_STATES } from '../domain/states';

/** One operator action and what became of it: `reason` is the error code of a rejection. */
export interface OperatorActionRecord {
  /** Unique per action: the REST path's action id, or one the workflow made for a signal. */
  actionKey: string;
  operationId: string;
  action: string;
  by: string;
  role: string;
  via: 'api' | 'temporal';
  outcome: 'applied' | 'rejected';
  reason?: string;
  message: string;
  requestId?: string;
  /** What the action named: wave, comment, clusterId. */
  details: Record<string, unknown>;
}

function auditEvent(record: OperatorActionRecord): AuditEventInput {
  const { actionKey, operationId, action, by, role, via, outcome, reason, message, requestId, details } = record;
  return {
    identity: by,
    role,
    action: `operation.${action}`,
    targetType: 'operation',
    targetId: operationId,
    operationId,
    requestId: requestId ?? null,
    actionKey,
    payload: { ...details, via, outcome, ...(reason ? { reason, message } : {}) },
  };
}

export async function recordOperatorAction(db: Queryable, record: OperatorActionRecord): Promise<void> {
  await recordAudit(db, auditEvent(record));
}

/** The outcome already recorded under this key, when the action was recorded before (a retried activity). */
async function recordedOutcome(db: Queryable, actionKey: string) {
  const result = await db.query<{ outcome: 'applied' | 'rejected'; reason: string | null; message: string | null }>(
    `SELECT payload->>'outcome' AS outcome, payload->>'reason' AS reason, payload->>'message' AS message
       FROM audit_events WHERE action_key = $1`,
    [actionKey],
  );
  return result.rows[0];
}

export interface ClusterActionResult {
  outcome: 'applied' | 'rejected';
  reason?: string;
  message: string;
}

const RETRYABLE = ['failed', 'rolled_back'];
const SKIPPABLE = ['pending', ...PARKED_RUN_STATES];

/**
 * Retry (a failed or rolled-back run goes back to pending) or skip (a run not started yet ends skipped),
 * checked against the run as stored and recorded with its audit row in one transaction.
 */
export async function clusterAction(
  db: Db,
  record: Omit<OperatorActionRecord, 'outcome' | 'reason' | 'message'> & {
    action: 'retry' | 'skip';
    clusterId: string;
    /** What the answer says when the action is applied. */
    appliedMessage: string;
  },
): Promise<ClusterActionResult> {
  const { operationId, clusterId, action, by, actionKey } = record;
  return withTransaction(db, async (tx) => {
    const earlier = await recordedOutcome(tx, actionKey);
    if (earlier)
      return { outcome: earlier.outcome, reason: earlier.reason ?? undefined, message: earlier.message ?? '' };
    const run = await tx.query<{ state: string }>(
      'SELECT state FROM cluster_runs WHERE operation_id = $1 AND cluster_id = $2 FOR UPDATE',
      [operationId, clusterId],
    );
    const state = run.rows[0]?.state;
    let result: ClusterActionResult;
    if (state === undefined) {
      result = {
        outcome: 'rejected',
        reason: 'cluster_not_found',
        message: `cluster '${clusterId}' is not part of operation '${operationId}'`,
      };
    } else if (action === 'retry' && !RETRYABLE.includes(state)) {
      result = {
        outcome: 'rejected',
        reason: 'not_failed',
        message: `only a failed or rolled back cluster can be retried; '${clusterId}' is ${state}`,
      };
    } else if (action === 'skip' && !SKIPPABLE.includes(state)) {
      result = {
        outcome: 'rejected',
        reason: 'not_pending',
        message: `only a cluster not started yet can be skipped; '${clusterId}' is ${state}`,
      };
    } else {
      if (action === 'retry') await requeueRun(tx, operationId, clusterId);
      else await skipPendingClusters(tx, operationId, [clusterId], `skipped_by:${by}`);
      result = { outcome: 'applied', message: record.appliedMessage };
    }
    const { appliedMessage: _said, clusterId: _named, ...rest } = record;
    await recordOperatorAction(tx, { ...rest, ...result });
    return result;
  });
}
