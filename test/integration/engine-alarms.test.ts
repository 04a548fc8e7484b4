// Alarms stop the rollout, end to end: a Prometheus-format source and a plain HTTP one on 127.0.0.1, the
// real worker and Temporal, REST over HTTP. A firing alarm pauses with alarm:<name>; resume answers 409
// alarm_firing until it clears; a source that cannot be read fires after failAfterErrors (fail safe).
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startDemoSignals, type DemoSignals } from '../../scripts/lib/demo-signals';
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
let signals: DemoSignals;
before(async () => {
  [stack, signals] = await Promise.all([startEngine(), startDemoSignals()]);
});
after(async () => {
  await Promise.all([stack.close(), signals.close()]);
});

const sim = (applyMs: number) => ({ adapter: { type: 'simulated', config: { applyMs } } });
const resume = (id: string) => call(stack.api.url, 'POST', `/v1/operations/${id}/resume`, { token: TOKENS.operator });

describe('alarms', () => {
  test('when a Prometheus alarm fires mid-rollout, then the operation pauses, resume is refused until it clears, and it completes after', async () => {
    const metric = `kafka_errors_${Date.now()}`;
    signals.setMetric(metric, 0);
    const ids = await seedFleet(stack, 4, () => sim(400));
    const op = await startOperation(stack, {
      action: { type: 'restart' },
      selector: { ids },
      defaults: { maxParallel: 1 },
      alarms: [
        { name: 'fleet-errors', type: 'prometheus', url: signals.url, query: metric, fireWhen: { op: '>', value: 0 } },
      ],
      alarmIntervalSeconds: 0.3,
    });
    await waitForStatus(stack, op.id, (s) => s.counts.succeeded >= 1);
    signals.setMetric(metric, 5);
    const paused = await waitForState(stack, op.id, 'paused');
    assert.equal(paused.pauseReason, 'alarm:fleet-errors');
    assert.equal(paused.alarms.length, 1);
    assert.equal(paused.alarms[0].name, 'fleet-errors');
    assert.equal(paused.alarms[0].firing, true);
    assert.match(paused.alarms[0].message, /5/);
    assert.ok(Date.parse(paused.alarms[0].checkedAt) > 0);

    // In-flight clusters finish; none starts while paused. A cluster whose select ran when the pause
    // came is still pending in the counts while it goes on to apply: settled means nothing running and
    // the succeeded count unchanged over a second.
    let settled = await waitForStatus(stack, op.id, (s) => s.counts.running === 0);
    for (;;) {
      await new Promise((r) => setTimeout(r, 1000));
      const again = await waitForStatus(stack, op.id, (s) => s.counts.running === 0);
      if (again.counts.succeeded === settled.counts.succeeded) break;
      settled = again;
    }
    await new Promise((r) => setTimeout(r, 1000));
    const later = await waitForStatus(stack, op.id, () => true);
    assert.equal(later.counts.succeeded, settled.counts.succeeded, 'a cluster finished while the alarm fired');
    assert.ok(later.counts.pending > 0);

    const refused = await resume(op.id);
    assert.equal(refused.status, 409);
    assert.equal(refused.body.error.code, 'alarm_firing');
    assert.match(refused.body.error.message, /fleet-errors/);
    assert.equal((await waitForStatus(stack, op.id, () => true)).state, 'paused');

    signals.setMetric(metric, 0);
    const cleared = await waitForStatus(stack, op.id, (s) => s.alarms[0].firing === false);
    assert.equal(cleared.state, 'paused', 'a cleared alarm leaves resuming to the operator');
    const resumed = await resume(op.id);
    assert.equal(resumed.status, 200, JSON.stringify(resumed.body));
    const done = await waitForState(stack, op.id, 'completed');
    assert.equal(done.counts.succeeded, 4);
    assert.ok(signals.requests.some((r) => r.path.startsWith(`/api/v1/query?query=${metric}`)));
  });

  test('when an alarm fires before the first wave, then no cluster is touched and cancel ends it', async () => {
    const name = `slo-${Date.now()}`;
    signals.setAlarm(name, { firing: true, message: 'error budget burning' });
    const ids = await seedFleet(stack, 2, () => sim(50));
    const op = await startOperation(stack, {
      action: { type: 'restart' },
      selector: { ids },
      alarms: [{ name: 'slo', type: 'http', url: `${signals.url}/alarms/${name}` }],
    });
    const paused = await waitForState(stack, op.id, 'paused');
    assert.equal(paused.pauseReason, 'alarm:slo');
    assert.equal(paused.alarms[0].message, 'error budget burning');
    assert.equal(paused.waves[0].state, 'pending');
    const runs = await runsOf(stack.db, op.id);
    assert.ok(runs.every((r) => r.state === 'pending'));
    const cancelled = await call(stack.api.url, 'POST', `/v1/operations/${op.id}/cancel`, { token: TOKENS.operator });
    assert.equal(cancelled.status, 200);
    await waitForState(stack, op.id, 'cancelled');
    const applied = await stack.db.query(
      'SELECT count(*)::int AS n FROM sim_apply_requests WHERE cluster_id = ANY($1)',
      [ids],
    );
    assert.equal(applied.rows[0].n, 0);
  });

  test('when an alarm source cannot be read failAfterErrors times in a row, then the alarm fires (fail safe) with the error', async () => {
    const ids = await seedFleet(stack, 3, () => sim(1500));
    const op = await startOperation(stack, {
      action: { type: 'restart' },
      selector: { ids },
      // Nothing listens on port 9 of this host: every evaluation fails.
      alarms: [{ name: 'down', type: 'http', url: 'http://127.0.0.1:9/alarm', failAfterErrors: 2, timeoutMs: 500 }],
      alarmIntervalSeconds: 0.3,
    });
    const paused = await waitForState(stack, op.id, 'paused');
    assert.equal(paused.pauseReason, 'alarm:down');
    assert.equal(paused.alarms[0].firing, true);
    assert.match(paused.alarms[0].message, /fail safe/);
    // It fired on the second failed evaluation in a row, not on the first: how far the
    // wave got before that depends on the machine's speed, so only the count is checked.
    assert.ok(paused.alarms[0].errorsInARow >= 2, JSON.stringify(paused.alarms[0]));
    await call(stack.api.url, 'POST', `/v1/operations/${op.id}/cancel`, { token: TOKENS.operator });
    await waitForState(stack, op.id, 'cancelled');
  });

  test('when the request names a bad alarm, then it is a 400 and nothing starts', async () => {
    const ids = await seedFleet(stack, 1);
    const res = await call(stack.api.url, 'POST', '/v1/operations', {
      body: {
        name: 'bad-alarm',
        action: { type: 'restart' },
        selector: { ids },
        alarms: [{ name: 'p', type: 'prometheus', url: 'ftp://prom' }],
      },
    });
    assert.equal(res.status, 400);
    assert.equal(res.body.error.code, 'validation_failed');
    const paths = res.body.error.details.map((d: { path: string }) => d.path);
    assert.ok(paths.includes('alarms.0.url') && paths.includes('alarms.0.query'), paths.join(', '));
  });
});
