// Inventory use cases: every change and its audit event commit together, leased clusters stay put.
import type { Actor } from '../../domain/auth';
import type { Cluster, ClusterFilter, ClusterInput, ClusterPatch } from '../../domain/cluster';
import { Conflict, NotFound, ValidationFailed } from '../../domain/errors';
import { refuseSecretsInInventory } from '../../domain/secrets';
import { recordAudit } from '../../db/audit';
import * as clustersRepo from '../../db/clusters';
import { leasesFor } from '../../db/leases';
import { withTransaction, type Db } from '../../db/pool';
import { recentRunsForCluster, type ClusterRun } from '../../db/runs';
import { decodeCursor, encodeCursor } from './page-cursor';

function leasedConflict(leases: { clusterId: string; operationId: string }[]): Conflict {
  return new Conflict(
    'cluster_leased',
    leases.length === 1
      ? `cluster '${leases[0]!.clusterId}' is leased by operation '${leases[0]!.operationId}'; wait for it or cancel it`
      : `${leases.length} clusters are leased by running operations`,
    leases.map((l) => ({ path: l.clusterId, message: `leased by ${l.operationId}`, operationId: l.operationId })),
  );
}

export function createInventoryService(db: Db) {
  return {
    /** `bulk`: the clusters came as `{ clusters: [...] }`, so refusals name `clusters.<i>.…`. */
    async upsert(actor: Actor, clusters: ClusterInput[], { bulk = false } = {}): Promise<Cluster[]> {
      // Before anything is written or audited: the audit payload would otherwise keep the secret too.
      refuseSecretsInInventory(clusters, (i) => (bulk ? `clusters.${i}` : ''));
      const ids = clusters.map((c) => c.id);
      const duplicates = ids.filter((id, i) => ids.indexOf(id) !== i);
      if (duplicates.length > 0) {
        throw new ValidationFailed(
          'a cluster id appears twice in the request',
          [...new Set(duplicates)].map((id) => ({ path: id, message: 'duplicate id' })),
        );
      }
      return withTransaction(db, async (tx) => {
        // Lock the rows we are about to replace so a lease cannot be taken in between.
        await clustersRepo.lockClusters(tx, ids);
        const leases = await leasesFor(tx, ids);
        if (leases.length > 0) throw leasedConflict(leases);
        const saved = await clustersRepo.upsertClusters(tx, clusters);
        await recordAudit(tx, {
          ...actor,
          action: clusters.length === 1 ? 'cluster.upsert' : 'cluster.bulk_upsert',
          targetType: 'cluster',
          targetId: clusters.length === 1 ? clusters[0]!.id : `${clusters.length} clusters`,
          payload: clusters.length === 1 ? clusters[0] : { count: clusters.length, ids },
        });
        return saved;
      });
    },

    async list(filter: ClusterFilter, limit: number, cursor?: string) {
      const after = cursor === undefined ? undefined : decodeCursor(cursor);
      const page = await clustersRepo.listClusters(db, filter, { limit, after });
      const last = page.clusters.at(-1);
      return { clusters: page.clusters, nextCursor: page.hasMore && last ? encodeCursor(last.id) : null };
    },

    async get(id: string): Promise<Cluster & { lease: { operationId: string } | null; runs: ClusterRun[] }> {
      const cluster = await clustersRepo.getCluster(db, id);
      if (!cluster) throw new NotFound('cluster', id);
      const [leases, runs] = await Promise.all([leasesFor(db, [id]), recentRunsForCluster(db, id)]);
      return { ...cluster, lease: leases[0] ? { operationId: leases[0].operationId } : null, runs };
    },

    async patch(actor: Actor, id: string, patch: ClusterPatch): Promise<Cluster> {
      refuseSecretsInInventory([patch]);
      return withTransaction(db, async (tx) => {
        const current = await clustersRepo.getCluster(tx, id, true);
        if (!current) throw new NotFound('cluster', id);
        const leases = await leasesFor(tx, [id]);
        if (leases.length > 0) throw leasedConflict(leases);
        const updated = await clustersRepo.patchCluster(tx, id, patch);
        await recordAudit(tx, {
          ...actor,
          action: 'cluster.patch',
          targetType: 'cluster',
          targetId: id,
          payload: patch,
        });
        return updated!;
      });
    },

    async remove(actor: Actor, id: string): Promise<void> {
      await withTransaction(db, async (tx) => {
        const current = await clustersRepo.getCluster(tx, id, true);
        if (!current) throw new NotFound('cluster', id);
        const leases = await leasesFor(tx, [id]);
        if (leases.length > 0) throw leasedConflict(leases);
        await clustersRepo.deleteCluster(tx, id);
        await recordAudit(tx, { ...actor, action: 'cluster.delete', targetType: 'cluster', targetId: id, payload: {} });
      });
    },
  };
}

export type InventoryService = ReturnType<typeof createInventoryService>;
