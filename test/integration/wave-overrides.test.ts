// Wave overrides over real HTTP: what a dry run shows, a gated policy canary in a running operation,
// refused names that start nothing, and idempotency keys that still match without overrides.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { call } from '../helpers/api';
import { uid } from '../helpers/env';
import {
  FAST_MONITOR,
  runsOf,
  seedFleet,
  startOperation,
  startEngine,
  waitForState,
  type EngineStack,
} from '../helpers/engine';

let stack: EngineStack;
before(async () => {
  stack = await startEngine();
});
after(async () => {
  await stack.close();
});

/** One internal and four customer clusters of one cloud: by-cloud with a 25 % canary plans 1, 1 and 3. */
const policyFleet = () =>
  seedFleet(stack, 5, (i) => ({ cloud: 'aws', environment: i === 0 ? 'internal' : 'customer' }));

const restartByCloud = (ids: string[], extra: Record<string, unknown> = {}) => ({
  name: uid('op'),
  action: { type: 'restart' },
  selector: { ids },
  policy: { type: 'by-cloud', order: ['aws'], canaryPercent: 25 },
  monitor: FAST_MONITOR,
  ...extra,
});

const knobs = (wave: {
  name: string;
  maxParallel: number;
  maxFailures: number;
  bakeSeconds: number;
  approval: string;
}) => {
  const { name, maxParallel, maxFailures, bakeSeconds, approval } = wave;
  return { name, maxParallel, maxFailures, bakeSeconds, approval };
};

/** The ids GET /v1/operations?name= lists, once Temporal's visibility lists any (it lags the start a little). */
async function listedByName(name: string, timeoutMs = 30_000): Promise<string[]> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const page = await call(stack.api.url, 'GET', `/v1/operations?name=${name}`);
    assert.equal(page.status, 200, JSON.stringify(page.body));
    if (page.body.operations.length > 0) return page.body.operations.map((o: { id: string }) => o.id);
    assert.ok(Date.now() < deadline, `no operation named ${name} was listed`);
    await new Promise((r) => setTimeout(r, 150));
  }
}

const operationRows = async (name: string) =>
  (await stack.db.query<{ id: string }>('SELECT id FROM operations WHERE name = $1', [name])).rows.map((r) => r.id);

describe('waveOverrides', () => {
  test('when a by-cloud request is planned with dryRun, then the plan shows each overridden knob on its wave only', async () => {
    const ids = await policyFleet();
    const body = restartByCloud(ids, {
      defaults: { maxParallel: 2 },
      waveOverrides: {
        'aws-canary': { approval: 'manual', bakeSeconds: 600 },
        aws: { maxParallel: 3, maxFailures: 1 },
      },
    });
    const res = await call(stack.api.url, 'POST', '/v1/operations?dryRun=true', { body });
    assert.equal(res.status, 200, JSON.stringify(res.body));
    assert.deepEqual(res.body.plan.waves.map(knobs), [
      { name: 'internal', maxParallel: 2, maxFailures: 0, bakeSeconds: 0, approval: 'none' },
      { name: 'aws-canary', maxParallel: 2, maxFailures: 0, bakeSeconds: 600, approval: 'manual' },
      { name: 'aws', maxParallel: 3, maxFailures: 1, bakeSeconds: 0, approval: 'none' },
    ]);
    assert.deepEqual(
      res.body.plan.waves.map((w: { clusterIds: string[] }) => w.clusterIds.length),
      [1, 1, 3],
    );
    assert.deepEqual(await operationRows(body.name), []);
  });

  test('when the policy canary is overridden with a manual approval, then the operation waits at the canary after the internal wave ran ungated', async () => {
    const ids = await policyFleet();
    const op = await startOperation(
      stack,
      restartByCloud(ids, { waveOverrides: { 'aws-canary': { approval: 'manual' } } }),
    );
    assert.deepEqual(
      op.plan.waves.map((w: { name: string; approval: string }) => [w.name, w.approval]),
      [
        ['internal', 'none'],
        ['aws-canary', 'manual'],
        ['aws', 'none'],
      ],
    );

    const waiting = await waitForState(stack, op.id, 'awaiting_approval');
    assert.deepEqual(waiting.pendingApproval, { wave: 2 });
    assert.deepEqual(
      waiting.waves.map((w: { name: string; state: string; approval: string }) => [w.name, w.state, w.approval]),
      [
        ['internal', 'completed', 'none'],
        ['aws-canary', 'awaiting_approval', 'manual'],
        ['aws', 'pending', 'none'],
      ],
    );
    assert.equal(waiting.waves[0].approvedBy, null);
    const runs = await runsOf(stack.db, op.id);
    assert.deepEqual(
      runs.filter((r) => r.wave === 1).map((r) => [r.cluster_id, r.state]),
      [[ids[0], 'succeeded']],
    );
    assert.deepEqual(
      runs.filter((r) => r.wave > 1).map((r) => r.state),
      ['pending', 'pending', 'pending', 'pending'],
    );

    const cancel = await call(stack.api.url, 'POST', `/v1/operations/${op.id}/cancel`);
    assert.ok(cancel.status === 200 || cancel.status === 202, JSON.stringify(cancel.body));
    const done = await waitForState(stack, op.id, 'cancelled');
    assert.equal(done.waves[1].approvedBy, null);
  });

  test('when an override names a wave the request cannot have, then it is a 400 listing its waves and nothing starts', async () => {
    const ids = await policyFleet();
    const valid = restartByCloud(ids);
    const body = { ...valid, waveOverrides: { 'gcp-canary': { approval: 'manual' } } };
    const refused = await call(stack.api.url, 'POST', '/v1/operations', { body });
    assert.equal(refused.status, 400, JSON.stringify(refused.body));
    assert.equal(refused.body.error.code, 'validation_failed');
    assert.deepEqual(refused.body.error.details, [
      {
        path: 'waveOverrides.gcp-canary',
        message: "no wave is named 'gcp-canary'; this request's waves are: internal, aws-canary, aws, remainder",
        reason: 'unknown_wave',
        waves: ['internal', 'aws-canary', 'aws', 'remainder'],
      },
    ]);
    const dryRun = await call(stack.api.url, 'POST', '/v1/operations?dryRun=true', { body });
    assert.equal(dryRun.status, 400);
    assert.deepEqual(await operationRows(body.name), []);

    // The same name started right: once Temporal lists it, the refused request would be listed too, had it started a workflow.
    const op = await startOperation(stack, valid);
    const listed = await listedByName(body.name);
    assert.deepEqual(listed, [op.id]);
    assert.deepEqual(await operationRows(body.name), [op.id]);
    await waitForState(stack, op.id, 'completed');
  });

  test('when a request with a key is repeated with empty overrides, then it is the same operation; with an override, a conflict', async () => {
    const ids = await policyFleet();
    const body = restartByCloud(ids, { requestId: uid('req') });
    const first = await call(stack.api.url, 'POST', '/v1/operations', { body });
    assert.equal(first.status, 201, JSON.stringify(first.body));
    const again = await call(stack.api.url, 'POST', '/v1/operations', { body: { ...body, waveOverrides: {} } });
    assert.equal(again.status, 200, JSON.stringify(again.body));
    assert.equal(again.body.id, first.body.id);
    const changed = await call(stack.api.url, 'POST', '/v1/operations', {
      body: { ...body, waveOverrides: { aws: { maxParallel: 2 } } },
    });
    assert.equal(changed.status, 409, JSON.stringify(changed.body));
    assert.equal(changed.body.error.code, 'idempotency_conflict');
    await waitForState(stack, first.body.id, 'completed');
  });
});
