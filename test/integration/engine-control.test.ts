// Pause, resume, cancel, leases between operations, maintenance windows and setMaxParallel, end to end.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { WorkflowUpdateFailedError } from '@temporalio/client';
import { setMaxParallelUpdate } from '../../workflows/messages';
import { call, TOKENS } from '../helpers/api';
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
const applies = async (ids: string[]) =>
  (await stack.db.query('SELECT count(*)::int AS n FROM sim_apply_requests WHERE cluster_id = ANY($1)', [ids])).rows[0]
    .n as number;

describe('pause, resume and cancel', () => {
  test('when paused, then in-flight clusters finish and no new one starts until resume', async () => {
    const ids = await seedFleet(stack, 6, () => slow(800));
    const op = await startOperation(stack, {
      action: { type: 'restart' },
      selector: { ids },
      defaults: { maxParallel: 2 },
    });
    await waitForStatus(stack, op.id, (s) => s.inFlight.length === 2);
    const pause = await call(stack.api.url, 'POST', `/v1/operations/${op.id}/pause`, { token: TOKENS.operator });
    assert.equal(pause.status, 200);
    const paused = await waitForStatus(stack, op.id, (s) => s.state === 'paused' && s.inFlight.length === 0);
    assert.equal(paused.pauseReason, 'operator');
    const started = await applies(ids);
    await new Promise((r) => setTimeout(r, 1200));
    assert.equal(await applies(ids), started, 'a cluster started while paused');
    assert.equal((await call(stack.api.url, 'POST', `/v1/operations/${op.id}/pause`)).status, 409);
    assert.equal((await call(stack.api.url, 'POST', `/v1/operations/${op.id}/resume`)).status, 200);
    const done = await waitForState(stack, op.id, 'completed');
    assert.equal(done.counts.succeeded, 6);
    assert.equal((await call(stack.api.url, 'POST', `/v1/operations/${op.id}/resume`)).status, 409);
  });

  test('when cancelled, then in-flight clusters finish, the rest is skipped and every lease is released', async () => {
    const ids = await seedFleet(stack, 5, () => slow(600));
    const op = await startOperation(stack, {
      action: { type: 'restart' },
      selector: { ids },
      defaults: { maxParallel: 1 },
    });
    await waitForStatus(stack, op.id, (s) => s.inFlight.length === 1);
    assert.equal((await call(stack.api.url, 'POST', `/v1/operations/${op.id}/cancel`)).status, 200);
    const done = await waitForState(stack, op.id, 'cancelled');
    assert.ok(done.counts.succeeded >= 1);
    const runs = await runsOf(stack.db, op.id);
    assert.ok(runs.filter((r) => r.state === 'skipped').every((r) => r.reason === 'operation_cancelled'));
    assert.equal(runs.filter((r) => r.state === 'pending').length, 0);
    const leases = await stack.db.query('SELECT count(*)::int AS n FROM leases WHERE cluster_id = ANY($1)', [ids]);
    assert.equal(leases.rows[0].n, 0);
    assert.equal((await call(stack.api.url, 'POST', `/v1/operations/${op.id}/cancel`)).status, 409);
  });
});

