// Inventory repository: clusters rows in, domain `Cluster` objects out; parameterized SQL only.
import type { Cluster, ClusterFilter, ClusterInput, ClusterPatch } from '../domain/cluster';
import type { Queryable } from './pool';
import { recordOf } from './rows';
import { whereBuilder, type WhereBuilder } from './where';

/** A clusters row: the domain `Cluster` under its column names, timestamps as Dates. */
type ClusterRow = Omit<Cluster, 'maintenanceWindows' | 'createdAt' | 'updatedAt'> & {
  maintenance_windows: Cluster['maintenanceWindows'];
  created_at: Date;
  updated_at: Date;
};

/** In the order of `Cluster`'s fields, which is the order API answers list them in. */
const COLUMNS =
  'id, name, kind, cloud, region, environment, tier, version, labels, adapter, maintenance_windows, created_at, updated_at';

const toCluster = (row: ClusterRow): Cluster => recordOf(row);

/** Inserts or replaces clusters (keeping created_at of replaced rows); returns them in input order. */
export async function upsertClusters(db: Queryable, clusters: ClusterInput[]): Promise<Cluster[]> {
  if (clusters.length === 0) return [];
  const result = await db.query<ClusterRow>(
    `INSERT INTO clusters (id, name, kind, cloud, region, environment, tier, version, labels, adapter, maintenance_windows)
     SELECT c.id, c.name, c.kind, c.cloud, c.region, c.environment, c.tier, c.version, c.labels, c.adapter, c."maintenanceWindows"
       FROM jsonb_to_recordset($1::jsonb) AS c(id text, name text, kind text, cloud text, region text, environment text,
            tier text, version text, labels jsonb, adapter jsonb, "maintenanceWindows" jsonb)
     ON CONFLICT (id) DO UPDATE SET
       name = EXCLUDED.name, kind = EXCLUDED.kind, cloud = EXCLUDED.cloud, region = EXCLUDED.region,
       environment = EXCLUDED.environment, tier = EXCLUDED.tier, version = EXCLUDED.version,
       labels = EXCLUDED.labels, adapter = EXCLUDED.adapter, maintenance_windows = EXCLUDED.maintenance_windows,
       updated_at = now()
     RETURNING ${COLUMNS}`,
    [JSON.stringify(clusters.map((c) => ({ ...c, tier: c.tier ?? null })))],
  );
  const byId = new Map(result.rows.map((row) => [row.id, toCluster(row)]));
  return clusters.map((c) => byId.get(c.id)!);
}

/** Locks these rows (those that exist) until the transaction ends, in id order so two writers never deadlock. */
export async function lockClusters(tx: Queryable, ids: readonly string[]): Promise<void> {
  await tx.query('SELECT id FROM clusters WHERE id = ANY($1::text[]) ORDER BY id FOR UPDATE', [ids]);
}

export async function getCluster(db: Queryable, id: string, forUpdate = false): Promise<Cluster | undefined> {
  const result = await db.query<ClusterRow>(
    `SELECT ${COLUMNS} FROM clusters WHERE id = $1${forUpdate ? ' FOR UPDATE' : ''}`,
    [id],
  );
  return result.rows[0] ? toCluster(result.rows[0]) : undefined;
}

export async function patchCluster(db: Queryable, id: string, patch: ClusterPatch): Promise<Cluster | undefined> {
  const columns: Record<keyof ClusterPatch, string> = {
    name: 'name',
    kind: 'kind',
    cloud: 'cloud',
    region: 'region',
    environment: 'environment',
    tier: 'tier',
    version: 'version',
    labels: 'labels',
    adapter: 'adapter',
    maintenanceWindows: 'maintenance_windows',
  };
  const sets: string[] = [];
  const values: unknown[] = [id];
  for (const [key, value] of Object.entries(patch) as [keyof ClusterPatch, unknown][]) {
    if (value === undefined) continue;
    const json = key === 'labels' || key === 'adapter' || key === 'maintenanceWindows';
    values.push(json ? JSON.stringify(value) : value);
    sets.push(`${columns[key]} = $${values.length}${json ? '::jsonb' : ''}`);
  }
  const result = await db.query<ClusterRow>(
    `UPDATE clusters SET ${sets.join(', ')}, updated_at = now() WHERE id = $1 RETURNING ${COLUMNS}`,
    values,
  );
  return result.rows[0] ? toCluster(result.rows[0]) : undefined;
}

