// Pause, resume and cancel, also sent while a wave's child workflow starts, with stub activities (no database).
import assert from 'node:assert/strict';
import { recordHistories } from './record-history';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, test } from 'node:test';
import {
  approveWaveSignal,
  cancelSignal,
  pauseSignal,
  resumeSignal,
  setMaxParallelUpdate,
  waveCancelSignal,
  wavePauseSignal,
} from '../../workflows/messages';
import { clusters, eventually, workflowTestEnv, SIDE_BY_SIDE } from './harness';

const env = workflowTestEnv();

describe('pause and resume', SIDE_BY_SIDE, () => {
  test('when paused mid-wave, then in-flight applies finish and no new apply starts until resume', async () => {
    const ids = clusters('a', 6);
    await env.run({ waves: [{ clusters: ids, maxParallel: 2 }], stubs: { holdApplies: true } }, async (op) => {
      await eventually(() => op.stubs.applies.keys.length === 2, 'two applies in flight');
      await op.handle.signal(pauseSignal, { by: 'dave' });
      const paused = await op.status();
      assert.equal(paused.state, 'paused');
      assert.equal(paused.pauseReason, 'operator');
      assert.equal(paused.paused, true);
      assert.equal(paused.waves[0]!.state, 'paused');
      await op.waitForRelay(wavePauseSignal);

      op.stubs.applies.open();
      await eventually(() => op.stubs.outcomes().size === 2, 'the in-flight clusters to finish');
      await sleep(500);
      assert.deepEqual(op.stubs.appliedIds().sort(), ids.slice(0, 2), 'an apply started while paused');
      assert.equal((await op.status()).state, 'paused');

      await op.handle.signal(resumeSignal, { by: 'dave' });
      const resumed = await op.status();
      assert.equal(resumed.state, 'running');
      assert.equal(resumed.pauseReason, null);
      assert.equal(resumed.waves[0]!.state, 'running');
      const done = await op.result();
      assert.equal(done.state, 'completed');
      assert.deepEqual(op.stubs.appliedIds().sort(), ids);
      assert.equal(op.stubs.mostAppliesAtOnce(), 2);
    });
  });

  test('when paused between waves, then the next wave waits for resume', async () => {
    await env.run({ waves: [{ clusters: ['a'], bakeSeconds: 2 }, { clusters: ['b'] }] }, async (op) => {
      await op.waitForStatus((s) => s.waves[0]!.state === 'baking', 'wave 1 baking');
      await op.handle.signal(pauseSignal, { by: 'dave' });
      const waiting = await op.waitForStatus((s) => s.waves[0]!.state === 'completed', 'the bake to end');
      assert.equal(waiting.state, 'paused');
      assert.equal(waiting.waves[1]!.state, 'pending');
      await sleep(300);
      assert.deepEqual(op.stubs.appliedIds(), ['a']);
      await op.handle.signal(resumeSignal, { by: 'dave' });
      assert.equal((await op.result()).state, 'completed');
      assert.deepEqual(op.stubs.appliedIds(), ['a', 'b']);
    });
  });

  test('when paused while awaiting approval, then an approval is recorded but the wave waits for resume', async () => {
    await env.run({ waves: [{ clusters: ['a', 'b'], approval: 'manual' }] }, async (op) => {
      await op.waitForStatus((s) => s.state === 'awaiting_approval', 'awaiting_approval');
      await op.handle.signal(pauseSignal, { by: 'dave' });
      const paused = await op.status();
      assert.equal(paused.state, 'paused');
      assert.equal(paused.pauseReason, 'operator');
      assert.deepEqual(paused.pendingApproval, { wave: 1 });
      assert.equal(paused.waves[0]!.state, 'awaiting_approval');

      // Resume returns to waiting for the approval, not to running.
      await op.handle.signal(resumeSignal, { by: 'dave' });
      assert.equal((await op.status()).state, 'awaiting_approval');
      await op.handle.signal(pauseSignal, { by: 'dave' });

      await op.handle.signal(approveWaveSignal, { wave: 1, by: 'bob', comment: 'go when resumed' });
      const approved = await op.status();
      assert.equal(approved.state, 'paused');
      assert.equal(approved.pendingApproval, null);
      assert.equal(approved.waves[0]!.approvedBy, 'bob');
      assert.equal(approved.waves[0]!.approvalComment, 'go when resumed');
      await sleep(300);
      const work = op.stubs.calls.filter(
        (call) => !['recordOperatorAction', 'writeStatusSnapshot'].includes(call.name),
      );
      assert.deepEqual(work, [], 'the wave started while paused');

      await op.handle.signal(resumeSignal, { by: 'dave' });
      const done = await op.result();
      assert.equal(done.state, 'completed');
      assert.deepEqual(op.stubs.appliedIds().sort(), ['a', 'b']);
    });
  });

  test('when pause or resume repeats, then the repeat changes nothing', async () => {
    await env.run({ waves: [{ clusters: ['a', 'b'] }], stubs: { holdApplies: true } }, async (op) => {
      await eventually(() => op.stubs.applies.keys.length === 1, 'one apply in flight');
      await op.handle.signal(resumeSignal, { by: 'dave' });
      assert.equal((await op.status()).state, 'running');
      await op.handle.signal(pauseSignal, { by: 'dave' });
      const first = await op.status();
      await op.handle.signal(pauseSignal, { by: 'erin' });
      assert.deepEqual(await op.status(), first);
      await op.handle.signal(resumeSignal, { by: 'dave' });
      op.stubs.applies.open();
      assert.equal((await op.result()).state, 'completed');
    });
  });
});

