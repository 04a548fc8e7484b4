// Connection pools for a bench stack, sized to fit the PostgreSQL it runs on: the Temporal server's four
// services (each opens its own pools), the engine's workers and API replicas, and the bench itself all
// share max_connections.
import { createPool } from '../../db/pool';
import type { StackSpec } from './stack-spec';

export interface PoolSizes {
  /** PostgreSQL's max_connections. */
  max: number;
  /** Per service of the PostgreSQL-backed Temporal server (four services): persistence and visibility. */
  temporal: number;
  visibility: number;
  /** Per engine worker and per API replica. */
  worker: number;
  api: number;
}

/** Connections kept free: the bench's own pool, psql, autovacuum and a margin. */
const RESERVED = 15;

export async function poolSizes(postgresUrl: string, spec: StackSpec): Promise<PoolSizes> {
  const db = createPool(postgresUrl, 1);
  let max: number;
  try {
    const { rows } = await db.query<{ max_connections: string }>('SHOW max_connections');
    max = Number(rows[0]!.max_connections);
  } finally {
    await db.end();
  }
  const usable = Math.max(max - RESERVED, 20);
  // The PostgreSQL-backed server takes about half; the engine's workers most of the rest.
  const forTemporal = spec.server === 'postgres' ? Math.floor(usable / 2) : 0;
  const temporal = Math.max(2, Math.floor((forTemporal * 0.75) / 4));
  const visibility = Math.max(2, Math.floor((forTemporal * 0.25) / 4));
  const forEngine = usable - forTemporal;
  const api = Math.max(2, Math.min(10, Math.floor((forEngine * 0.15) / spec.apiReplicas)));
  const worker = Math.max(4, Math.min(40, Math.floor((forEngine - api * spec.apiReplicas) / spec.workers)));
  return { max, temporal, visibility, worker, api };
}
