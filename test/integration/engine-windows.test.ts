// Maintenance windows end to end, with windows computed from the current minute (UTC): a cluster outside
// its window is parked (waiting_window, windowOpensAt) without a slot or a lease, applies once it opens,
// obeys pause and cancel, parks again when the window closes during apply retries, and misses a deadline.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
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

const DAYS = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'] as const;
const MINUTE = 60_000;
const hhmm = (at: Date) => at.toISOString().slice(11, 16);
const minuteOf = (at: number) => Math.floor(at / MINUTE) * MINUTE;

/** A window opening at `from` (a minute boundary) for `minutes`, on that UTC weekday only. */
function windowAt(from: number, minutes: number) {
  const start = new Date(from);
  return { days: [DAYS[start.getUTCDay()]!], start: hhmm(start), end: hhmm(new Date(from + minutes * MINUTE)) };
}

/** Waits until the current second of the minute is below `second`, so a window of this minute has time left. */
async function earlyInTheMinute(second: number): Promise<void> {
  while (new Date().getUTCSeconds() >= second) await new Promise((r) => setTimeout(r, 250));
}

const applyRequests = async (id: string) =>
  (
    await stack.db.query<{ status: string; idempotency_key: string; started_at: Date }>(
      'SELECT status, idempotency_key, started_at FROM sim_apply_requests WHERE cluster_id = $1 ORDER BY started_at',
      [id],
    )
  ).rows;
const leaseOf = async (id: string) =>
  (await stack.db.query('SELECT operation_id FROM leases WHERE cluster_id = $1', [id])).rows[0]?.operation_id ?? null;

async function runOf(operationId: string, clusterId: string): Promise<any> {
  const res = await call(stack.api.url, 'GET', `/v1/operations/${operationId}/clusters`);
  assert.equal(res.status, 200, JSON.stringify(res.body));
  return res.body.runs.find((r: any) => r.clusterId === clusterId);
}

