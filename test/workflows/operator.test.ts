// The operator's fixes: retryCluster and skipCluster, alone and racing, with stub activities (no database).
import assert from 'node:assert/strict';
import { recordHistories } from './record-history';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, test } from 'node:test';
import {
  approveWaveSignal,
  pauseSignal,
  resumeSignal,
  retryClusterSignal,
  skipClusterSignal,
  wavePauseSignal,
  waveRetrySignal,
  waveSkipSignal,
} from '../../workflows/messages';
import { eventually, workflowTestEnv, type RunningOperation, SIDE_BY_SIDE } from './harness';

const env = workflowTestEnv();

/** Waits until `a` failed while `b` is held in flight (maxParallel 1, applies held). */
async function aFailedWhileBHeld(op: RunningOperation): Promise<void> {
  await eventually(() => op.stubs.applies.keys.includes('a'), 'a in flight');
  op.stubs.applies.release('a');
  await eventually(() => op.stubs.outcomes().get('a') === 'failed', 'a failed');
  await eventually(() => op.stubs.applies.keys.includes('b'), 'b in flight');
}

/** Runs an operation of a, b and c (maxParallel 1, maxFailures 1, applies held) from the point where `a`
 * has failed and `b` is in flight. */
function withAFailedWhileBHeld(body: (op: RunningOperation) => Promise<void>): Promise<void> {
  return env.run(
    { waves: [{ clusters: ['a', 'b', 'c'], maxFailures: 1 }], stubs: { holdApplies: true, failApply: ['a'] } },
    async (op) => {
      await aFailedWhileBHeld(op);
      await body(op);
    },
  );
}

let sent = 0;

/**
 * Sends a retry or skip signal and waits for the workflow's answer: the run's state decides (an activity
 * reads it), so the effect shows only once that answer is in. The action id lets the test find it.
 */
async function answered(op: RunningOperation, signal: typeof retryClusterSignal, clusterId: string) {
  const actionId = `${signal.name}-${++sent}`;
  await op.handle.signal(signal, { clusterId, by: 'bob', actionId });
  const status = await op.waitForStatus(
    (s) => (s.recentActions ?? []).some((a) => a.actionId === actionId),
    `the answer to ${signal.name} ${clusterId}`,
  );
  return status.recentActions!.find((a) => a.actionId === actionId)!;
}

const retry = (op: RunningOperation, clusterId: string) => answered(op, retryClusterSignal, clusterId);
const skip = (op: RunningOperation, clusterId: string) => answered(op, skipClusterSignal, clusterId);

