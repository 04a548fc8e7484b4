// The simulated adapter: a control plane kept in PostgreSQL whose latency, failures and health each cluster's config sets.
import { z } from 'zod';
import type { Db } from '../db/pool';
import * as store from '../db/simulated-control-plane';
import type { Cluster } from '../domain/cluster';
import { targetVersionOf, type Action } from '../domain/operation';
import { parseAdapterConfig } from './adapter-config';
import { sleepUnlessAborted, throwIfAborted } from './cancellation';
import { ClusterApplyFailed, ClusterApplyRejected, ControlPlaneUnavailable } from './errors';
import type { AdapterContext, ClusterAdapter } from './types';

/** Where "now" comes from for health timing, so a test can move time instead of waiting. */
export interface Clock {
  now(): Date;
}
const systemClock: Clock = { now: () => new Date() };

/** `cluster.adapter.config` of a simulated cluster; unknown keys are ignored so configs can grow. */
const SimulatedConfigSchema = z.object({
  applyMs: z.number().min(0).max(3_600_000).default(200),
  failApply: z.boolean().default(false),
  failApplyTimes: z.number().int().min(0).default(0),
  unhealthy: z.boolean().default(false),
  healthyAfterMs: z.number().min(0).default(0),
  brokers: z.number().int().min(1).max(10_000).default(1),
  failRollback: z.boolean().default(false),
  /** Numbers health reports (for monitor.require rules), over the default underReplicatedPartitions. */
  metrics: z.record(z.string().min(1).max(200), z.number()).default({}),
  /** A version health reports instead of the one applied: exercises version_mismatch. */
  reportVersion: z.string().min(1).max(100).optional(),
});
export type SimulatedConfig = z.infer<typeof SimulatedConfigSchema>;

/** A long broker restart still heartbeats this often, so a heartbeat timeout only catches a dead worker. */
const HEARTBEAT_EVERY_MS = 2000;

function parseSimulatedConfig(cluster: Cluster): SimulatedConfig {
  return parseAdapterConfig(SimulatedConfigSchema, cluster, 'simulated');
}

function describeAction(action: Action, brokers: number): string {
  const rolling = brokers > 1 ? ` (rolling, ${brokers} brokers)` : '';
  switch (action.type) {
    case 'upgrade':
      return `upgraded to ${action.targetVersion}${rolling}`;
    case 'restart':
      return `restarted${rolling}`;
    case 'config':
      return `applied ${Object.keys(action.settings).length} setting(s)${rolling}`;
  }
}

/** Waits `ms`, heartbeating `progress` on the way; rejects as soon as the activity is cancelled. */
async function work(ms: number, ctx: AdapterContext, progress: unknown): Promise<void> {
  let left = ms;
  while (left > 0) {
    const step = Math.min(left, HEARTBEAT_EVERY_MS);
    await sleepUnlessAborted(step, ctx.signal);
    left -= step;
    if (left > 0) ctx.heartbeat(progress);
  }
}

export interface SimulatedAdapterDeps {
  db: Db;
  clock?: Clock;
}