describe('maintenance windows', () => {
  test('when the window is open now, then the cluster is applied at once and shows no windowOpensAt', async () => {
    const ids = await seedFleet(stack, 1, () => ({ maintenanceWindows: [windowAt(minuteOf(Date.now()), 30)] }));
    const op = await startOperation(stack, { action: { type: 'restart' }, selector: { ids } });
    const done = await waitForState(stack, op.id, 'completed');
    assert.equal(done.counts.succeeded, 1);
    assert.equal(done.counts.waiting, 0);
    const run = await runOf(op.id, ids[0]!);
    assert.equal(run.state, 'succeeded');
    assert.equal(run.windowOpensAt, null);
    assert.equal(run.heldBy, null);
  });

  test('when the window opens in a minute, then the cluster is parked without a slot or lease, held by a pause, and applied after resume', async () => {
    // At least 20 s of parking: long enough to pause before the window opens.
    const now = Date.now();
    const opensAt = minuteOf(now) + (new Date(now).getUTCSeconds() < 40 ? 1 : 2) * MINUTE;
    const ids = await seedFleet(stack, 2, (i) => ({
      maintenanceWindows: i === 0 ? [windowAt(opensAt, 10)] : [],
    }));
    const [parked, free] = [ids[0]!, ids[1]!];
    const op = await startOperation(stack, {
      action: { type: 'restart' },
      selector: { ids },
      defaults: { maxParallel: 1 },
    });
    // With one slot, the other cluster finishes while the first waits: a parked cluster holds no slot.
    const waiting = await waitForStatus(stack, op.id, (s) => s.counts.waiting === 1 && s.counts.succeeded === 1);
    assert.equal(waiting.state, 'running');
    assert.deepEqual(waiting.inFlight, [], 'a parked cluster is not in flight');
    assert.equal(waiting.counts.running, 0);
    const run = await runOf(op.id, parked);
    assert.equal(run.state, 'waiting_window');
    assert.equal(run.windowOpensAt, new Date(opensAt).toISOString());
    assert.equal(run.heldBy, null);
    assert.equal(await leaseOf(parked), null, 'a parked cluster holds no lease');
    const detail = await call(stack.api.url, 'GET', `/v1/clusters/${parked}`);
    assert.equal(detail.body.runs[0].windowOpensAt, new Date(opensAt).toISOString());
    assert.equal((await runOf(op.id, free)).state, 'succeeded');

    const pause = await call(stack.api.url, 'POST', `/v1/operations/${op.id}/pause`, { token: TOKENS.operator });
    assert.equal(pause.status, 200, JSON.stringify(pause.body));
    await waitForState(stack, op.id, 'paused');
    while (Date.now() < opensAt + 3000) await new Promise((r) => setTimeout(r, 250));
    assert.deepEqual(await applyRequests(parked), [], 'a parked cluster was applied while paused');
    assert.equal((await runOf(op.id, parked)).state, 'waiting_window');

    assert.equal((await call(stack.api.url, 'POST', `/v1/operations/${op.id}/resume`)).status, 200);
    const done = await waitForState(stack, op.id, 'completed');
    assert.deepEqual([done.counts.succeeded, done.counts.waiting], [2, 0]);
    const [request] = await applyRequests(parked);
    assert.ok(request!.started_at.getTime() >= opensAt, 'applied before the window opened');
    const after = await runOf(op.id, parked);
    assert.equal(after.state, 'succeeded');
    assert.equal(after.windowOpensAt, null);
  });

  test('when the window closes while apply retries, then the cluster parks until the next window instead of failing', async () => {
    // The window is this minute only; every apply attempt fails transiently, so the retry after the minute
    // ends finds it closed. Started early enough in the minute that select runs inside it.
    await earlyInTheMinute(40);
    const thisMinute = minuteOf(Date.now());
    const ids = await seedFleet(stack, 1, () => ({
      maintenanceWindows: [windowAt(thisMinute, 1)],
      adapter: { type: 'simulated', config: { applyMs: 10, failApplyTimes: 1000 } },
    }));
    const op = await startOperation(stack, {
      action: { type: 'restart' },
      selector: { ids },
      defaults: { maxFailures: 0 },
      rollbackOnFailure: true,
    });
    const parked = await waitForStatus(stack, op.id, (s) => s.counts.waiting === 1, 120_000);
    assert.equal(parked.state, 'running');
    assert.equal(parked.counts.failed + parked.counts.rolled_back, 0, 'a closed window is no failure');
    const run = await runOf(op.id, ids[0]!);
    assert.equal(run.state, 'waiting_window');
    // The next opening of a weekly one-minute window: the same minute a week later.
    assert.equal(run.windowOpensAt, new Date(thisMinute + 7 * 24 * 60 * MINUTE).toISOString());
    assert.match(run.lastError, /simulated control plane unavailable/);
    assert.equal(run.error, null);
    assert.equal(await leaseOf(ids[0]!), null);
    const requests = await applyRequests(ids[0]!);
    assert.ok(requests.length >= 1);
    assert.ok(requests.every((r) => r.status === 'failed' && r.started_at.getTime() < thisMinute + MINUTE));
    assert.equal(new Set(requests.map((r) => r.idempotency_key)).size, 1);

    await call(stack.api.url, 'POST', `/v1/operations/${op.id}/cancel`);
    await waitForState(stack, op.id, 'cancelled');
    const [ended] = await runsOf(stack.db, op.id);
    assert.deepEqual([ended!.state, ended!.reason], ['skipped', 'operation_cancelled']);
  });

  test('when cancelled while a cluster is parked, then the operation ends at once and the cluster is skipped, never leased', async () => {
    const ids = await seedFleet(stack, 1, () => ({
      maintenanceWindows: [windowAt(minuteOf(Date.now()) + 2 * 24 * 60 * MINUTE, 60)],
    }));
    const op = await startOperation(stack, { action: { type: 'restart' }, selector: { ids } });
    await waitForStatus(stack, op.id, (s) => s.counts.waiting === 1);
    assert.equal(await leaseOf(ids[0]!), null);
    assert.equal((await call(stack.api.url, 'POST', `/v1/operations/${op.id}/cancel`)).status, 200);
    const done = await waitForState(stack, op.id, 'cancelled');
    assert.deepEqual([done.counts.skipped, done.counts.waiting], [1, 0]);
    const run = await runOf(op.id, ids[0]!);
    assert.deepEqual([run.state, run.reason, run.windowOpensAt], ['skipped', 'operation_cancelled', null]);
    assert.deepEqual(await applyRequests(ids[0]!), []);
  });
});

describe('the deadline', () => {
  test('when the next window opens after the deadline, or the deadline has passed, then clusters end window_missed', async () => {
    const ids = await seedFleet(stack, 2, (i) => ({
      maintenanceWindows: i === 0 ? [windowAt(minuteOf(Date.now()) + 2 * 24 * 60 * MINUTE, 60)] : [],
    }));
    const inAnHour = new Date(Date.now() + 60 * MINUTE).toISOString();
    const op = await startOperation(stack, { action: { type: 'restart' }, selector: { ids }, deadline: inAnHour });
    const done = await waitForState(stack, op.id, 'completed');
    assert.deepEqual([done.counts.succeeded, done.counts.skipped], [1, 1]);
    const missed = await runOf(op.id, ids[0]!);
    assert.deepEqual([missed.state, missed.reason], ['skipped', 'window_missed']);
    assert.deepEqual(await applyRequests(ids[0]!), []);

    // A deadline already past: no cluster starts.
    const late = await startOperation(stack, {
      action: { type: 'restart' },
      selector: { ids },
      deadline: new Date(Date.now() - MINUTE).toISOString(),
    });
    const lateDone = await waitForState(stack, late.id, 'completed');
    assert.equal(lateDone.counts.skipped, 2);
    const runs = await runsOf(stack.db, late.id);
    assert.deepEqual(
      runs.map((r) => [r.state, r.reason]),
      [
        ['skipped', 'window_missed'],
        ['skipped', 'window_missed'],
      ],
    );
  });
});
