// Alarms pause the operation and hold resume while they fire; a cluster whose state cannot be read fails
// and spends the budget. Stub activities (no database), so the workflow logic is all that is tested.
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, test } from 'node:test';
import type { AlarmSpec } from '../../domain/alarms';
import { cancelSignal, resumeSignal, wavePauseSignal } from '../../workflows/messages';
import { clusters, eventually, SIDE_BY_SIDE, workflowTestEnv } from './harness';
import { recordHistories } from './record-history';

const env = workflowTestEnv();

const SLO: AlarmSpec = {
  name: 'slo',
  type: 'http',
  url: 'http://127.0.0.1:9/alarm',
  failAfterErrors: 3,
  timeoutMs: 1000,
};

describe('alarms', SIDE_BY_SIDE, () => {
  test('when an alarm fires mid-wave, then the operation pauses with alarm:<name>, in-flight clusters finish and none starts', async () => {
    const ids = clusters('a', 6);
    await env.run(
      { waves: [{ clusters: ids, maxParallel: 2 }], alarms: [SLO], stubs: { holdApplies: true } },
      async (op) => {
        await eventually(() => op.stubs.applies.keys.length === 2, 'two applies in flight');
        op.stubs.firingAlarms.set('slo', 'error budget burning');
        const paused = await op.waitForStatus((s) => s.state === 'paused', 'the alarm to pause the operation');
        assert.equal(paused.pauseReason, 'alarm:slo');
        assert.deepEqual(paused.alarmsFiring, [{ name: 'slo', message: 'error budget burning' }]);
        await op.waitForRelay(wavePauseSignal);

        op.stubs.applies.open();
        await eventually(() => op.stubs.outcomes().size === 2, 'the in-flight clusters to finish');
        await sleep(300);
        assert.equal(op.stubs.appliedIds().length, 2, 'a cluster started while the alarm fired');

        // Resume is refused while the alarm fires.
        await op.handle.signal(resumeSignal, { by: 'dave' });
        await sleep(300);
        assert.equal((await op.status()).state, 'paused');

        op.stubs.firingAlarms.delete('slo');
        const cleared = await op.waitForStatus((s) => (s.alarmsFiring ?? []).length === 0, 'the alarm to clear');
        // A cleared alarm leaves the pause to the operator.
        assert.equal(cleared.state, 'paused');
        await op.handle.signal(resumeSignal, { by: 'dave' });
        const done = await op.result();
        assert.equal(done.state, 'completed');
        assert.deepEqual(op.stubs.appliedIds().sort(), ids);
        await recordHistories(op.client, op.id, [1], 'alarm-pause');
      },
    );
  });

  test('when an alarm fires before a wave, then the wave does not start until it clears and the operator resumes', async () => {
    await env.run(
      {
        waves: [{ clusters: ['a'] }, { clusters: ['b'] }],
        alarms: [SLO],
        alarmIntervalSeconds: 0.1,
        // Set before the workflow starts: set from the test body, a busy machine could let the first check run first.
        stubs: { firingAlarms: { slo: 'firing from the start' } },
      },
      async (op) => {
        const paused = await op.waitForStatus((s) => s.state === 'paused', 'the check before wave 1');
        assert.equal(paused.pauseReason, 'alarm:slo');
        assert.equal(paused.waves[0]!.state, 'pending');
        assert.deepEqual(op.stubs.appliedIds(), []);
        const checks = op.stubs.callsOf('watchAlarms');
        assert.ok(
          checks.some((c) => c.once === true),
          'no check before the wave',
        );

        op.stubs.firingAlarms.delete('slo');
        await op.waitForStatus((s) => (s.alarmsFiring ?? []).length === 0, 'the alarm to clear');
        await op.handle.signal(resumeSignal, { by: 'dave' });
        assert.equal((await op.result()).state, 'completed');
        assert.deepEqual(op.stubs.appliedIds(), ['a', 'b']);
      },
    );
  });

  test('when cancelled while an alarm holds the operation, then it ends cancelled and the watch stops', async () => {
    await env.run(
      { waves: [{ clusters: ['a'] }], alarms: [SLO], stubs: { firingAlarms: { slo: 'firing' } } },
      async (op) => {
        await op.waitForStatus((s) => s.state === 'paused', 'the alarm to hold wave 1');
        await op.handle.signal(cancelSignal, { by: 'dave' });
        const done = await op.result();
        assert.equal(done.state, 'cancelled');
        assert.deepEqual(op.stubs.appliedIds(), []);
      },
    );
  });

  test('when an operation has no alarms, then it never evaluates any', async () => {
    await env.run({ waves: [{ clusters: ['a'] }] }, async (op) => {
      assert.equal((await op.result()).state, 'completed');
      assert.equal(op.stubs.callsOf('watchAlarms').length, 0);
    });
  });
});

describe('clusters whose state cannot be read', SIDE_BY_SIDE, () => {
  test('when select ends past the deadline, then the cluster fails with its error, is not rolled back and spends the budget', async () => {
    const error =
      "deadline_exceeded: reading the cluster's state did not succeed within 2s (3 attempts); last error: 503";
    await env.run(
      {
        waves: [{ clusters: ['a', 'b', 'c'], maxFailures: 0 }],
        rollbackOnFailure: true,
        stubs: { failSelect: { a: error } },
      },
      async (op) => {
        const paused = await op.waitForStatus((s) => s.state === 'paused', 'the failure budget to pause');
        assert.equal(paused.pauseReason, 'failure_budget_exceeded');
        const finish = op.stubs.callsOf('finishCluster').find((c) => c.clusterId === 'a');
        assert.equal(finish?.outcome, 'failed');
        assert.equal(finish?.error, error);
        assert.equal(op.stubs.callsOf('rollbackCluster').length, 0);
        assert.deepEqual(op.stubs.appliedIds(), []);
        await op.handle.signal(cancelSignal, { by: 'dave' });
        await op.result();
        await recordHistories(op.client, op.id, [1], 'select-deadline');
      },
    );
  });
});
