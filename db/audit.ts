// Audit log: append-only record of every state-changing call, with who, what and when.
import type { Queryable } from './pool';

export interface AuditEventInput {
  identity: string;
  role: string;
  action: string;
  targetType: 'cluster' | 'operation' | 'system';
  targetId: string;
  operationId?: string | null;
  requestId?: string | null;
  payload?: unknown;
}

export interface AuditEvent extends Required<Omit<AuditEventInput, 'payload'>> {
  id: number;
  at: string;
  payload: unknown;
}

export async function recordAudit(db: Queryable, event: AuditEventInput): Promise<void> {
  await db.query(
    `INSERT INTO audit_events (identity, role, action, target_type, target_id, operation_id, request_id, payload)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8::jsonb)`,
    [
      event.identity,
      event.role,
      event.action,
      event.targetType,
      event.targetId,
      event.operationId ?? null,
      event.requestId ?? null,
      JSON.stringify(event.payload ?? {}),
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

export async function listAudit(
  db: Queryable,
  filter: { operationId?: string; targetType?: string; targetId?: string },
  page: { limit: number; afterId?: number },
): Promise<AuditEvent[]> {
  const where: string[] = [];
  const values: unknown[] = [];
  const add = (sql: string, value: unknown) => {
    values.push(value);
    where.push(sql.replace('?', `$${values.length}`));
  };
  if (filter.operationId) add('operation_id = ?', filter.operationId);
  if (filter.targetType) add('target_type = ?', filter.targetType);
  if (filter.targetId) add('target_id = ?', filter.targetId);
  if (page.afterId !== undefined) add('id > ?', page.afterId);
  values.push(page.limit);
  const result = await db.query<AuditRow>(
    `SELECT * FROM audit_events ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY id LIMIT $${values.length}`,
    values,
  );
  return result.rows.map((r) => ({
    id: Number(r.id),
    at: r.at.toISOString(),
    identity: r.identity,
    role: r.role,
    action: r.action,
    targetType: r.target_type,
    targetId: r.target_id,
    operationId: r.operation_id,
    requestId: r.request_id,
    payload: r.payload,
  }));
}
