// The simulated adapter against real PostgreSQL: effects, idempotency, failures, health, rollback and concurrency proof.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { ClusterApplyFailed, ClusterApplyRejected, ControlPlaneUnavailable } from '../../adapters/errors';
import { createSimulatedAdapter, type Clock } from '../../adapters/simulated';
import type { ClusterAdapter } from '../../adapters/types';
import { upsertClusters } from '../../db/clusters';
import { createPool, type Db } from '../../db/pool';
import { maxConcurrentApplies, simApplyLog } from '../../db/simulated-control-plane';
import type { Cluster } from '../../domain/cluster';
import type { Action } from '../../domain/operation';
import { testEnv, uid } from '../helpers/env';
import { clusterBody } from '../helpers/fixtures';
import { recordingContext } from '../helpers/adapter-context';

let db: Db;
let adapter: ClusterAdapter;
before(() => {
  db = createPool(testEnv().databaseUrl, 8);
  adapter = createSimulatedAdapter({ db });
});
after(async () => {
  await db.end();
});

async function simCluster(config: Record<string, unknown> = {}, version = '3.6.0'): Promise<Cluster> {
  const [cluster] = await upsertClusters(db, [clusterBody({ version, adapter: { type: 'simulated', config } })]);
  return cluster!;
}

const upgrade: Action = { type: 'upgrade', targetVersion: '3.7.1' };
const keyFor = (cluster: Cluster) => `${uid('op')}:${cluster.id}:1`;

async function simRow(clusterId: string) {
  const { rows } = await db.query('SELECT version, settings, healthy FROM sim_clusters WHERE cluster_id = $1', [
    clusterId,
  ]);
  return rows[0];
}

