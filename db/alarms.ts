// The operation_alarms table: each alarm's last evaluation per operation (what status shows, and the
// count of failed evaluations in a row that the fail-safe rule needs).
import type { AlarmStatus } from '../domain/alarms';
import type { Queryable } from './pool';

interface AlarmRow {
  name: string;
  firing: boolean;
  message: string;
  consecutive_errors: number;
  checked_at: Date;
}

const toStatus = (row: AlarmRow): AlarmStatus => ({
  name: row.name,
  firing: row.firing,
  message: row.message,
  checkedAt: row.checked_at.toISOString(),
  consecutiveErrors: row.consecutive_errors,
});

export async function alarmStatuses(db: Queryable, operationId: string): Promise<AlarmStatus[]> {
  const result = await db.query<AlarmRow>(
    `SELECT name, firing, message, consecutive_errors, checked_at FROM operation_alarms
      WHERE operation_id = $1 ORDER BY name`,
    [operationId],
  );
  return result.rows.map(toStatus);
}

/** Stores one evaluation of every alarm of the operation, in one statement. */
export async function recordAlarmStatuses(db: Queryable, operationId: string, statuses: AlarmStatus[]): Promise<void> {
  if (statuses.length === 0) return;
  await db.query(
    `INSERT INTO operation_alarms (operation_id, name, firing, message, consecutive_errors, checked_at)
     SELECT $1, s.name, s.firing, s.message, s.consecutive_errors, s.checked_at
       FROM jsonb_to_recordset($2::jsonb)
         AS s(name text, firing boolean, message text, consecutive_errors int, checked_at timestamptz)
     ON CONFLICT (operation_id, name) DO UPDATE SET
       firing = EXCLUDED.firing, message = EXCLUDED.message,
       consecutive_errors = EXCLUDED.consecutive_errors, checked_at = EXCLUDED.checked_at`,
    [
      operationId,
      JSON.stringify(
        statuses.map((s) => ({
          name: s.name,
          firing: s.firing,
          message: s.message,
          consecutive_errors: s.consecutiveErrors,
          checked_at: s.checkedAt,
        })),
      ),
    ],
  );
}
