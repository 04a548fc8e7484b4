// The setMaxParallel update: the running wave and later ones follow it; its validator refuses bad values
// and a finished operation. With stub activities (no database).
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { WorkflowUpdateFailedError } from '@temporalio/client';
import {
  cancelSignal,
  setMaxParallelUpdate,
  skipClusterSignal,
  waveSetMaxParallelSignal,
} from '../../workflows/messages';
import { clusters, eventually, workflowTestEnv, SIDE_BY_SIDE } from './harness';
import { recordHistories } from './record-history';

const env = workflowTestEnv();

describe('setMaxParallel', SIDE_BY_SIDE, () => {
  test('when maxParallel is raised mid-wave, then the running wave and the later ones use the new value', async () => {
    await env.run(
      {
        waves: [
          { clusters: clusters('a', 6), maxParallel: 1 },
          { clusters: clusters('b', 6), maxParallel: 1 },
        ],
        stubs: { holdApplies: true },
      },
      async (op) => {
        await eventually(() => op.stubs.applies.keys.length === 1, 'one apply in flight');
        const answer = await op.handle.executeUpdate(setMaxParallelUpdate, { args: [{ maxParallel: 3, by: 'erin' }] });
        assert.deepEqual(answer, { maxParallel: 3 });
        assert.equal((await op.status()).maxParallelOverride, 3);
        await op.waitForRelay(waveSetMaxParallelSignal);
        await eventually(() => op.stubs.applies.keys.length === 3, 'three applies in flight');

        op.stubs.applyMs = 250;
        op.stubs.applies.open();
        const done = await op.result();
        assert.equal(done.state, 'completed');
        assert.equal(done.maxParallelOverride, 3);
        assert.equal(op.stubs.mostAppliesAtOnce(1), 3);
        assert.equal(op.stubs.mostAppliesAtOnce(2), 3);
      },
    );
  });

  test('when maxParallel names a later wave, then only that wave takes it; a finished wave is refused', async () => {
    await env.run(
      {
        waves: [
          { clusters: clusters('a', 4), maxParallel: 1 },
          { clusters: clusters('b', 6), maxParallel: 1 },
          { clusters: clusters('c', 4), maxParallel: 1 },
        ],
        stubs: { holdApplies: true },
      },
      async (op) => {
        await eventually(() => op.stubs.applies.keys.length === 1, 'one apply in flight');
        const answer = await op.handle.executeUpdate(setMaxParallelUpdate, {
          args: [{ maxParallel: 3, by: 'erin', wave: 2 }],
        });
        assert.deepEqual(answer, { maxParallel: 3, wave: 2 });
        const status = await op.status();
        assert.deepEqual(status.maxParallelByWave, { 2: 3 });
        assert.equal(status.maxParallelOverride, null);
        await assert.rejects(
          op.handle.executeUpdate(setMaxParallelUpdate, { args: [{ maxParallel: 2, by: 'erin', wave: 9 }] }),
          (err) => err instanceof WorkflowUpdateFailedError && /no wave 9/.test(String(err.cause?.message)),
        );

        op.stubs.applyMs = 150;
        op.stubs.applies.open();
        await op.waitForStatus((s) => s.currentWave === 2, 'wave 2 running');
        await assert.rejects(
          op.handle.executeUpdate(setMaxParallelUpdate, { args: [{ maxParallel: 2, by: 'erin', wave: 1 }] }),
          (err) => err instanceof WorkflowUpdateFailedError && /has finished/.test(String(err.cause?.message)),
        );
        const done = await op.result();
        assert.equal(done.state, 'completed');
        assert.equal(op.stubs.mostAppliesAtOnce(1), 1);
        assert.equal(op.stubs.mostAppliesAtOnce(2), 3);
        assert.equal(op.stubs.mostAppliesAtOnce(3), 1, 'the wave after the named one kept its own');
        await recordHistories(op.client, op.id, [2], 'max-parallel-one-wave');
      },
    );
  });

  test('when maxParallel is lowered, then no more than the new value run at once', async () => {
    await env.run(
      { waves: [{ clusters: clusters('a', 8), maxParallel: 4 }], stubs: { holdApplies: true } },
      async (op) => {
        await eventually(() => op.stubs.applies.keys.length === 4, 'four applies in flight');
        await op.handle.executeUpdate(setMaxParallelUpdate, { args: [{ maxParallel: 1, by: 'erin' }] });
        await op.waitForRelay(waveSetMaxParallelSignal);
        op.stubs.applyMs = 100;
        op.stubs.applies.open();
        await eventually(() => op.stubs.outcomes().size >= 4, 'the first four to finish');
        op.stubs.resetMostAppliesAtOnce();
        assert.equal((await op.result()).state, 'completed');
        assert.equal(op.stubs.mostAppliesAtOnce(1), 1);
        assert.equal(op.stubs.applied.length, 8);
      },
    );
  });

  test('when maxParallel is outside 1..1000 or not whole, then the validator rejects it and nothing changes', async () => {
    await env.run({ waves: [{ clusters: ['a'], approval: 'manual' }] }, async (op) => {
      await op.waitForStatus((s) => s.state === 'awaiting_approval', 'awaiting_approval');
      for (const maxParallel of [0, 1001, 2.5, -1]) {
        await assert.rejects(
          op.handle.executeUpdate(setMaxParallelUpdate, { args: [{ maxParallel, by: 'erin' }] }),
          (err) => {
            assert.ok(err instanceof WorkflowUpdateFailedError, String(err));
            assert.match(String(err.cause?.message), /maxParallel must be an integer from 1 to 1000/);
            return true;
          },
          `maxParallel ${maxParallel} was accepted`,
        );
      }
      assert.equal((await op.status()).maxParallelOverride, null);
      assert.deepEqual(
        await op.handle.executeUpdate(setMaxParallelUpdate, { args: [{ maxParallel: 1000, by: 'erin' }] }),
        { maxParallel: 1000 },
      );
      assert.equal((await op.status()).maxParallelOverride, 1000);
      await op.handle.signal(cancelSignal, { by: 'carol' });
      assert.equal((await op.result()).state, 'cancelled');
    });
  });

  test('when the operation has finished, then setMaxParallel is rejected', async () => {
    // A skip still being checked keeps the finished operation's workflow open for the validator to see
    // (b runs meanwhile: a skip takes effect only once the run's state allowed it).
    await env.run({ waves: [{ clusters: ['a', 'b'] }], stubs: { holdApplies: true, holdSkips: true } }, async (op) => {
      await eventually(() => op.stubs.applies.keys.length === 1, 'a in flight');
      await op.handle.signal(skipClusterSignal, { clusterId: 'b', by: 'frank' });
      await eventually(() => op.stubs.skips.keys.length === 1, 'the skip being recorded');
      op.stubs.applies.open();
      await op.waitForStatus((s) => s.state === 'completed', 'completed');

      await assert.rejects(
        op.handle.executeUpdate(setMaxParallelUpdate, { args: [{ maxParallel: 2, by: 'erin' }] }),
        (err) => {
          assert.ok(err instanceof WorkflowUpdateFailedError, String(err));
          assert.match(String(err.cause?.message), /the operation is completed/);
          return true;
        },
      );
      op.stubs.skips.open();
      const done = await op.result();
      assert.equal(done.maxParallelOverride, null);
      assert.deepEqual(op.stubs.appliedIds(), ['a', 'b']);
      await assert.rejects(op.handle.executeUpdate(setMaxParallelUpdate, { args: [{ maxParallel: 2, by: 'erin' }] }));
    });
  });
});