describe('simulated adapter: apply', () => {
  test('when an upgrade is applied, then the version moves to the target and one succeeded request is logged', async () => {
    const cluster = await simCluster({ applyMs: 20 });
    const key = keyFor(cluster);
    const result = await adapter.apply({ cluster, action: upgrade, idempotencyKey: key }, recordingContext().ctx);
    assert.deepEqual({ duplicate: result.duplicate, version: result.version }, { duplicate: false, version: '3.7.1' });
    assert.equal((await adapter.health({ cluster })).version, '3.7.1');
    const log = await simApplyLog(db, { clusterId: cluster.id });
    assert.equal(log.length, 1);
    assert.equal(log[0]!.idempotencyKey, key);
    assert.equal(log[0]!.attempt, 1);
    assert.equal(log[0]!.status, 'succeeded');
    assert.deepEqual(log[0]!.action, upgrade);
    assert.ok(log[0]!.finishedAt && log[0]!.finishedAt >= log[0]!.startedAt);
  });

  test('when the same key is applied again, then it is logged as a duplicate and nothing is applied twice', async () => {
    const cluster = await simCluster({ applyMs: 0 });
    const key = keyFor(cluster);
    await adapter.apply({ cluster, action: upgrade, idempotencyKey: key }, recordingContext().ctx);
    // Someone changed the cluster since: a second application would overwrite this.
    await db.query(`UPDATE sim_clusters SET version = '3.6.9' WHERE cluster_id = $1`, [cluster.id]);
    const again = await adapter.apply({ cluster, action: upgrade, idempotencyKey: key }, recordingContext().ctx);
    assert.equal(again.duplicate, true);
    assert.equal(again.version, '3.6.9');
    assert.equal((await simRow(cluster.id)).version, '3.6.9');
    const log = await simApplyLog(db, { idempotencyKey: key });
    assert.deepEqual(
      log.map((r) => [r.attempt, r.status]),
      [
        [1, 'succeeded'],
        [2, 'duplicate'],
      ],
    );
  });

  test('when two workers apply the same key at once, then exactly one applies and the other is a duplicate', async () => {
    const cluster = await simCluster({ applyMs: 100 });
    const key = keyFor(cluster);
    const results = await Promise.all(
      [1, 2].map(() => adapter.apply({ cluster, action: upgrade, idempotencyKey: key }, recordingContext().ctx)),
    );
    assert.deepEqual(results.map((r) => r.duplicate).sort(), [false, true]);
    const log = await simApplyLog(db, { idempotencyKey: key });
    assert.deepEqual(log.map((r) => r.attempt).sort(), [1, 2]);
    assert.deepEqual(log.map((r) => r.status).sort(), ['duplicate', 'succeeded']);
  });

  test('when failApply is set, then apply is rejected permanently and the cluster is untouched', async () => {
    const cluster = await simCluster({ failApply: true });
    await assert.rejects(
      adapter.apply({ cluster, action: upgrade, idempotencyKey: keyFor(cluster) }, recordingContext().ctx),
      ClusterApplyRejected,
    );
    assert.equal((await adapter.health({ cluster })).version, '3.6.0');
    assert.deepEqual(
      (await simApplyLog(db, { clusterId: cluster.id })).map((r) => r.status),
      ['rejected'],
    );
  });

  test('when failApplyTimes is 2, then two attempts are unavailable and the third applies, logged as attempts 1, 2, 3', async () => {
    const cluster = await simCluster({ failApplyTimes: 2, applyMs: 0 });
    const key = keyFor(cluster);
    for (let i = 0; i < 2; i++) {
      await assert.rejects(
        adapter.apply({ cluster, action: upgrade, idempotencyKey: key }, recordingContext().ctx),
        ControlPlaneUnavailable,
      );
    }
    const result = await adapter.apply({ cluster, action: upgrade, idempotencyKey: key }, recordingContext().ctx);
    assert.equal(result.version, '3.7.1');
    const log = await simApplyLog(db, { idempotencyKey: key });
    assert.deepEqual(
      log.map((r) => [r.attempt, r.status]),
      [
        [1, 'failed'],
        [2, 'failed'],
        [3, 'succeeded'],
      ],
    );
  });

  test('when the config has a bad type, then apply is rejected with a message naming the key', async () => {
    const cluster = await simCluster({ applyMs: 'fast', colour: 'blue' });
    await assert.rejects(
      adapter.apply({ cluster, action: upgrade, idempotencyKey: keyFor(cluster) }, recordingContext().ctx),
      (err: Error) => {
        assert.ok(err instanceof ClusterApplyRejected);
        assert.match(err.message, /applyMs/);
        assert.doesNotMatch(err.message, /colour/);
        return true;
      },
    );
    assert.deepEqual(
      (await simApplyLog(db, { clusterId: cluster.id })).map((r) => r.status),
      ['rejected'],
    );
  });

  test('when brokers is 3, then the apply heartbeats each broker in order', async () => {
    const cluster = await simCluster({ brokers: 3, applyMs: 30 });
    const { beats, ctx } = recordingContext();
    await adapter.apply({ cluster, action: { type: 'restart' }, idempotencyKey: keyFor(cluster) }, ctx);
    assert.deepEqual(beats, [
      { broker: 1, of: 3 },
      { broker: 2, of: 3 },
      { broker: 3, of: 3 },
    ]);
    assert.equal((await adapter.health({ cluster })).version, '3.6.0');
  });

  test('when the apply is aborted midway, then it has no effect and a later apply with the same key applies once', async () => {
    const cluster = await simCluster({ brokers: 2, applyMs: 40 });
    const key = keyFor(cluster);
    // Abort when the first broker is done: mid-apply by construction, not by timing.
    const first = recordingContext((d, controller) => (d as { broker: number }).broker === 1 && controller.abort());
    await assert.rejects(adapter.apply({ cluster, action: upgrade, idempotencyKey: key }, first.ctx), {
      name: 'AbortError',
    });
    assert.equal((await adapter.health({ cluster })).version, '3.6.0');
    assert.deepEqual(first.beats, [{ broker: 1, of: 2 }]);

    const retry = await adapter.apply({ cluster, action: upgrade, idempotencyKey: key }, recordingContext().ctx);
    assert.equal(retry.duplicate, false);
    assert.equal(retry.version, '3.7.1');
    const third = await adapter.apply({ cluster, action: upgrade, idempotencyKey: key }, recordingContext().ctx);
    assert.equal(third.duplicate, true);
    const log = await simApplyLog(db, { idempotencyKey: key });
    assert.deepEqual(
      log.map((r) => r.status),
      ['failed', 'succeeded', 'duplicate'],
    );
  });

  test('when config settings are applied, then they merge into the cluster settings', async () => {
    const cluster = await simCluster({ applyMs: 0 });
    await adapter.apply(
      {
        cluster,
        action: { type: 'config', settings: { 'log.retention.hours': 48, compression: 'zstd' } },
        idempotencyKey: keyFor(cluster),
      },
      recordingContext().ctx,
    );
    await adapter.apply(
      {
        cluster,
        action: { type: 'config', settings: { compression: 'lz4', 'auto.create': false } },
        idempotencyKey: keyFor(cluster),
      },
      recordingContext().ctx,
    );
    const row = await simRow(cluster.id);
    assert.deepEqual(row.settings, { 'log.retention.hours': 48, compression: 'lz4', 'auto.create': false });
    assert.equal(row.version, '3.6.0');
  });
});

