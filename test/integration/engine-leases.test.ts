// Overlapping operations end to end: with onLeased wait (the default) a cluster another running operation
// holds is parked in waiting_lease with heldBy, without a slot, until the lease is released; with skip it
// is skipped leased_by:<operationId>.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { call } from '../helpers/api';
import {
  runsOf,
  seedFleet,
  startEngine,
  startOperation,
  waitForState,
  waitForStatus,
  type EngineStack,
} from '../helpers/engine';

let stack: EngineStack;
before(async () => {
  stack = await startEngine();
});
after(async () => {
  await stack.close();
});

const slow = (applyMs: number) => ({ adapter: { type: 'simulated', config: { applyMs } } });

async function runOf(operationId: string, clusterId: string): Promise<any> {
  const res = await call(stack.api.url, 'GET', `/v1/operations/${operationId}/clusters`);
  assert.equal(res.status, 200, JSON.stringify(res.body));
  return res.body.runs.find((r: any) => r.clusterId === clusterId);
}

/** No cluster was applied by two operations at once: each successful apply starts after the one before ended. */
async function neverAtOnce(ids: string[]): Promise<void> {
  const { rows } = await stack.db.query<{ cluster_id: string; started_at: Date; finished_at: Date }>(
    `SELECT cluster_id, started_at, finished_at FROM sim_apply_requests
      WHERE cluster_id = ANY($1) AND status = 'succeeded' ORDER BY cluster_id, started_at`,
    [ids],
  );
  for (const id of ids) {
    const mine = rows.filter((r) => r.cluster_id === id);
    for (let i = 1; i < mine.length; i++) {
      assert.ok(mine[i]!.started_at >= mine[i - 1]!.finished_at, `${id} was applied by two operations at once`);
    }
  }
}

/** Polls an operation's runs until one waits for a lease; answers it as the API lists it. */
async function parkedRun(operationId: string): Promise<any> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const res = await call(stack.api.url, 'GET', `/v1/operations/${operationId}/clusters?state=waiting_lease`);
    const run = res.body.runs?.[0];
    if (run) return run;
    if (Date.now() > deadline) throw new Error(`no run of ${operationId} waited for a lease`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('leases between operations', () => {
  test('when two operations overlap with onLeased wait, then the later one waits for each lease and both complete every cluster', async () => {
    const ids = await seedFleet(stack, 4, () => slow(3000));
    const first = await startOperation(stack, {
      action: { type: 'restart' },
      selector: { ids },
      defaults: { maxParallel: 4 },
    });
    await waitForStatus(stack, first.id, (s) => s.inFlight.length === 4);
    const second = await startOperation(stack, {
      action: { type: 'restart' },
      selector: { ids },
      defaults: { maxParallel: 1 },
      onLeased: 'wait',
      limits: { leaseCheckSeconds: 0.2 },
    });
    const run = await parkedRun(second.id);
    assert.deepEqual([run.heldBy, run.windowOpensAt], [first.id, null]);
    const detail = await call(stack.api.url, 'GET', `/v1/clusters/${run.clusterId}`);
    assert.ok(detail.body.runs.some((r: any) => r.operationId === second.id && r.heldBy === first.id));
    const waiting = await waitForStatus(stack, second.id, (s) => s.counts.waiting >= 1);
    assert.equal(waiting.state, 'running');
    assert.ok(
      waiting.inFlight.every((f: any) => f.state === 'applying' || f.state === 'monitoring'),
      'a cluster waiting for a lease is not in flight',
    );

    const [a, b] = await Promise.all([
      waitForState(stack, first.id, 'completed', 60_000),
      waitForState(stack, second.id, 'completed', 60_000),
    ]);
    assert.deepEqual([a.counts.succeeded, b.counts.succeeded], [4, 4]);
    assert.deepEqual([b.counts.skipped, b.counts.waiting], [0, 0]);
    for (const r of await runsOf(stack.db, second.id)) assert.equal(r.state, 'succeeded');
    assert.equal((await runOf(second.id, run.clusterId)).heldBy, null);
    await neverAtOnce(ids);
  });

  test('when onLeased is skip, then a cluster another operation holds is skipped leased_by it', async () => {
    const ids = await seedFleet(stack, 2, (i) => slow(i === 0 ? 3000 : 50));
    const first = await startOperation(stack, { action: { type: 'restart' }, selector: { ids: [ids[0]] } });
    await waitForStatus(stack, first.id, (s) => s.inFlight.length === 1);
    const second = await startOperation(stack, {
      action: { type: 'restart' },
      selector: { ids },
      onLeased: 'skip',
    });
    const done = await waitForState(stack, second.id, 'completed');
    assert.deepEqual([done.counts.succeeded, done.counts.skipped], [1, 1]);
    const skipped = await runOf(second.id, ids[0]!);
    assert.deepEqual([skipped.state, skipped.reason, skipped.heldBy], ['skipped', `leased_by:${first.id}`, null]);
    await waitForState(stack, first.id, 'completed');
  });

  test('when the lease is still held at the deadline, then the waiting cluster ends skipped leased_by its holder', async () => {
    const ids = await seedFleet(stack, 1, () => slow(6000));
    const first = await startOperation(stack, { action: { type: 'restart' }, selector: { ids } });
    await waitForStatus(stack, first.id, (s) => s.inFlight.length === 1);
    const second = await startOperation(stack, {
      action: { type: 'restart' },
      selector: { ids },
      deadline: new Date(Date.now() + 3000).toISOString(),
      limits: { leaseCheckSeconds: 60 },
    });
    const done = await waitForState(stack, second.id, 'completed');
    assert.equal(done.counts.skipped, 1);
    const run = await runOf(second.id, ids[0]!);
    assert.deepEqual([run.state, run.reason], ['skipped', `leased_by:${first.id}`]);
    await waitForState(stack, first.id, 'completed');
  });
});
