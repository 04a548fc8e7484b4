// Shadow health rules end to end through the REST API: monitor.shadowRequire is evaluated on every check,
// reported per wave and per run, and never fails a cluster.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { call } from '../helpers/api';
import {
  FAST_MONITOR,
  seedFleet,
  startEngine,
  startOperation,
  waitForState,
  type EngineStack,
} from '../helpers/engine';

let stack: EngineStack;
before(async () => {
  stack = await startEngine();
});
after(async () => {
  await stack?.close();
});

const sim = (metrics: Record<string, number>) => ({
  adapter: { type: 'simulated', config: { applyMs: 20, metrics } },
});

const LAG = { metric: 'consumerLag', op: '<=', value: 100 };
const DISK = { metric: 'diskFreePercent', op: '>=', value: 20 };

void describe('shadow health rules', () => {
  test('when clusters break shadow rules, then every one succeeds and each wave counts who would have failed', async () => {
    const lags = [0, 500, 10, 900, 0, 5];
    const ids = await seedFleet(stack, lags.length, (i) => sim({ consumerLag: lags[i]!, diskFreePercent: 50 }));
    const op = await startOperation(stack, {
      action: { type: 'restart' },
      selector: { ids },
      waves: [
        { name: 'first', selector: { ids: ids.slice(0, 4) }, maxParallel: 4 },
        { name: 'second', selector: { ids: ids.slice(4) }, maxParallel: 2 },
      ],
      monitor: { ...FAST_MONITOR, stableChecks: 2, shadowRequire: [LAG, DISK] },
    });
    const done = await waitForState(stack, op.id, 'completed');
    assert.equal(done.counts.succeeded, lags.length);
    assert.equal(done.counts.failed, 0);
    const shadowOf = (n: number) => done.waves.find((w: { number: number }) => w.number === n)?.shadow;
    assert.deepEqual(shadowOf(1), [
      { rule: 'consumerLag <= 100', wouldFail: 2, evaluated: 4 },
      { rule: 'diskFreePercent >= 20', wouldFail: 0, evaluated: 4 },
    ]);
    assert.deepEqual(shadowOf(2), [
      { rule: 'consumerLag <= 100', wouldFail: 0, evaluated: 2 },
      { rule: 'diskFreePercent >= 20', wouldFail: 0, evaluated: 2 },
    ]);
    const runs = await call(stack.api.url, 'GET', `/v1/operations/${op.id}/clusters?limit=100`);
    assert.equal(runs.status, 200);
    const shadowFailed = new Map(
      (runs.body.runs as { clusterId: string; shadowFailed: string[] | null }[]).map((r) => [
        r.clusterId,
        r.shadowFailed,
      ]),
    );
    assert.deepEqual(
      ids.map((id) => shadowFailed.get(id)),
      lags.map((lag) => (lag > 100 ? ['consumerLag <= 100'] : [])),
    );
  });

  test('when a cluster fails an enforced rule, then its shadow rules are still reported', async () => {
    const ids = await seedFleet(stack, 2, (i) => sim({ consumerLag: i === 0 ? 5000 : 0 }));
    const op = await startOperation(stack, {
      action: { type: 'restart' },
      selector: { ids },
      defaults: { maxParallel: 2, maxFailures: 5 },
      monitor: { ...FAST_MONITOR, timeoutSeconds: 1, require: [LAG], shadowRequire: [DISK] },
    });
    const done = await waitForState(stack, op.id, 'completed');
    assert.deepEqual([done.counts.succeeded, done.counts.failed], [1, 1]);
    // diskFreePercent is reported by neither cluster: a missing metric breaks the rule.
    assert.deepEqual(done.waves[0].shadow, [{ rule: 'diskFreePercent >= 20', wouldFail: 2, evaluated: 2 }]);
  });

  test('when an operation names no shadow rules, then its waves report none and its runs evaluated none', async () => {
    const ids = await seedFleet(stack, 1, () => sim({ consumerLag: 0 }));
    const op = await startOperation(stack, { action: { type: 'restart' }, selector: { ids }, monitor: FAST_MONITOR });
    const done = await waitForState(stack, op.id, 'completed');
    assert.deepEqual(done.waves[0].shadow, []);
    const runs = await call(stack.api.url, 'GET', `/v1/operations/${op.id}/clusters`);
    assert.equal(runs.body.runs[0].shadowFailed, null);
  });

  test('when a shadow rule is malformed, then the start is refused with 400 and nothing starts', async () => {
    const ids = await seedFleet(stack, 1, () => sim({}));
    const res = await call(stack.api.url, 'POST', '/v1/operations', {
      body: {
        name: 'bad-shadow-rule',
        action: { type: 'restart' },
        selector: { ids },
        monitor: { shadowRequire: [{ metric: 'consumerLag', op: '~', value: 1 }] },
      },
    });
    assert.equal(res.status, 400);
    assert.equal(res.body.error.code, 'validation_failed');
    assert.match(JSON.stringify(res.body.error), /shadowRequire/);
    const listed = await stack.db.query(`SELECT count(*)::int AS n FROM cluster_runs WHERE cluster_id = $1`, [ids[0]]);
    assert.equal(listed.rows[0].n, 0);
  });
});