describe('simulated adapter: health and describe', () => {
  let now = Date.now();
  const clock: Clock = { now: () => new Date(now) };
  let timed: ClusterAdapter;
  before(() => {
    timed = createSimulatedAdapter({ db, clock });
  });

  test('when a cluster was never touched, then health reports it healthy at its inventory version', async () => {
    const cluster = await simCluster({}, '3.5.2');
    const health = await adapter.health({ cluster });
    assert.deepEqual({ healthy: health.healthy, version: health.version }, { healthy: true, version: '3.5.2' });
    assert.equal(health.metrics?.underReplicatedPartitions, 0);
    assert.deepEqual(await adapter.describe({ cluster }), { exists: true, version: '3.5.2', healthy: true });
  });

  test('when unhealthy is set, then the cluster is never healthy after apply', async () => {
    const cluster = await simCluster({ unhealthy: true, applyMs: 0 });
    await timed.apply({ cluster, action: upgrade, idempotencyKey: keyFor(cluster) }, recordingContext().ctx);
    now += 24 * 3600_000;
    const health = await timed.health({ cluster });
    assert.equal(health.healthy, false);
    assert.equal(health.version, '3.7.1');
    assert.ok((health.metrics?.underReplicatedPartitions ?? 0) > 0);
    assert.equal((await timed.describe({ cluster })).healthy, false);
  });

  test('when healthyAfterMs is set, then health turns healthy only that long after the apply', async () => {
    const cluster = await simCluster({ healthyAfterMs: 60_000, applyMs: 0 });
    await timed.apply(
      { cluster, action: { type: 'restart' }, idempotencyKey: keyFor(cluster) },
      recordingContext().ctx,
    );
    assert.equal((await timed.health({ cluster })).healthy, false);
    now += 59_000;
    assert.equal((await timed.health({ cluster })).healthy, false);
    now += 1_000;
    assert.equal((await timed.health({ cluster })).healthy, true);
  });
});

