// The fleet guard end to end (real worker, Temporal, PostgreSQL, REST over HTTP): a maxInFlight limit holds
// across racing operations, measured by the simulated control plane's own records; a tripped hourly failure
// limit pauses every operation that meets it and resume waits for the limit; freezes hold clusters in
// waiting_guard and release them when they end or are deleted, while in-flight clusters finish.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { maxConcurrentApplies } from '../../db/simulated-control-plane';
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
import { uid } from '../helpers/env';
import { dropLimits, ownKind, putLimit, runsVia, usageOf, watchGuardWaits } from '../helpers/guard';

let stack: EngineStack;
const limits: string[] = [];
const freezes: string[] = [];
before(async () => {
  stack = await startEngine();
});
after(async () => {
  await dropLimits(stack.api, limits).catch(() => undefined);
  for (const name of freezes) await call(stack.api.url, 'DELETE', `/v1/guard/freezes/${name}`);
  await stack.close();
});

const simulated = (config: Record<string, unknown>) => ({ adapter: { type: 'simulated', config } });

/** Starts applying from now on, as the control plane recorded it. */
async function appliesStartedAt(ids: string[]): Promise<Date[]> {
  const { rows } = await stack.db.query<{ started_at: Date }>(
    `SELECT started_at FROM sim_apply_requests WHERE cluster_id = ANY($1) AND status <> 'duplicate' ORDER BY started_at`,
    [ids],
  );
  return rows.map((r) => r.started_at);
}

async function resume(id: string) {
  return call(stack.api.url, 'POST', `/v1/operations/${id}/resume`, { body: { reason: 'checked the fleet' } });
}

describe('maxInFlight across operations', () => {
  test('when two operations race over one limit, then the control plane never has more clusters of its scope applying than the limit', async () => {
    const kind = ownKind();
    const name = uid('inflight');
    limits.push(name);
    await putLimit(stack.api, { name, scope: { kind }, maxInFlight: 2 });
    const ids = await seedFleet(stack, 8, () => ({ kind, ...simulated({ applyMs: 1500 }) }));
    // Overlapping selections: both operations want clusters 2 to 5, and each would run 4 at once.
    const common = { action: { type: 'restart' }, defaults: { maxParallel: 4 }, limits: { guardCheckSeconds: 0.2 } };
    const [a, b] = await Promise.all([
      startOperation(stack, { ...common, selector: { ids: ids.slice(0, 6) } }),
      startOperation(stack, { ...common, selector: { ids: ids.slice(2) } }),
    ]);
    const watch = watchGuardWaits(stack.api, [a.id, b.id]);
    // What GET /v1/guard counts in flight meanwhile, sampled until both operations are done.
    let mostInFlight = 0;
    let finished = false;
    const sampling = (async () => {
      while (!finished) {
        mostInFlight = Math.max(mostInFlight, (await usageOf(stack.api, name)).inFlight);
        await new Promise((r) => setTimeout(r, 100));
      }
    })();
    const [doneA, doneB] = await Promise.all([
      waitForState(stack, a.id, 'completed', 120_000),
      waitForState(stack, b.id, 'completed', 120_000),
    ]).finally(() => (finished = true));
    await sampling;
    const seen = await watch.stop();

    assert.deepEqual([doneA.counts.succeeded, doneB.counts.succeeded], [6, 6]);
    const concurrent = await maxConcurrentApplies(stack.db, ids);
    assert.ok(concurrent <= 2, `the control plane had ${concurrent} applies of the scope at once`);
    assert.equal(concurrent, 2, 'the limit was never reached: the test proves nothing');
    assert.ok(seen.has(name), `no run waited for the limit (seen: ${[...seen].join(', ')})`);
    assert.ok(mostInFlight <= 2, `GET /v1/guard counted ${mostInFlight} in flight`);
    assert.equal((await usageOf(stack.api, name)).inFlight, 0);
    for (const run of [...(await runsVia(stack.api, a.id)), ...(await runsVia(stack.api, b.id))]) {
      assert.deepEqual([run.state, run.guard], ['succeeded', null]);
    }
  });
});