export function createSimulatedAdapter({ db, clock = systemClock }: SimulatedAdapterDeps): ClusterAdapter {
  const isHealthy = (state: store.SimClusterState) =>
    state.healthy && (state.healthyAt === null || clock.now().getTime() >= state.healthyAt.getTime());

  const apply: ClusterAdapter['apply'] = async ({ cluster, action, idempotencyKey }, ctx) => {
    throwIfAborted(ctx.signal);
    // No read of the cluster's state up front: commitApply creates it when missing, and only a duplicate
    // needs the version (one round trip less per cluster on the hot path).
    const request = await store.beginApply(db, { clusterId: cluster.id, idempotencyKey, action });
    if (request.duplicate) {
      const state = await store.ensureSimCluster(db, cluster);
      return {
        duplicate: true,
        version: state.version,
        message: `already applied under key ${idempotencyKey}; not applied again`,
      };
    }

    let config: SimulatedConfig;
    try {
      config = parseSimulatedConfig(cluster);
    } catch (err) {
      await store.finishRequest(db, request.id, 'rejected', (err as Error).message);
      throw err;
    }
    if (config.failApply) {
      const message = `simulated control plane rejected the ${action.type} of '${cluster.id}' (failApply)`;
      await store.finishRequest(db, request.id, 'rejected', message);
      throw new ClusterApplyRejected(message);
    }
    if (request.attempt <= config.failApplyTimes) {
      const message = `simulated control plane unavailable for attempt ${request.attempt} of key ${idempotencyKey} (failApplyTimes ${config.failApplyTimes})`;
      await store.finishRequest(db, request.id, 'failed', message);
      throw new ControlPlaneUnavailable(message);
    }

    // A rolling restart: the apply time is spread over the brokers; heartbeat details count brokers done.
    try {
      for (let broker = 1; broker <= config.brokers; broker++) {
        await work(config.applyMs / config.brokers, ctx, { broker: broker - 1, of: config.brokers });
        // A zero-latency apply has no progress worth a call to the server.
        if (config.applyMs > 0) ctx.heartbeat({ broker, of: config.brokers });
      }
      throwIfAborted(ctx.signal);
    } catch (err) {
      // The effect is written only at the end, so an aborted apply changed nothing; the row says why it stopped.
      await store
        .finishRequest(db, request.id, 'failed', `aborted after a partial apply: ${(err as Error).message}`)
        .catch(() => undefined);
      throw err;
    }

    const message = describeAction(action, config.brokers);
    const committed = await store.commitApply(db, {
      requestId: request.id,
      cluster,
      idempotencyKey,
      message,
      effect: {
        version: targetVersionOf(action) ?? undefined,
        settings: action.type === 'config' ? action.settings : undefined,
        healthy: !config.unhealthy,
        healthyAt: config.unhealthy ? null : new Date(clock.now().getTime() + config.healthyAfterMs),
      },
    });
    return committed.duplicate
      ? {
          duplicate: true,
          version: committed.version,
          message: `already applied under key ${idempotencyKey}; not applied again`,
        }
      : { duplicate: false, version: committed.version, message };
  };

  const health: ClusterAdapter['health'] = async ({ cluster }) => {
    const state = await store.ensureSimCluster(db, cluster);
    const config = parseSimulatedConfig(cluster);
    const healthy = isHealthy(state);
    let message = 'healthy';
    if (!state.healthy) message = 'unhealthy since the last apply';
    else if (!healthy) message = `recovering: healthy from ${state.healthyAt!.toISOString()}`;
    return {
      healthy,
      version: config.reportVersion ?? state.version,
      message,
      metrics: { underReplicatedPartitions: healthy ? 0 : 1, ...config.metrics },
    };
  };

  const describe: ClusterAdapter['describe'] = async ({ cluster }) => {
    // The simulated provider knows every inventory cluster: touching one creates it.
    const state = await store.ensureSimCluster(db, cluster);
    return { exists: true, version: state.version, healthy: isHealthy(state) };
  };

  const rollback: ClusterAdapter['rollback'] = async ({ cluster, action, idempotencyKey, fromVersion }, ctx) => {
    throwIfAborted(ctx.signal);
    const config = parseSimulatedConfig(cluster);
    if (config.failRollback) {
      const message = `simulated control plane failed to roll back '${cluster.id}' (failRollback)`;
      await store.logRequest(db, {
        clusterId: cluster.id,
        idempotencyKey: `${idempotencyKey}:rollback`,
        action: { type: 'rollback', of: action, toVersion: fromVersion },
        status: 'failed',
        message,
      });
      throw new ClusterApplyFailed(message);
    }
    const message = action.type === 'upgrade' ? `rolled back to ${fromVersion}` : `rolled back the ${action.type}`;
    await store.rollbackApply(db, { cluster, idempotencyKey, action, fromVersion, message });
    return { message };
  };

  return { apply, health, describe, rollback };
}