describe('simulated adapter: rollback', () => {
  test('when an upgrade is rolled back, then the version is restored, the cluster healthy and the rollback logged', async () => {
    const cluster = await simCluster({ applyMs: 0, unhealthy: true });
    const key = keyFor(cluster);
    await adapter.apply({ cluster, action: upgrade, idempotencyKey: key }, recordingContext().ctx);
    const result = await adapter.rollback(
      { cluster, action: upgrade, idempotencyKey: key, fromVersion: '3.6.0', providerOperationId: null },
      recordingContext().ctx,
    );
    assert.match(result.message, /3\.6\.0/);
    const health = await adapter.health({ cluster });
    assert.deepEqual({ healthy: health.healthy, version: health.version }, { healthy: true, version: '3.6.0' });
    const log = await simApplyLog(db, { idempotencyKey: `${key}:rollback` });
    assert.deepEqual(
      log.map((r) => r.status),
      ['rolled_back'],
    );
  });

  test('when a config change is rolled back, then the settings it replaced come back', async () => {
    const cluster = await simCluster({ applyMs: 0 });
    await adapter.apply(
      { cluster, action: { type: 'config', settings: { a: 1 } }, idempotencyKey: keyFor(cluster) },
      recordingContext().ctx,
    );
    const key = keyFor(cluster);
    const action: Action = { type: 'config', settings: { a: 2, b: true } };
    await adapter.apply({ cluster, action, idempotencyKey: key }, recordingContext().ctx);
    await adapter.rollback(
      { cluster, action, idempotencyKey: key, fromVersion: '3.6.0', providerOperationId: null },
      recordingContext().ctx,
    );
    assert.deepEqual((await simRow(cluster.id)).settings, { a: 1 });
  });

  test('when failRollback is set, then rollback fails with ClusterApplyFailed and the version stays', async () => {
    const cluster = await simCluster({ applyMs: 0, failRollback: true });
    const key = keyFor(cluster);
    await adapter.apply({ cluster, action: upgrade, idempotencyKey: key }, recordingContext().ctx);
    await assert.rejects(
      adapter.rollback(
        { cluster, action: upgrade, idempotencyKey: key, fromVersion: '3.6.0', providerOperationId: null },
        recordingContext().ctx,
      ),
      ClusterApplyFailed,
    );
    assert.equal((await simRow(cluster.id)).version, '3.7.1');
    assert.deepEqual(
      (await simApplyLog(db, { idempotencyKey: `${key}:rollback` })).map((r) => r.status),
      ['failed'],
    );
  });
});

describe('maxConcurrentApplies', () => {
  test('when logged intervals are known, then it counts the most that overlap and not those that only touch', async () => {
    const ids = [uid('c'), uid('c'), uid('c'), uid('c'), uid('c')];
    // Seconds after a base: [0,10] [5,15] [10,20] [12,13] overlap 3 at 12; [10,20] touching [0,10] at 10 does not.
    const rows: [string, number, number, string][] = [
      [ids[0]!, 0, 10, 'succeeded'],
      [ids[1]!, 5, 15, 'failed'],
      [ids[2]!, 10, 20, 'rejected'],
      [ids[3]!, 12, 13, 'succeeded'],
      [ids[4]!, 11, 14, 'duplicate'],
    ];
    for (const [id, start, end, status] of rows) {
      await db.query(
        `INSERT INTO sim_apply_requests (cluster_id, idempotency_key, action, status, started_at, finished_at)
         VALUES ($1, $1, '{}', $4, timestamptz '2024-01-01Z' + make_interval(secs => $2), timestamptz '2024-01-01Z' + make_interval(secs => $3))`,
        [id, start, end, status],
      );
    }
    assert.equal(await maxConcurrentApplies(db, ids), 3);
    assert.equal(await maxConcurrentApplies(db, [ids[0]!, ids[2]!]), 1);
    assert.equal(await maxConcurrentApplies(db, []), 0);
  });

  test('when three applies run in parallel, then it is 3; when they run one after another, then it is 1', async () => {
    const parallel = await Promise.all([1, 2, 3].map(() => simCluster({ applyMs: 300 })));
    await Promise.all(
      parallel.map((cluster) =>
        adapter.apply({ cluster, action: upgrade, idempotencyKey: keyFor(cluster) }, recordingContext().ctx),
      ),
    );
    assert.equal(
      await maxConcurrentApplies(
        db,
        parallel.map((c) => c.id),
      ),
      3,
    );

    const sequential = await Promise.all([1, 2, 3].map(() => simCluster({ applyMs: 50 })));
    for (const cluster of sequential) {
      const key = keyFor(cluster);
      await adapter.apply({ cluster, action: upgrade, idempotencyKey: key }, recordingContext().ctx);
      await adapter.apply({ cluster, action: upgrade, idempotencyKey: key }, recordingContext().ctx); // a duplicate is not work
    }
    assert.equal(
      await maxConcurrentApplies(
        db,
        sequential.map((c) => c.id),
      ),
      1,
    );
  });
});
