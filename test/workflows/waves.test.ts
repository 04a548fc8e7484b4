// Waves in order, maxParallel, manual approval and bake time, with stub activities (no database).
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, test } from 'node:test';
import { approveWaveSignal, cancelSignal } from '../../workflows/messages';
import { clusters, workflowTestEnv, SIDE_BY_SIDE } from './harness';

const env = workflowTestEnv();

describe('waves', SIDE_BY_SIDE, () => {
  test('when an operation has two waves, then they run in order, each cluster once, and it completes', async () => {
    const first = clusters('a', 3);
    const second = clusters('b', 4);
    await env.run(
      {
        waves: [
          { clusters: first, maxParallel: 2 },
          { clusters: second, maxParallel: 2 },
        ],
      },
      async (op) => {
        const done = await op.result();

        assert.equal(done.state, 'completed');
        assert.equal(done.pauseReason, null);
        assert.equal(done.failuresTotal, 0);
        assert.deepEqual(
          done.waves.map((w) => [w.number, w.state, w.runs]),
          [
            [1, 'completed', 1],
            [2, 'completed', 1],
          ],
        );
        assert.ok(done.waves.every((w) => w.startedAt && w.finishedAt));
        assert.deepEqual(op.stubs.appliedIds(1).sort(), first);
        assert.deepEqual(op.stubs.appliedIds(2).sort(), second);
        assert.ok(op.stubs.applied.every((a) => a.attempt === 1 && a.operationId === op.id));
        const lastOfFirst = Math.max(
          ...op.stubs.calls
            .filter((c) => c.name === 'monitorCluster' && first.includes((c.input as any).clusterId))
            .map((c) => c.at),
        );
        const firstOfSecond = Math.min(
          ...op.stubs.calls
            .filter((c) => c.name === 'selectCluster' && second.includes((c.input as any).clusterId))
            .map((c) => c.at),
        );
        assert.ok(lastOfFirst <= firstOfSecond, 'wave 2 started before wave 1 finished');
        assert.deepEqual(
          op.stubs.callsOf('loadWaveClusters').map((c) => c.wave),
          [1, 2],
        );
        // The monitor records success itself, so no separate finish is needed for healthy clusters.
        assert.ok(op.stubs.callsOf('monitorCluster').every((m) => m.finish !== undefined));
        assert.deepEqual(op.stubs.callsOf('finishCluster'), []);
        assert.deepEqual(
          [...op.stubs.outcomes().values()].filter((o) => o !== 'succeeded'),
          [],
        );
        assert.deepEqual(op.stubs.callsOf('closeOperation'), [{ operationId: op.id, outcome: 'completed' }]);
        assert.deepEqual(await op.status(), done);
      },
    );
  });

  test('when a wave has no clusters, then it is marked empty without loading it and the next wave runs', async () => {
    await env.run({ waves: [{ clusters: ['a'] }, { clusters: [] }, { clusters: ['c'] }] }, async (op) => {
      const done = await op.result();
      assert.equal(done.state, 'completed');
      assert.deepEqual(
        done.waves.map((w) => w.state),
        ['completed', 'empty', 'completed'],
      );
      assert.deepEqual(
        op.stubs.callsOf('loadWaveClusters').map((c) => c.wave),
        [1, 3],
      );
    });
  });

  test('when maxParallel is 2 and then 3, then no wave runs more applies at once than its own', async () => {
    await env.run(
      {
        waves: [
          { clusters: clusters('a', 6), maxParallel: 2 },
          { clusters: clusters('b', 6), maxParallel: 3 },
        ],
        stubs: { applyMs: 250 },
      },
      async (op) => {
        assert.equal((await op.result()).state, 'completed');
        assert.equal(op.stubs.mostAppliesAtOnce(1), 2);
        assert.equal(op.stubs.mostAppliesAtOnce(2), 3);
        assert.equal(op.stubs.applied.length, 12);
      },
    );
  });

  test('when a cluster is not eligible at select, then it is never applied and the wave still completes', async () => {
    await env.run(
      { waves: [{ clusters: ['a', 'b', 'c'] }], stubs: { notEligible: { b: 'already_at_target' } } },
      async (op) => {
        assert.equal((await op.result()).state, 'completed');
        assert.deepEqual(op.stubs.appliedIds(), ['a', 'c']);
        assert.equal(op.stubs.callsOf('selectCluster').length, 3);
      },
    );
  });
});

