// The operation_status_snapshots table: the compact state each operation workflow writes whenever it
// changes, read by the API to answer status without a workflow query.
import type { StatusSnapshot } from '../domain/operation-status';
import type { Queryable } from './pool';

export interface StatusSnapshotWrite {
  operationId: string;
  snapshot: StatusSnapshot;
  /** The workflow's time when it took the snapshot. */
  takenAt: string;
}

export interface StoredStatusSnapshot {
  /** Grows with every write: an answer built from an older version is out of date. */
  version: number;
  snapshot: StatusSnapshot;
  takenAt: string;
}

/**
 * Writes the operation's snapshot and moves its version on. A write taken earlier than the stored one
 * (an activity attempt that outlived its timeout, landing after its retry) changes nothing.
 */
export async function writeStatusSnapshot(db: Queryable, write: StatusSnapshotWrite): Promise<void> {
  await db.query(
    `INSERT INTO operation_status_snapshots (operation_id, version, snapshot, taken_at)
     VALUES ($1, 1, $2::jsonb, $3)
     ON CONFLICT (operation_id) DO UPDATE SET
       version = operation_status_snapshots.version + 1, snapshot = EXCLUDED.snapshot,
       taken_at = EXCLUDED.taken_at, written_at = clock_timestamp()
     WHERE operation_status_snapshots.taken_at <= EXCLUDED.taken_at`,
    [write.operationId, JSON.stringify(write.snapshot), write.takenAt],
  );
}

/** The version of the operation's snapshot, or undefined when its workflow has written none: one index read. */
export async function statusSnapshotVersion(db: Queryable, operationId: string): Promise<number | undefined> {
  const result = await db.query<{ version: string }>(
    'SELECT version FROM operation_status_snapshots WHERE operation_id = $1',
    [operationId],
  );
  return result.rows[0] ? Number(result.rows[0].version) : undefined;
}

export async function readStatusSnapshot(
  db: Queryable,
  operationId: string,
): Promise<StoredStatusSnapshot | undefined> {
  const result = await db.query<{ version: string; snapshot: StatusSnapshot; taken_at: Date }>(
    'SELECT version, snapshot, taken_at FROM operation_status_snapshots WHERE operation_id = $1',
    [operationId],
  );
  const row = result.rows[0];
  return row
    ? { version: Number(row.version), snapshot: row.snapshot, takenAt: row.taken_at.toISOString() }
    : undefined;
}

/** Forgets the operation's snapshot (tests simulate an operation from before snapshots with it). */
export async function deleteStatusSnapshot(db: Queryable, operationId: string): Promise<void> {
  await db.query('DELETE FROM operation_status_snapshots WHERE operation_id = $1', [operationId]);
}
