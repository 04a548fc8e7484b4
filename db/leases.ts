// Leases: which operation holds which cluster right now, taken only when the fleet guard lets a cluster start.
import type { Queryable } from './pool';
import { recordOf } from './rows';

export interface Lease {
  clusterId: string;
  operationId: string;
  workflowId: string;
  acquiredAt: string;
}

export async function leasesFor(db: Queryable, clusterIds: string[]): Promise<Lease[]> {
  const result = await db.query<{ cluster_id: string; operation_id: string; workflow_id: string; acquired_at: Date }>(
    'SELECT cluster_id, operation_id, workflow_id, acquired_at FROM leases WHERE cluster_id = ANY($1::text[]) ORDER BY cluster_id',
    [clusterIds],
  );
  return result.rows.map(recordOf);
}

export type AcquireResult = { acquired: true } | { acquired: false; holder: Lease };

export async function releaseOperationLeases(db: Queryable, operationId: string): Promise<number> {
  const result = await db.query('DELETE FROM leases WHERE operation_id = $1', [operationId]);
  return result.rowCount ?? 0;
}

/** Why the guard holds a cluster back: a freeze covers it, or a limit is tripped (hourly failures) or full. */
export type GuardHold =
  | { kind: 'freeze'; name: string; until: string }
  | { kind: 'tripped'; limit: string }
  | { kind: 'full'; limit: string };

export type GuardedAcquireResult = AcquireResult | { acquired: false; guard: GuardHold };

/**
 * Takes the lease for `operationId`, re-entrantly, when the fleet guard lets the cluster start: no freeze
 * covers it, and every limit whose scope holds it has room (guard_take_lease decides in one transaction,
 * so racing operations and workers never pass a limit). When another operation holds it, `isStale`
 * decides whether that holder is gone (its workflow no longer running) and the lease may be taken over;
 * that moves a lease already counted, so it needs no room.
 */
export async function acquireGuardedLease(
  db: Queryable,
  lease: { clusterId: string; operationId: string; workflowId: string },
  isStale: (holder: Lease) => Promise<boolean>,
): Promise<GuardedAcquireResult> {
  for (;;) {
    const result = await db.query<{ outcome: string; detail: string | null; until: Date | null }>(
      'SELECT outcome, detail, until FROM guard_take_lease($1, $2, $3)',
      [lease.clusterId, lease.operationId, lease.workflowId],
    );
    const row = result.rows[0];
    // No row: the holder seen released the lease before it could be read again; look afresh.
    if (!row) continue;
    if (row.outcome === 'acquired') return { acquired: true };
    if (row.outcome === 'frozen') {
      return { acquired: false, guard: { kind: 'freeze', name: row.detail!, until: row.until!.toISOString() } };
    }
    if (row.outcome === 'tripped' || row.outcome === 'full') {
      return { acquired: false, guard: { kind: row.outcome, limit: row.detail! } };
    }
    const [holder] = await leasesFor(db, [lease.clusterId]);
    if (!holder || holder.operationId === lease.operationId) continue;
    if (!(await isStale(holder))) return { acquired: false, holder };
    // Take over only the exact stale lease we looked at, so two takers cannot both win.
    const over = await db.query(
      `UPDATE leases SET operation_id = $2, workflow_id = $3, acquired_at = now()
        WHERE cluster_id = $1 AND operation_id = $4 RETURNING cluster_id`,
      [lease.clusterId, lease.operationId, lease.workflowId, holder.operationId],
    );
    if (over.rowCount) return { acquired: true };
  }
}