describe('cancel', SIDE_BY_SIDE, () => {
  test('when cancelled mid-wave, then in-flight clusters finish, nothing new starts and the result is cancelled', async () => {
    const ids = clusters('a', 5);
    await env.run(
      { waves: [{ clusters: ids, maxParallel: 2 }, { clusters: ['b'] }], stubs: { holdApplies: true } },
      async (op) => {
        await eventually(() => op.stubs.applies.keys.length === 2, 'two applies in flight');
        await op.handle.signal(cancelSignal, { by: 'carol' });
        assert.equal((await op.status()).cancelRequested, true);
        await op.waitForRelay(waveCancelSignal);
        op.stubs.applies.open();

        const done = await op.result();
        assert.equal(done.state, 'cancelled');
        assert.deepEqual(
          done.waves.map((w) => w.state),
          ['cancelled', 'cancelled'],
        );
        assert.deepEqual(op.stubs.appliedIds().sort(), ids.slice(0, 2));
        // The two in flight were monitored and recorded, not abandoned.
        assert.deepEqual([...op.stubs.outcomes().keys()].sort(), ids.slice(0, 2));
        assert.deepEqual(
          op.stubs
            .callsOf('selectCluster')
            .map((s) => s.clusterId)
            .sort(),
          ids.slice(0, 2),
        );
        assert.deepEqual(op.stubs.callsOf('closeOperation'), [{ operationId: op.id, outcome: 'cancelled' }]);
        assert.deepEqual(await op.status(), done);
      },
    );
  });

  test('when cancelled while a cluster waits for its maintenance window, then the wait ends and it is skipped', async () => {
    await env.run({ waves: [{ clusters: ['a', 'b'] }], stubs: { windowWaitMs: { a: 120_000 } } }, async (op) => {
      await eventually(() => op.stubs.callsOf('selectCluster').length === 1, 'a selected');
      await sleep(200);
      await op.handle.signal(cancelSignal, { by: 'carol' });
      const done = await op.result();
      assert.equal(done.state, 'cancelled');
      assert.deepEqual(op.stubs.applied, []);
      assert.deepEqual(
        op.stubs.callsOf('finishCluster').map((f) => [f.clusterId, f.outcome, f.reason]),
        [['a', 'skipped', 'operation_cancelled']],
      );
    });
  });

  test('when awaiting approval and cancelled, then the waiting wave and the later ones are cancelled', async () => {
    await env.run({ waves: [{ clusters: ['a'], approval: 'manual' }, { clusters: ['b'] }] }, async (op) => {
      await op.waitForStatus((s) => s.state === 'awaiting_approval', 'awaiting_approval');
      await op.handle.signal(cancelSignal, { by: 'carol' });
      const done = await op.result();
      assert.equal(done.state, 'cancelled');
      assert.equal(done.pendingApproval, null);
      assert.deepEqual(
        done.waves.map((w) => w.state),
        ['cancelled', 'cancelled'],
      );
      assert.deepEqual(op.stubs.applied, []);
    });
  });
});

// While the operation starts a wave's child workflow, there is no child to relay an operator message
// to: the wave must still learn about it.
describe('messages while a wave starts', SIDE_BY_SIDE, () => {
  test('when paused right after approving a wave, then no cluster starts after the in-flight one until resume', async () => {
    await env.run(
      { waves: [{ clusters: ['a', 'b', 'c'], approval: 'manual' }], stubs: { holdApplies: true } },
      async (op) => {
        await op.waitForStatus((s) => s.state === 'awaiting_approval', 'awaiting_approval');
        await op.handle.signal(approveWaveSignal, { wave: 1, by: 'bob' });
        await op.handle.signal(pauseSignal, { by: 'dave' });
        assert.equal((await op.status()).state, 'paused');
        await sleep(500);
        op.stubs.applies.open();
        await sleep(1000);
        assert.ok(op.stubs.appliedIds().length <= 1, `applied ${op.stubs.appliedIds().join(', ')} while paused`);
        await op.handle.signal(resumeSignal, { by: 'dave' });
        assert.equal((await op.result()).state, 'completed');
        await recordHistories(op.client, op.id, [1], 'pause-while-wave-starts');
      },
    );
  });

  test('when cancelled right after approving a wave, then no cluster starts after the in-flight one', async () => {
    await env.run(
      { waves: [{ clusters: ['a', 'b', 'c'], approval: 'manual' }], stubs: { holdApplies: true } },
      async (op) => {
        await op.waitForStatus((s) => s.state === 'awaiting_approval', 'awaiting_approval');
        await op.handle.signal(approveWaveSignal, { wave: 1, by: 'bob' });
        await op.handle.signal(cancelSignal, { by: 'carol' });
        await sleep(500);
        op.stubs.applies.open();
        const done = await op.result();
        assert.equal(done.state, 'cancelled');
        assert.ok(op.stubs.appliedIds().length <= 1, `applied ${op.stubs.appliedIds().join(', ')} after the cancel`);
      },
    );
  });

  test('when maxParallel is raised right after approving a wave, then that wave uses it', async () => {
    await env.run(
      { waves: [{ clusters: clusters('a', 6), maxParallel: 1, approval: 'manual' }], stubs: { holdApplies: true } },
      async (op) => {
        await op.waitForStatus((s) => s.state === 'awaiting_approval', 'awaiting_approval');
        await op.handle.signal(approveWaveSignal, { wave: 1, by: 'bob' });
        await op.handle.executeUpdate(setMaxParallelUpdate, { args: [{ maxParallel: 3, by: 'erin' }] });
        await eventually(() => op.stubs.applies.keys.length === 3, 'three applies in flight', 5_000);
        op.stubs.applies.open();
        assert.equal((await op.result()).state, 'completed');
        await recordHistories(op.client, op.id, [1], 'max-parallel-while-wave-starts');
      },
    );
  });
});
