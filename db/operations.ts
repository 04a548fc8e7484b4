// Operations repository: the operation row, created with its planned cluster_runs, looked up by id or key, closed.
import { targetVersionOf, type OperationRequest } from '../domain/operation';
import type { Plan } from '../domain/planner';
import type { Selector } from '../domain/selector';
import { recordAudit, type AuditEventInput } from './audit';
import { releaseOperationLeases } from './leases';
import { withTransaction, type Db, type Queryable } from './pool';
import { recordOf, type RecordOf } from './rows';
import { skipWaitingRuns } from './runs';

/** Wave number of runs the planner skipped (already at target): they belong to no wave. */
export const NO_WAVE = 0;

interface OperationRow {
  id: string;
  name: string;
  request: OperationRequest;
  request_hash: string;
  idempotency_key: string | null;
  plan: Plan;
  started_by: string;
  created_at: Date;
  workflow_started_at: Date | null;
}

export type OperationRecord = RecordOf<OperationRow>;
export type NewOperation = Omit<OperationRecord, 'createdAt' | 'workflowStartedAt'>;

/** In the order of OperationRow, which is the order a record lists its fields in. */
const COLUMNS = 'id, name, request, request_hash, idempotency_key, plan, started_by, created_at, workflow_started_at';

const toRecord = (row: OperationRow): OperationRecord => recordOf(row);

/**
 * Writes the operation, one `pending` run per planned cluster and one `skipped` run per cluster the
 * planner left out, plus the audit event, in one transaction. Returns `undefined` (writing nothing)
 * when another operation already holds the idempotency key, so the caller can answer with that one.
 */
export async function createOperation(
  db: Db,
  op: NewOperation,
  versions: ReadonlyMap<string, string>,
  audit: AuditEventInput,
): Promise<OperationRecord | undefined> {
  return withTransaction(db, async (tx) => {
    const inserted = await tx.query<OperationRow>(
      `INSERT INTO operations (id, name, request, request_hash, idempotency_key, plan, started_by)
       VALUES ($1, $2, $3::jsonb, $4, $5, $6::jsonb, $7)
       ON CONFLICT (idempotency_key) DO NOTHING
       RETURNING ${COLUMNS}`,
      [
        op.id,
        op.name,
        JSON.stringify(op.request),
        op.requestHash,
        op.idempotencyKey,
        JSON.stringify(op.plan),
        op.startedBy,
      ],
    );
    const row = inserted.rows[0];
    if (!row) return undefined;
    await insertRuns(tx, op, versions);
    await recordAudit(tx, audit);
    return toRecord(row);
  });
}

/** One statement for the whole plan: unnest over parallel arrays keeps 10,000 rows well under a second. */
async function insertRuns(tx: Queryable, op: NewOperation, versions: ReadonlyMap<string, string>): Promise<void> {
  const ids: string[] = [];
  const waves: number[] = [];
  const states: string[] = [];
  const reasons: (string | null)[] = [];
  for (const wave of op.plan.waves) {
    for (const clusterId of wave.clusterIds) {
      ids.push(clusterId);
      waves.push(wave.number);
      states.push('pending');
      reasons.push(null);
    }
  }
  for (const skipped of op.plan.skipped) {
    ids.push(skipped.clusterId);
    waves.push(NO_WAVE);
    states.push('skipped');
    reasons.push(skipped.reason);
  }
  if (ids.length === 0) return;
  const toVersion = targetVersionOf(op.request.action);
  await tx.query(
    `INSERT INTO cluster_runs (operation_id, cluster_id, wave, state, from_version, to_version, reason, finished_at)
     SELECT $1, r.cluster_id, r.wave, r.state, r.from_version, $2, r.reason,
            CASE WHEN r.state = 'skipped' THEN now() END
       FROM unnest($3::text[], $4::int[], $5::text[], $6::text[], $7::text[])
         AS r(cluster_id, wave, state, from_version, reason)`,
    [op.id, toVersion, ids, waves, states, ids.map((id) => versions.get(id) ?? null), reasons],
  );
}

export async function findOperation(db: Queryable, id: string): Promise<OperationRecord | undefined> {
  const result = await db.query<OperationRow>(`SELECT ${COLUMNS} FROM operations WHERE id = $1`, [id]);
  return result.rows[0] ? toRecord(result.rows[0]) : undefined;
}

export async function findOperationByKey(db: Queryable, key: string): Promise<OperationRecord | undefined> {
  const result = await db.query<OperationRow>(`SELECT ${COLUMNS} FROM operations WHERE idempotency_key = $1`, [key]);
  return result.rows[0] ? toRecord(result.rows[0]) : undefined;
}

export async function markWorkflowStarted(db: Queryable, id: string): Promise<void> {
  await db.query('UPDATE operations SET workflow_started_at = now() WHERE id = $1 AND workflow_started_at IS NULL', [
    id,
  ]);
}

/** The operation's selector, when it has one (operations never change once started, so callers may cache it). */
export async function findOperationSelector(db: Queryable, id: string): Promise<Selector | null> {
  const result = await db.query<{ request: { selector?: Selector } }>('SELECT request FROM operations WHERE id = $1', [
    id,
  ]);
  return result.rows[0]?.request.selector ?? null;
}

/** The type of the operation's action (upgrade, restart, config), when the operation is known. */
export async function findOperationActionType(db: Queryable, id: string): Promise<string | undefined> {
  const result = await db.query<{ action: string | null }>(
    "SELECT request->'action'->>'type' AS action FROM operations WHERE id = $1",
    [id],
  );
  return result.rows[0]?.action ?? undefined;
}

/** The operation ended: unless it completed, its waiting runs are skipped; its leases are released. One transaction. */
export async function closeOperation(
  db: Db,
  operationId: string,
  outcome: 'completed' | 'failed' | 'cancelled',
): Promise<{ skipped: number; released: number }> {
  return withTransaction(db, async (tx) => {
    const skipped =
      outcome === 'completed'
        ? 0
        : await skipWaitingRuns(tx, operationId, outcome === 'cancelled' ? 'operation_cancelled' : 'operation_failed');
    const released = await releaseOperationLeases(tx, operationId);
    return { skipped, released };
  });
}