describe('retryCluster', SIDE_BY_SIDE, () => {
  test('when a failed cluster is retried mid-wave, then it runs again in that wave with attempt 2', async () => {
    await withAFailedWhileBHeld(async (op) => {
      op.stubs.failApply.delete('a');
      await retry(op, 'a');
      const retried = await op.status();
      assert.deepEqual(retried.retryAttempts, { a: 2 });
      assert.deepEqual(retried.pendingRetries, [], 'a running wave takes the retry itself');
      await op.waitForRelay(waveRetrySignal);
      const requeued = op.stubs.callsOf('clusterAction');
      assert.deepEqual(
        requeued.map((c) => [c.action, c.clusterId, c.by, c.via]),
        [['retry', 'a', 'bob', 'temporal']],
      );
      op.stubs.applies.open();

      const done = await op.result();
      assert.equal(done.state, 'completed');
      assert.deepEqual(op.stubs.attemptsOf('a'), [1, 2]);
      assert.deepEqual(
        op.stubs.applied.filter((x) => x.clusterId === 'a').map((x) => x.wave),
        [1, 1],
      );
      assert.deepEqual(
        op.stubs
          .callsOf('selectCluster')
          .filter((s) => s.clusterId === 'a')
          .map((s) => s.attempt),
        [1, 2],
      );
      assert.equal(op.stubs.outcomes().get('a'), 'succeeded');
      assert.deepEqual(op.stubs.attemptsOf('c'), [1]);
    });
  });

  test('when a cluster is retried twice, then each retry has the next attempt', async () => {
    await withAFailedWhileBHeld(async (op) => {
      await retry(op, 'a');
      await op.waitForRelay(waveRetrySignal);
      // Attempt 2 fails as well: the second failure spends the wave's budget.
      op.stubs.applies.open();
      const paused = await op.waitForStatus((s) => s.pauseReason === 'failure_budget_exceeded', 'a budget pause');
      assert.deepEqual(paused.retryAttempts, { a: 2 });
      op.stubs.failApply.delete('a');
      await retry(op, 'a');
      assert.deepEqual((await op.status()).retryAttempts, { a: 3 });
      await op.handle.signal(resumeSignal, { by: 'bob' });
      assert.equal((await op.result()).state, 'completed');
      assert.deepEqual(op.stubs.attemptsOf('a'), [1, 2, 3]);
      assert.equal(op.stubs.outcomes().get('a'), 'succeeded');
    });
  });

  test('when retried while the operation is paused by its failure budget, then it runs on resume with attempt 2', async () => {
    await env.run(
      { waves: [{ clusters: ['a', 'b', 'c'] }, { clusters: ['d'] }], stubs: { failApply: ['a'] } },
      async (op) => {
        await op.waitForStatus((s) => s.pauseReason === 'failure_budget_exceeded', 'a budget pause');
        op.stubs.failApply.delete('a');
        await retry(op, 'a');
        const paused = await op.status();
        assert.equal(paused.state, 'paused');
        assert.deepEqual(paused.pendingRetries, [{ clusterId: 'a', attempt: 2 }]);
        await sleep(300);
        assert.deepEqual(op.stubs.appliedIds(), ['a'], 'the retry ran while paused');

        await op.handle.signal(resumeSignal, { by: 'bob' });
        const done = await op.result();
        assert.equal(done.state, 'completed');
        assert.deepEqual(done.pendingRetries, []);
        assert.deepEqual(op.stubs.attemptsOf('a'), [1, 2]);
        assert.deepEqual(
          op.stubs.applied.map((x) => [x.clusterId, x.wave, x.attempt]),
          [
            ['a', 1, 1],
            ['b', 1, 1],
            ['c', 1, 1],
            ['a', 1, 2],
            ['d', 2, 1],
          ],
        );
      },
    );
  });

  test('when retried while the operator paused the wave, then it waits for resume and runs with attempt 2', async () => {
    await withAFailedWhileBHeld(async (op) => {
      await op.handle.signal(pauseSignal, { by: 'dave' });
      await op.waitForRelay(wavePauseSignal);
      op.stubs.failApply.delete('a');
      await retry(op, 'a');
      await op.waitForRelay(waveRetrySignal);
      op.stubs.applies.open();
      await eventually(() => op.stubs.outcomes().get('b') === 'succeeded', 'b finished');
      await sleep(300);
      assert.deepEqual(op.stubs.appliedIds(), ['a', 'b'], 'an apply started while paused');

      await op.handle.signal(resumeSignal, { by: 'dave' });
      const done = await op.result();
      assert.equal(done.state, 'completed');
      assert.deepEqual(op.stubs.attemptsOf('a'), [1, 2]);
      // The retry queued behind the clusters the wave had not started yet.
      assert.deepEqual(op.stubs.appliedIds(), ['a', 'b', 'c', 'a']);
    });
  });

  test('when a cluster of an earlier wave is retried while a later wave awaits approval, then it runs after approval', async () => {
    await env.run(
      {
        waves: [
          { clusters: ['a', 'b'], maxFailures: 1 },
          { clusters: ['c'], approval: 'manual' },
        ],
        stubs: { failApply: ['a'] },
      },
      async (op) => {
        await op.waitForStatus((s) => s.state === 'awaiting_approval', 'awaiting_approval');
        op.stubs.failApply.delete('a');
        await retry(op, 'a');
        assert.deepEqual((await op.status()).pendingRetries, [{ clusterId: 'a', attempt: 2 }]);
        await sleep(300);
        assert.deepEqual(op.stubs.attemptsOf('a'), [1]);
        await op.handle.signal(approveWaveSignal, { wave: 2, by: 'bob' });
        const done = await op.result();
        assert.equal(done.state, 'completed');
        assert.deepEqual(
          op.stubs.applied.filter((x) => x.clusterId === 'a').map((x) => [x.wave, x.attempt]),
          [
            [1, 1],
            [2, 2],
          ],
        );
      },
    );
  });
});

