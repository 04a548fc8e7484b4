// Clusters this worker holds a lease on, as select read them: apply and monitor reuse the snapshot
// instead of reading the row again. Safe because a leased cluster cannot be changed (PATCH, DELETE
// and replace answer 409), so the snapshot stays true until the run finishes.
import { ClusterNotFound } from '../adapters/errors';
import type { Cluster } from '../domain/cluster';
import { getCluster } from '../db/clusters';
import type { Queryable } from '../db/pool';

const LIMIT = 20_000;

export function createLeasedClusters() {
  const held = new Map<string, { operationId: string; cluster: Cluster }>();
  return {
    remember(operationId: string, cluster: Cluster): void {
      // Bounded: a worker that crashes mid-run elsewhere never forgets its entries otherwise.
      if (held.size >= LIMIT) held.delete(held.keys().next().value!);
      held.set(cluster.id, { operationId, cluster });
    },
    forget(clusterId: string): void {
      held.delete(clusterId);
    },
    /**
     * The snapshot when this operation holds it here; otherwise (another worker selected it) the row;
     * ClusterNotFound (permanent) when the inventory no longer has the cluster.
     */
    async get(db: Queryable, operationId: string, clusterId: string): Promise<Cluster> {
      const entry = held.get(clusterId);
      if (entry?.operationId === operationId) return entry.cluster;
      const cluster = await getCluster(db, clusterId);
      if (!cluster) throw new ClusterNotFound(`cluster '${clusterId}' was removed from the inventory`);
      return cluster;
    },
  };
}

export type LeasedClusters = ReturnType<typeof createLeasedClusters>;