export async function deleteCluster(db: Queryable, id: string): Promise<boolean> {
  const result = await db.query('DELETE FROM clusters WHERE id = $1', [id]);
  return (result.rowCount ?? 0) > 0;
}

function addFilter(where: WhereBuilder, filter: ClusterFilter): void {
  const anyOf = (column: string, list: string[] | undefined) => {
    if (list && list.length > 0) where.add(`${column} = ANY(?::text[])`, list);
  };
  anyOf('id', filter.ids);
  anyOf('kind', filter.kind);
  anyOf('cloud', filter.cloud);
  anyOf('region', filter.region);
  anyOf('environment', filter.environment);
  anyOf('tier', filter.tier);
  anyOf('version', filter.version);
  if (filter.labels && Object.keys(filter.labels).length > 0)
    where.add('labels @> ?::jsonb', JSON.stringify(filter.labels));
}

/** One page ordered by id; `after` is the last id of the previous page. */
export async function listClusters(
  db: Queryable,
  filter: ClusterFilter,
  page: { limit: number; after?: string },
): Promise<{ clusters: Cluster[]; hasMore: boolean }> {
  const where = whereBuilder();
  addFilter(where, filter);
  if (page.after !== undefined) where.add('id > ?', page.after);
  const limit = where.param(page.limit + 1);
  const result = await db.query<ClusterRow>(
    `SELECT ${COLUMNS} FROM clusters ${where.sql()} ORDER BY id LIMIT ${limit}`,
    where.values,
  );
  const hasMore = result.rows.length > page.limit;
  return { clusters: result.rows.slice(0, page.limit).map(toCluster), hasMore };
}

export async function countClusters(db: Queryable): Promise<number> {
  const result = await db.query<{ n: string }>('SELECT count(*) AS n FROM clusters');
  return Number(result.rows[0]?.n ?? 0);
}

/** Every cluster, for the planner (ordered by id so plans are reproducible). */
export async function allClusters(db: Queryable): Promise<Cluster[]> {
  const result = await db.query<ClusterRow>(`SELECT ${COLUMNS} FROM clusters ORDER BY id`);
  return result.rows.map(toCluster);
}

/** The cluster and this operation's run of it, in one round trip (the select step's hot path). */
export async function getClusterWithRun(
  db: Queryable,
  clusterId: string,
  operationId: string,
): Promise<{ cluster: Cluster | undefined; run: { state: string; reason: string | null } | undefined }> {
  const result = await db.query<Partial<ClusterRow> & { run_state: string | null; run_reason: string | null }>(
    `SELECT r.state AS run_state, r.reason AS run_reason, ${COLUMNS.split(', ')
      .map((c) => `c.${c}`)
      .join(', ')}
       FROM (SELECT 1) AS one
       LEFT JOIN clusters c ON c.id = $1
       LEFT JOIN cluster_runs r ON r.operation_id = $2 AND r.cluster_id = $1`,
    [clusterId, operationId],
  );
  const { run_state: runState, run_reason: runReason, ...cluster } = result.rows[0]!;
  return {
    cluster: cluster.id ? toCluster(cluster as ClusterRow) : undefined,
    run: runState ? { state: runState, reason: runReason } : undefined,
  };
}

/** The version a cluster reported replaces the inventory's (drift found before a change). */
export async function setClusterVersion(db: Queryable, id: string, version: string): Promise<void> {
  await db.query('UPDATE clusters SET version = $2, updated_at = now() WHERE id = $1', [id, version]);
}
