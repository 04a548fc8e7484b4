// The adapter registry: one adapter per `cluster.adapter.type`, built once from injected dependencies.
import type { Db } from '../db/pool';
import type { Cluster } from '../domain/cluster';
import { ClusterApplyRejected } from './errors';
import { createHttpAdapter } from './http';
import type { SecretResolver } from './secrets';
import { createSimulatedAdapter, type Clock } from './simulated';
import type { AdapterRegistry, ClusterAdapter } from './types';

export interface AdapterDeps {
  db: Db;
  fetch?: typeof fetch;
  clock?: Clock;
  /** Resolves the http adapter's `tokenRef` (adapters/secrets.ts); without it every tokenRef is missing. */
  secrets?: SecretResolver;
}

export function createAdapters({ db, fetch, clock, secrets }: AdapterDeps): AdapterRegistry {
  return {
    simulated: createSimulatedAdapter({ db, clock }),
    http: createHttpAdapter({ fetch, secrets }),
  };
}

export function adapterFor(registry: AdapterRegistry, cluster: Cluster): ClusterAdapter {
  // Own-property lookup: an inventory row written before a type was removed must not reach Object.prototype.
  const adapter = Object.hasOwn(registry, cluster.adapter.type) ? registry[cluster.adapter.type] : undefined;
  if (!adapter) {
    throw new ClusterApplyRejected(
      `cluster '${cluster.id}' names adapter type '${String(cluster.adapter.type)}', which this worker does not have`,
    );
  }
  return adapter;
}