describe('leases', () => {
  test('when two operations target the same clusters, then no cluster is ever worked on by both at once', async () => {
    const ids = await seedFleet(stack, 4, () => slow(400));
    // onLeased wait (the default): a held cluster looks again every 0.2 s here.
    const body = {
      action: { type: 'restart' },
      selector: { ids },
      defaults: { maxParallel: 2 },
      limits: { leaseCheckSeconds: 0.2 },
    };
    const [a, b] = await Promise.all([startOperation(stack, body), startOperation(stack, body)]);
    await Promise.all([waitForState(stack, a.id, 'completed'), waitForState(stack, b.id, 'completed')]);
    const { rows } = await stack.db.query<{ cluster_id: string; key: string; started_at: Date; finished_at: Date }>(
      `SELECT cluster_id, idempotency_key AS key, started_at, finished_at FROM sim_apply_requests
        WHERE cluster_id = ANY($1) AND status = 'succeeded' ORDER BY cluster_id, started_at`,
      [ids],
    );
    for (const id of ids) {
      const mine = rows.filter((r) => r.cluster_id === id);
      for (let i = 1; i < mine.length; i++) {
        assert.ok(mine[i]!.started_at >= mine[i - 1]!.finished_at, `${id} was applied by two operations at once`);
      }
    }
    const runs = [...(await runsOf(stack.db, a.id)), ...(await runsOf(stack.db, b.id))];
    for (const run of runs.filter((r) => r.state === 'skipped')) assert.match(run.reason ?? '', /^leased_by:/);
  });

  test('when a lease belongs to an operation that no longer runs, then it is taken over', async () => {
    const ids = await seedFleet(stack, 1);
    await stack.db.query(
      `INSERT INTO leases (cluster_id, operation_id, workflow_id) VALUES ($1, 'ghost-op', 'ghost-op')`,
      [ids[0]],
    );
    const op = await startOperation(stack, { action: { type: 'restart' }, selector: { ids } });
    const done = await waitForState(stack, op.id, 'completed');
    assert.equal(done.counts.succeeded, 1);
  });
});

describe('maintenance windows', () => {
  test('when a cluster is outside its window, then it is parked in waiting_window until then (or a cancel)', async () => {
    const days = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'];
    const tomorrow = days[(new Date().getUTCDay() + 2) % 7];
    const ids = await seedFleet(stack, 1, () => ({
      maintenanceWindows: [{ days: [tomorrow], start: '02:00', end: '03:00' }],
    }));
    const op = await startOperation(stack, { action: { type: 'restart' }, selector: { ids } });
    // Parked: counted as waiting, holding no slot (not in flight) and no lease.
    const waiting = await waitForStatus(stack, op.id, (s) => s.counts.waiting === 1);
    assert.equal(waiting.state, 'running');
    assert.deepEqual(waiting.inFlight, []);
    assert.equal((await runsOf(stack.db, op.id))[0]!.state, 'waiting_window');
    const leases = await stack.db.query('SELECT count(*)::int AS n FROM leases WHERE cluster_id = ANY($1)', [ids]);
    assert.equal(leases.rows[0].n, 0);
    assert.equal(await applies(ids), 0);
    await call(stack.api.url, 'POST', `/v1/operations/${op.id}/cancel`);
    await waitForState(stack, op.id, 'cancelled');
    const run = (await runsOf(stack.db, op.id))[0]!;
    assert.equal(run.state, 'skipped');
    assert.equal(run.reason, 'operation_cancelled');
  });
});

describe('setMaxParallel', () => {
  test('when maxParallel is changed on a running operation, then it is accepted; invalid values and finished operations are refused', async () => {
    const ids = await seedFleet(stack, 4, () => slow(300));
    const op = await startOperation(stack, {
      action: { type: 'restart' },
      selector: { ids },
      defaults: { maxParallel: 1 },
    });
    const ok = await call(stack.api.url, 'PATCH', `/v1/operations/${op.id}`, {
      body: { maxParallel: 4 },
      token: TOKENS.operator,
    });
    assert.equal(ok.status, 200, JSON.stringify(ok.body));
    const bad = await call(stack.api.url, 'PATCH', `/v1/operations/${op.id}`, { body: { maxParallel: 0 } });
    assert.equal(bad.status, 400);
    // The workflow's own validator refuses what the API would never send.
    await assert.rejects(
      stack.api.client.workflow
        .getHandle(op.id)
        .executeUpdate(setMaxParallelUpdate, { args: [{ maxParallel: 5000, by: 'script' }] }),
      (err: unknown) => err instanceof WorkflowUpdateFailedError && /1 to 1000/.test(String(err.cause?.message)),
    );
    const viewer = await call(stack.api.url, 'PATCH', `/v1/operations/${op.id}`, {
      body: { maxParallel: 2 },
      token: TOKENS.viewer,
    });
    assert.equal(viewer.status, 403);
    await waitForState(stack, op.id, 'completed');
    const late = await call(stack.api.url, 'PATCH', `/v1/operations/${op.id}`, { body: { maxParallel: 2 } });
    assert.ok(late.status === 409, `expected 409, got ${late.status} ${JSON.stringify(late.body)}`);
  });
});