describe('manual approval', SIDE_BY_SIDE, () => {
  test('when a wave needs approval, then it waits; a wrong wave is ignored; the approval runs it and is recorded', async () => {
    await env.run({ waves: [{ clusters: ['a'] }, { clusters: ['b', 'c'], approval: 'manual' }] }, async (op) => {
      const waiting = await op.waitForStatus((s) => s.state === 'awaiting_approval', 'awaiting_approval');
      assert.deepEqual(waiting.pendingApproval, { wave: 2 });
      assert.equal(waiting.currentWave, 2);
      assert.deepEqual(
        waiting.waves.map((w) => w.state),
        ['completed', 'awaiting_approval'],
      );
      assert.deepEqual(op.stubs.appliedIds(), ['a']);

      await op.handle.signal(approveWaveSignal, { wave: 1, by: 'mallory' });
      await op.handle.signal(approveWaveSignal, { wave: 3, by: 'mallory' });
      const still = await op.status();
      assert.equal(still.state, 'awaiting_approval');
      assert.deepEqual(still.pendingApproval, { wave: 2 });
      assert.deepEqual(
        still.waves.map((w) => w.approvedBy),
        [null, null],
      );
      await sleep(300);
      assert.deepEqual(op.stubs.appliedIds(), ['a'], 'a wave started without its approval');

      await op.handle.signal(approveWaveSignal, { wave: 2, by: 'bob', comment: 'canary looks good' });
      const done = await op.result();
      assert.equal(done.state, 'completed');
      assert.equal(done.pendingApproval, null);
      const approved = done.waves[1]!;
      assert.equal(approved.state, 'completed');
      assert.equal(approved.approvedBy, 'bob');
      assert.equal(approved.approvalComment, 'canary looks good');
      assert.ok(approved.approvedAt && approved.approvedAt <= approved.startedAt!);
      assert.equal(done.waves[0]!.approvedBy, null);
      assert.deepEqual(op.stubs.appliedIds(2).sort(), ['b', 'c']);
    });
  });

  test('when the first wave needs approval, then nothing is loaded or applied before it', async () => {
    await env.run({ waves: [{ clusters: ['a'], approval: 'manual' }] }, async (op) => {
      await op.waitForStatus((s) => s.pendingApproval?.wave === 1, 'approval of wave 1');
      // The status snapshot is bookkeeping of the operation, not work on its wave.
      const work = op.stubs.calls.filter((call) => call.name !== 'writeStatusSnapshot');
      assert.deepEqual(work, []);
      await op.handle.signal(approveWaveSignal, { wave: 1, by: 'bob' });
      const done = await op.result();
      assert.equal(done.waves[0]!.approvedBy, 'bob');
      assert.equal(done.waves[0]!.approvalComment, null);
      assert.deepEqual(op.stubs.appliedIds(), ['a']);
    });
  });
});

describe('bake', SIDE_BY_SIDE, () => {
  test('when a wave bakes, then the next wave starts only after bakeSeconds and the status says baking', async () => {
    await env.run({ waves: [{ clusters: ['a'], bakeSeconds: 1.5 }, { clusters: ['b'] }] }, async (op) => {
      const baking = await op.waitForStatus((s) => s.waves[0]!.state === 'baking', 'wave 1 baking');
      assert.equal(baking.state, 'running');
      assert.deepEqual(op.stubs.appliedIds(), ['a']);
      const done = await op.result();
      assert.equal(done.state, 'completed');
      assert.equal(done.waves[0]!.state, 'completed');
      const finished = Date.parse(done.waves[0]!.finishedAt!);
      const next = Date.parse(done.waves[1]!.startedAt!);
      assert.ok(next - finished >= 1400, `wave 2 started ${next - finished} ms after wave 1 finished`);
    });
  });

  test('when the last wave has bakeSeconds, then the operation completes without baking', async () => {
    const started = Date.now();
    await env.run({ waves: [{ clusters: ['a'], bakeSeconds: 60 }] }, async (op) => {
      assert.equal((await op.result()).state, 'completed');
      assert.ok(Date.now() - started < 30_000);
    });
  });

  test('when cancelled during a bake, then the bake ends at once and the later waves are cancelled', async () => {
    await env.run(
      { waves: [{ clusters: ['a'], bakeSeconds: 120 }, { clusters: ['b'] }, { clusters: ['c'] }] },
      async (op) => {
        await op.waitForStatus((s) => s.waves[0]!.state === 'baking', 'wave 1 baking');
        const cancelledAt = Date.now();
        await op.handle.signal(cancelSignal, { by: 'carol' });
        const done = await op.result();
        assert.ok(Date.now() - cancelledAt < 10_000, 'the bake did not end on cancel');
        assert.equal(done.state, 'cancelled');
        assert.equal(done.cancelRequested, true);
        assert.deepEqual(
          done.waves.map((w) => w.state),
          ['completed', 'cancelled', 'cancelled'],
        );
        assert.deepEqual(op.stubs.appliedIds(), ['a']);
        assert.deepEqual(op.stubs.callsOf('closeOperation'), [{ operationId: op.id, outcome: 'cancelled' }]);
      },
    );
  });
});