describe('skipCluster', SIDE_BY_SIDE, () => {
  test('when a queued cluster is skipped, then it is never applied and the skip is recorded with who asked', async () => {
    await env.run(
      { waves: [{ clusters: ['a', 'b', 'c'] }, { clusters: ['d', 'e'] }], stubs: { holdApplies: true } },
      async (op) => {
        await eventually(() => op.stubs.applies.keys.includes('a'), 'a in flight');
        await skip(op, 'c');
        await op.waitForRelay(waveSkipSignal);
        // A cluster of a later wave is left out when that wave starts.
        await skip(op, 'e');
        const skipping = await op.status();
        assert.deepEqual(skipping.skipped, [
          { clusterId: 'c', by: 'bob' },
          { clusterId: 'e', by: 'bob' },
        ]);
        op.stubs.applies.open();

        const done = await op.result();
        assert.equal(done.state, 'completed');
        assert.deepEqual(op.stubs.appliedIds(), ['a', 'b', 'd']);
        assert.deepEqual(
          op.stubs.callsOf('clusterAction').map((c) => [c.action, c.clusterId, c.by]),
          [
            ['skip', 'c', 'bob'],
            ['skip', 'e', 'bob'],
          ],
        );
        assert.ok(!op.stubs.callsOf('selectCluster').some((s) => s.clusterId === 'c' || s.clusterId === 'e'));
      },
    );
  });

  test('when a not-started cluster is skipped during a budget pause, then the resumed wave leaves it out', async () => {
    await env.run({ waves: [{ clusters: ['a', 'b', 'c'] }], stubs: { failApply: ['a'] } }, async (op) => {
      const paused = await op.waitForStatus((s) => s.pauseReason === 'failure_budget_exceeded', 'a budget pause');
      assert.deepEqual(
        paused.notStarted.map((w) => w.clusterId),
        ['b', 'c'],
      );
      await skip(op, 'b');
      assert.deepEqual(
        (await op.status()).notStarted.map((w) => w.clusterId),
        ['c'],
      );
      await op.handle.signal(resumeSignal, { by: 'bob' });
      assert.equal((await op.result()).state, 'completed');
      assert.deepEqual(op.stubs.appliedIds(), ['a', 'c']);
    });
  });
});

// Mid-wave, each message is sent once the one before reached the wave: two relays sent in one workflow
// task may reach it in either order (see relay-order.test.ts).
describe('retry and skip racing', SIDE_BY_SIDE, () => {
  test('when a retry is followed by a skip mid-wave, then the cluster is not applied again', async () => {
    await withAFailedWhileBHeld(async (op) => {
      await retry(op, 'a');
      await op.waitForRelay(waveRetrySignal);
      await skip(op, 'a');
      await op.waitForRelay(waveSkipSignal);
      op.stubs.applies.open();
      const done = await op.result();
      assert.equal(done.state, 'completed');
      assert.deepEqual(op.stubs.attemptsOf('a'), [1]);
      assert.deepEqual(op.stubs.appliedIds(), ['a', 'b', 'c']);
    });
  });

  test('when a retry is followed by a skip during a budget pause, then the resumed wave does not apply it again', async () => {
    await env.run({ waves: [{ clusters: ['a', 'b'] }], stubs: { failApply: ['a'] } }, async (op) => {
      await op.waitForStatus((s) => s.pauseReason === 'failure_budget_exceeded', 'a budget pause');
      await retry(op, 'a');
      await skip(op, 'a');
      const paused = await op.status();
      assert.deepEqual(paused.pendingRetries, []);
      assert.deepEqual(paused.skipped, [{ clusterId: 'a', by: 'bob' }]);
      await op.handle.signal(resumeSignal, { by: 'bob' });
      assert.equal((await op.result()).state, 'completed');
      assert.deepEqual(op.stubs.appliedIds(), ['a', 'b']);
    });
  });

  test('when a failed cluster is skipped mid-wave, then the skip is rejected and a retry runs attempt 2', async () => {
    await withAFailedWhileBHeld(async (op) => {
      op.stubs.failApply.delete('a');
      const refused = await skip(op, 'a');
      assert.equal(refused.outcome, 'rejected');
      assert.equal(refused.reason, 'not_pending');
      assert.equal((await op.status()).skipped.length, 0);
      assert.equal((await retry(op, 'a')).outcome, 'applied');
      await op.waitForRelay(waveRetrySignal);
      op.stubs.applies.open();
      const done = await op.result();
      assert.equal(done.state, 'completed');
      assert.deepEqual(op.stubs.attemptsOf('a'), [1, 2]);
    });
  });

  test('when a failed cluster is skipped during a budget pause, then the skip is rejected and a retry runs', async () => {
    await env.run({ waves: [{ clusters: ['a', 'b'] }], stubs: { failApply: ['a'] } }, async (op) => {
      await op.waitForStatus((s) => s.pauseReason === 'failure_budget_exceeded', 'a budget pause');
      op.stubs.failApply.delete('a');
      assert.equal((await skip(op, 'a')).reason, 'not_pending');
      await retry(op, 'a');
      assert.deepEqual((await op.status()).pendingRetries, [{ clusterId: 'a', attempt: 2 }]);
      await op.handle.signal(resumeSignal, { by: 'bob' });
      assert.equal((await op.result()).state, 'completed');
      assert.deepEqual(op.stubs.attemptsOf('a'), [1, 2]);
      await recordHistories(op.client, op.id, [1], 'retry-after-skip');
    });
  });
});