describe('maxFailuresPerHour across operations', () => {
  test('when failures in scope trip the limit, then every operation that meets it pauses guard:<limit> and resume waits until the limit is raised', async () => {
    const kind = ownKind();
    const name = uid('failures');
    limits.push(name);
    await putLimit(stack.api, { name, scope: { kind }, maxFailuresPerHour: 1 });
    // The first two clusters (in id order, the order a wave takes them) fail their apply.
    const ids = await seedFleet(stack, 7, (i) => ({ kind, ...simulated({ applyMs: 50, failApply: i < 2 }) }));
    const a = await startOperation(stack, {
      action: { type: 'restart' },
      selector: { ids: ids.slice(0, 4) },
      defaults: { maxParallel: 1, maxFailures: 10 },
    });
    const pausedA = await waitForState(stack, a.id, 'paused', 60_000);
    assert.equal(pausedA.pauseReason, `guard:${name}`);
    // The second failure tripped the limit: the wave stopped at once, its other clusters never started.
    assert.deepEqual(
      (await runsOf(stack.db, a.id)).map((r) => r.state),
      ['failed', 'failed', 'pending', 'pending'],
    );
    assert.deepEqual(await usageOf(stack.api, name), { limit: name, inFlight: 0, failuresLastHour: 2 });

    const b = await startOperation(stack, {
      action: { type: 'restart' },
      selector: { ids: ids.slice(4) },
      limits: { guardCheckSeconds: 0.2 },
    });
    const pausedB = await waitForState(stack, b.id, 'paused', 60_000);
    assert.equal(pausedB.pauseReason, `guard:${name}`);
    const held = (await runsVia(stack.api, b.id)).filter((r) => r.state === 'waiting_guard');
    assert.deepEqual(
      held.map((r) => r.guard),
      [name],
    );
    assert.equal((await appliesStartedAt(ids.slice(4))).length, 0, 'a cluster in scope started after the trip');

    for (const id of [a.id, b.id]) {
      const refused = await resume(id);
      assert.equal(refused.status, 409, JSON.stringify(refused.body));
      assert.equal(refused.body.error.code, 'guard_exceeded');
      assert.match(refused.body.error.message, new RegExp(`fleet limit '${name}' is exceeded`));
      assert.equal((await waitForState(stack, id, 'paused')).pauseReason, `guard:${name}`);
    }
    const events = await call(stack.api.url, 'GET', `/v1/operations/${a.id}/events`);
    assert.ok(
      events.body.events.some(
        (e: any) =>
          e.action === 'operation.resume' && e.payload.outcome === 'rejected' && e.payload.reason === 'guard_exceeded',
      ),
      'the refused resume is not in the audit trail',
    );

    // Nothing resumes by itself; once the limit allows the failures, a person resumes.
    await putLimit(stack.api, { name, scope: { kind }, maxFailuresPerHour: 5 });
    for (const id of [a.id, b.id]) assert.equal((await resume(id)).status, 200);
    const [doneA, doneB] = await Promise.all([
      waitForState(stack, a.id, 'completed'),
      waitForState(stack, b.id, 'completed'),
    ]);
    assert.deepEqual([doneA.counts.succeeded, doneA.counts.failed], [2, 2]);
    assert.deepEqual([doneB.counts.succeeded, doneB.counts.failed], [3, 0]);
  });
});

describe('freezes', () => {
  test('when a freeze covers an operation, then its clusters wait freeze:<name>, its status says frozen, and they start when the freeze ends', async () => {
    const kind = ownKind();
    const name = uid('freeze');
    freezes.push(name);
    const ids = await seedFleet(stack, 3, () => ({ kind, ...simulated({ applyMs: 100 }) }));
    const to = new Date(Date.now() + 6000).toISOString();
    const frozen = await call(stack.api.url, 'POST', '/v1/guard/freezes', {
      body: { name, from: new Date(Date.now() - 1000).toISOString(), to, scope: { kind }, reason: 'release week' },
    });
    assert.equal(frozen.status, 201, JSON.stringify(frozen.body));
    assert.equal(frozen.body.state, 'active');
    // The check interval is far longer than the freeze: the clusters are released by its end, not by a check.
    const op = await startOperation(stack, {
      action: { type: 'restart' },
      selector: { ids },
      defaults: { maxParallel: 3 },
      limits: { guardCheckSeconds: 600 },
    });
    const held = await waitForStatus(stack, op.id, (s) => s.counts.waiting === 3 && s.frozen !== undefined);
    assert.deepEqual(held.frozen, { freezes: [name], until: new Date(to).toISOString() });
    assert.equal(held.state, 'running');
    for (const run of await runsVia(stack.api, op.id)) {
      assert.deepEqual([run.state, run.guard], ['waiting_guard', `freeze:${name}`]);
    }

    const done = await waitForState(stack, op.id, 'completed', 60_000);
    assert.equal(done.counts.succeeded, 3);
    assert.equal(done.frozen, undefined);
    for (const started of await appliesStartedAt(ids)) {
      assert.ok(started.getTime() >= Date.parse(to), `an apply started at ${started.toISOString()}, before ${to}`);
    }
  });

  test('when a freeze begins mid-wave and is deleted, then in-flight clusters finish, the rest wait, and they start after the delete', async () => {
    const kind = ownKind();
    const name = uid('freeze');
    const ids = await seedFleet(stack, 4, () => ({ kind, ...simulated({ applyMs: 2500 }) }));
    const op = await startOperation(stack, {
      action: { type: 'restart' },
      selector: { ids },
      defaults: { maxParallel: 2 },
      limits: { guardCheckSeconds: 0.3 },
    });
    await waitForStatus(stack, op.id, (s) => s.inFlight.length === 2);
    const created = await call(stack.api.url, 'POST', '/v1/guard/freezes', {
      body: {
        name,
        from: new Date().toISOString(),
        to: new Date(Date.now() + 3_600_000).toISOString(),
        scope: { kind },
        reason: 'incident',
      },
    });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    freezes.push(name);

    const held = await waitForStatus(stack, op.id, (s) => s.frozen !== undefined && s.counts.waiting === 2, 60_000);
    assert.deepEqual([held.counts.succeeded, held.counts.waiting, held.frozen.freezes], [2, 2, [name]]);
    const waiting = (await runsVia(stack.api, op.id)).filter((r) => r.state === 'waiting_guard');
    assert.deepEqual(
      waiting.map((r) => r.guard),
      [`freeze:${name}`, `freeze:${name}`],
    );

    const deleted = await call(stack.api.url, 'DELETE', `/v1/guard/freezes/${name}`);
    assert.equal(deleted.status, 204);
    const done = await waitForState(stack, op.id, 'completed', 60_000);
    assert.deepEqual([done.counts.succeeded, done.counts.waiting], [4, 0]);
    assert.equal(done.frozen, undefined);
  });
});
