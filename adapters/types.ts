// The one interface every adapter implements: describe, apply, health, rollback — one request in, one result out.
import type { Action } from '../domain/operation';
import type { Cluster } from '../domain/cluster';

/** What an adapter may do while an activity runs: report progress, and notice cancellation. */
export interface AdapterContext {
  heartbeat(details?: unknown): void;
  /** Aborted when the activity is cancelled or times out, or the cluster's deadline passes. */
  signal: AbortSignal;
  /**
   * Stores the provider's id of the operation an apply started, before the adapter waits for it, so a
   * rollback after a worker restart can name it. Adapters whose control plane has no such id never call it.
   */
  recordProviderOperation?(operationId: string): Promise<void>;
}

export interface DescribeRequest {
  cluster: Cluster;
}
export interface DescribeResult {
  exists: boolean;
  version: string | null;
  healthy: boolean;
}

export interface ApplyRequest {
  cluster: Cluster;
  action: Action;
  /** `<operationId>:<clusterId>:<attempt>`: the control plane applies a key at most once. */
  idempotencyKey: string;
}
export interface ApplyResult {
  /** The version the cluster reports after the change, when the adapter knows it. */
  version: string | null;
  message: string;
  /** True when the control plane had already applied this key (an activity retry). */
  duplicate: boolean;
}

export interface HealthRequest {
  cluster: Cluster;
}
export interface HealthResult {
  healthy: boolean;
  version: string | null;
  message?: string;
  metrics?: Record<string, number>;
}

export interface RollbackRequest {
  cluster: Cluster;
  action: Action;
  idempotencyKey: string;
  /** The version the cluster had before this operation touched it. */
  fromVersion: string;
  /** The provider's id of the apply being rolled back, as stored with the run; null when none was recorded. */
  providerOperationId: string | null;
}
export interface RollbackResult {
  message: string;
}

export interface ClusterAdapter {
  describe(request: DescribeRequest): Promise<DescribeResult>;
  apply(request: ApplyRequest, ctx: AdapterContext): Promise<ApplyResult>;
  health(request: HealthRequest): Promise<HealthResult>;
  rollback(request: RollbackRequest, ctx: AdapterContext): Promise<RollbackResult>;
}

export type AdapterType = Cluster['adapter']['type'];
export type AdapterRegistry = Record<AdapterType, ClusterAdapter>;
