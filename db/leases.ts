// Leases: which operation holds which cluster right now.
import type { Queryable } from './pool';

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
  return result.rows.map((r) => ({
    clusterId: r.cluster_id,
    operationId: r.operation_id,
    workflowId: r.workflow_id,
    acquiredAt: r.acquired_at.toISOString(),
  }));
}
