// Audit log: append-only record of every state-changing call, with who, what and when.
import type { Queryable } from './pool';
import { recordOf } from './rows';
import { whereBuilder } from './where';

export interface AuditEventInput {
  identity: string;
  role: string;
  action: string;
  targetType: 'cluster' | 'operation' | 'system';
  targetId: string;
  operationId?: string | null;
  requestId?: string | null;
  payload?: unknown;
  /** Makes the row written once: a second insert with the same key writes nothing. */
  actionKey?: string;
}

export interface AuditEvent extends Required<Omit<AuditEventInput, 'payload' | 'actionKey'>> {
  id: number;
  at: string;
  payload: unknown;
}

export async function recordAudit(db: Queryable, event: AuditEventInput): Promise<void> {
  await db.query(
    `INSERT INTO audit_events (identity, role, action, target_type, target_id, operation_id, request_id, payload, action_key)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8::jsonb, $9)
     ON CONFLICT (action_key) WHERE action_key IS NOT NULL DO NOTHING`,
    [
      event.identity,
      event.role,
      event.action,
      event.targetType,
      event.targetId,
      event.operationId ?? null,
      event.requestId ?? null,
      JSON.stringify(event.payload ?? {}),
      event.actionKey ?? null,
    ],
  );
}

interface AuditRow {
  id: string;
  at: Date;
  identity: string;
  role: string;
  action: string;
  target_type: AuditEventInput['targetType'];
  target_id: string;
  operation_id: string | null;
  request_id: string | null;
  payload: unknown;
}

const COLUMNS = 'id, at, identity, role, action, target_type, target_id, operation_id, request_id, payload';

export async function listAudit(
  db: Queryable,
  filter: { operationId?: string; targetType?: string; targetId?: string },
  page: { limit: number; afterId?: number },
): Promise<AuditEvent[]> {
  const where = whereBuilder();
  if (filter.operationId) where.add('operation_id = ?', filter.operationId);
  if (filter.targetType) where.add('target_type = ?', filter.targetType);
  if (filter.targetId) where.add('target_id = ?', filter.targetId);
  if (page.afterId !== undefined) where.add('id > ?', page.afterId);
  const limit = where.param(page.limit);
  const result = await db.query<AuditRow>(
    `SELECT ${COLUMNS} FROM audit_events ${where.sql()} ORDER BY id LIMIT ${limit}`,
    where.values,
  );
  // bigserial arrives as a string.
  return result.rows.map((row) => ({ ...recordOf(row), id: Number(row.id) }));
}
