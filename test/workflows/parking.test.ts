// Parked clusters with stub activities (no database): a cluster outside its maintenance window or held by
// another operation waits without a slot or a lease, obeys pause, cancel, skip and the deadline, and is
// carried across continue-as-new.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { waveWorkflowId } from '../../domain/ids';
import type { Limits } from '../../domain/operation';
import {
  cancelSignal,
  pauseSignal,
  resumeSignal,
  skipClusterSignal,
  wavePauseSignal,
  waveSkipSignal,
} from '../../workflows/messages';
import { clusters, eventually, workflowTestEnv, SIDE_BY_SIDE, type RunningOperation } from './harness';
import { recordHistories } from './record-history';

const env = workflowTestEnv();

/** How often a cluster parked behind a lease looks again, in these tests. */
const leaseChecks = (seconds: number): Limits => ({ applyTimeoutSeconds: 60, leaseCheckSeconds: seconds });
const inSeconds = (seconds: number) => new Date(Date.now() + seconds * 1000).toISOString();
const selectsOf = (op: RunningOperation, id: string) =>
  op.stubs.callsOf('selectCluster').filter((s) => s.clusterId === id).length;
const finished = (op: RunningOperation) =>
  op.stubs.callsOf('finishCluster').map((f) => [f.clusterId, f.outcome, f.reason ?? null]);

describe('maintenance windows', SIDE_BY_SIDE, () => {
  test('when a cluster is outside its window, then it is parked without a slot and applied once the window opens', async () => {
    await env.run(
      { waves: [{ clusters: ['a', 'b', 'c'], maxParallel: 1 }], stubs: { windowOpensInMs: { a: 2500 } } },
      async (op) => {
        const done = await op.result();
        assert.equal(done.state, 'completed');
        // With one slot, b and c ran while a waited: a parked cluster holds none.
        assert.deepEqual(op.stubs.appliedIds(), ['b', 'c', 'a']);
        const opensAt = op.stubs.windowOpensAt.get('a')!;
        const applyOfA = op.stubs.calls.find((c) => c.name === 'applyToCluster' && (c.input as any).clusterId === 'a');
        assert.ok(applyOfA!.at >= opensAt, 'a was applied before its window opened');
        assert.equal(selectsOf(op, 'a'), 2, 'a parked cluster is selected afresh when its window opens');
        assert.equal(op.stubs.outcomes().get('a'), 'succeeded');
        await recordHistories(op.client, op.id, [1], 'parked-window');
      },
    );
  });

  test('when the window closes before an apply attempt, then the cluster is parked until the next one, never failed', async () => {
    await env.run(
      {
        waves: [{ clusters: ['a', 'b'], maxParallel: 1, maxFailures: 0 }],
        rollbackOnFailure: true,
        stubs: { windowClosesBeforeApplyMs: { a: 1000 } },
      },
      async (op) => {
        const done = await op.result();
        assert.equal(done.state, 'completed');
        assert.equal(done.failuresTotal, 0);
        assert.deepEqual(op.stubs.appliedIds(), ['a', 'b', 'a']);
        // The next window's apply is the same operator attempt: the same idempotency key.
        assert.deepEqual(op.stubs.attemptsOf('a'), [1, 1]);
        assert.deepEqual(op.stubs.callsOf('rollbackCluster'), []);
        assert.equal(op.stubs.outcomes().get('a'), 'succeeded');
        await recordHistories(op.client, op.id, [1], 'parked-apply-window');
      },
    );
  });

  test('when paused while a cluster is parked, then nothing starts after its window opens until resume', async () => {
    await env.run({ waves: [{ clusters: ['a', 'b'] }], stubs: { windowOpensInMs: { a: 1200 } } }, async (op) => {
      await eventually(() => op.stubs.outcomes().get('b') === 'succeeded', 'b to finish while a is parked');
      await op.handle.signal(pauseSignal, { by: 'dave' });
      await op.waitForRelay(wavePauseSignal);
      await eventually(() => Date.now() > op.stubs.windowOpensAt.get('a')! + 800 || undefined, 'the window to open');
      assert.deepEqual(op.stubs.appliedIds(), ['b'], 'a parked cluster started while paused');
      assert.equal(selectsOf(op, 'a'), 1);
      await op.handle.signal(resumeSignal, { by: 'dave' });
      const done = await op.result();
      assert.equal(done.state, 'completed');
      assert.deepEqual(op.stubs.appliedIds(), ['b', 'a']);
    });
  });

  test('when cancelled while a cluster is parked, then the wave ends at once and the cluster is never applied', async () => {
    await env.run({ waves: [{ clusters: ['a', 'b'] }], stubs: { windowOpensInMs: { a: 120_000 } } }, async (op) => {
      await eventually(() => op.stubs.outcomes().get('b') === 'succeeded', 'b to finish while a is parked');
      await op.handle.signal(cancelSignal, { by: 'carol' });
      const done = await op.result();
      assert.equal(done.state, 'cancelled');
      assert.deepEqual(op.stubs.appliedIds(), ['b']);
      // The parked run is skipped when the operation closes (operation_cancelled), not by the wave.
      assert.deepEqual(finished(op), []);
      assert.deepEqual(op.stubs.callsOf('closeOperation'), [{ operationId: op.id, outcome: 'cancelled' }]);
    });
  });

  test('when an operator skips a parked cluster, then the wave stops waiting for it', async () => {
    await env.run({ waves: [{ clusters: ['a', 'b'] }], stubs: { windowOpensInMs: { a: 120_000 } } }, async (op) => {
      await eventually(() => op.stubs.outcomes().get('b') === 'succeeded', 'b to finish while a is parked');
      await op.handle.signal(skipClusterSignal, { clusterId: 'a', by: 'bob' });
      await op.waitForRelay(waveSkipSignal);
      const done = await op.result();
      assert.equal(done.state, 'completed');
      assert.deepEqual(op.stubs.appliedIds(), ['b']);
    });
  });

  test('when a wave stops on its budget, then its parked clusters are handed back and run after resume', async () => {
    await env.run(
      {
        waves: [{ clusters: ['a', 'b'], maxParallel: 1, maxFailures: 0 }],
        stubs: { windowOpensInMs: { a: 1000 }, failApply: ['b'] },
      },
      async (op) => {
        const paused = await op.waitForStatus((s) => s.state === 'paused', 'the budget pause');
        assert.equal(paused.pauseReason, 'failure_budget_exceeded');
        assert.deepEqual(paused.notStarted, [{ clusterId: 'a', attempt: 1 }]);
        op.stubs.failApply.delete('b');
        await op.handle.signal(resumeSignal, { by: 'dave' });
        const done = await op.result();
        assert.equal(done.state, 'completed');
        assert.deepEqual(op.stubs.appliedIds(), ['b', 'a']);
      },
    );
  });
});

describe('the deadline', SIDE_BY_SIDE, () => {
  test('when the next window opens after the deadline, then the cluster is skipped window_missed at once', async () => {
    await env.run(
      { waves: [{ clusters: ['a', 'b'] }], deadline: inSeconds(30), stubs: { windowOpensInMs: { a: 120_000 } } },
      async (op) => {
        const done = await op.result();
        assert.equal(done.state, 'completed');
        assert.deepEqual(op.stubs.appliedIds(), ['b']);
        assert.equal(selectsOf(op, 'a'), 1);
      },
    );
  });

  test('when the deadline passes while a parked cluster is held by a pause, then it ends window_missed', async () => {
    // The window opens (2 s after a is first selected) before the deadline, but the operation is paused then.
    await env.run(
      {
        waves: [{ clusters: ['a', 'b'] }],
        deadline: inSeconds(6),
        stubs: { windowOpensInMs: { a: 2000 }, holdApplies: true },
      },
      async (op) => {
        await eventually(() => op.stubs.applies.keys.includes('b'), 'b in flight while a is parked');
        await op.handle.signal(pauseSignal, { by: 'dave' });
        await op.waitForRelay(wavePauseSignal);
        op.stubs.applies.open();
        await eventually(() => finished(op).some(([id]) => id === 'a'), 'a to end at the deadline', 10_000);
        assert.deepEqual(
          finished(op).filter(([id]) => id === 'a'),
          [['a', 'skipped', 'window_missed']],
        );
        assert.deepEqual(op.stubs.appliedIds(), ['b']);
        await op.handle.signal(resumeSignal, { by: 'dave' });
        assert.equal((await op.result()).state, 'completed');
      },
    );
  });
});

describe('leases of other operations', SIDE_BY_SIDE, () => {
  test('when onLeased is wait, then a held cluster is parked without a slot and applied once the lease is released', async () => {
    await env.run(
      {
        waves: [{ clusters: ['a', 'b'], maxParallel: 1 }],
        onLeased: 'wait',
        limits: leaseChecks(0.2),
        stubs: { leasedBy: { a: 'other-op' } },
      },
      async (op) => {
        await eventually(() => op.stubs.outcomes().get('b') === 'succeeded', 'b to run while a waits');
        await eventually(() => selectsOf(op, 'a') >= 3, 'a to be looked at again');
        assert.deepEqual(op.stubs.appliedIds(), ['b']);
        op.stubs.leasedBy.delete('a');
        const done = await op.result();
        assert.equal(done.state, 'completed');
        assert.deepEqual(op.stubs.appliedIds(), ['b', 'a']);
        assert.equal(
          op.stubs.callsOf('selectCluster').every((s) => s.onLeased === 'wait'),
          true,
        );
        await recordHistories(op.client, op.id, [1], 'parked-lease');
      },
    );
  });

  test('when onLeased is skip, then a held cluster is skipped leased_by', async () => {
    await env.run(
      { waves: [{ clusters: ['a', 'b'] }], onLeased: 'skip', stubs: { leasedBy: { a: 'other-op' } } },
      async (op) => {
        const done = await op.result();
        assert.equal(done.state, 'completed');
        assert.deepEqual(op.stubs.appliedIds(), ['b']);
        assert.equal(selectsOf(op, 'a'), 1);
      },
    );
  });

  test('when the lease is still held at the deadline, then the cluster ends skipped leased_by its holder', async () => {
    await env.run(
      {
        waves: [{ clusters: ['a'] }],
        onLeased: 'wait',
        // Far enough out that the first select comes before it even on a loaded machine.
        deadline: inSeconds(8),
        limits: leaseChecks(30),
        stubs: { leasedBy: { a: 'other-op' } },
      },
      async (op) => {
        const done = await op.result();
        assert.equal(done.state, 'completed');
        assert.deepEqual(op.stubs.appliedIds(), []);
        assert.deepEqual(finished(op), [['a', 'skipped', 'leased_by:other-op']]);
        // The 30 s check was cut short by the deadline.
        assert.equal(selectsOf(op, 'a'), 1);
        await recordHistories(op.client, op.id, [1], 'parked-lease-deadline');
      },
    );
  });
});

describe('continue-as-new', SIDE_BY_SIDE, () => {
  test('when a wave continues as new with parked clusters, then they are carried and applied in a later run', async () => {
    const ids = clusters('c', 60);
    await env.run(
      {
        waves: [{ clusters: ['w', 'l', ...ids], maxParallel: 10 }],
        onLeased: 'wait',
        limits: leaseChecks(0.3),
        // w's window opens late enough that w is still parked when the wave continues as new, even on a
        // slow machine.
        stubs: { holdApplies: true, windowOpensInMs: { w: 4000 }, leasedBy: { l: 'other-op' } },
      },
      async (op) => {
        await eventually(() => op.stubs.applies.keys.length === 10, 'ten in flight');
        op.stubs.applies.open();
        const runs = await eventually(
          async () => {
            const found = await env.runsOf(waveWorkflowId(op.id, 1));
            return found.length >= 2 ? found : undefined;
          },
          'the wave to continue as new',
          30_000,
        );
        // The second run started with parked clusters in its carried progress; the held one is there, parked
        // or (when its look came due just then) queued to be looked at again.
        const { carried } = await startInput(op, waveWorkflowId(op.id, 1), runs[1]!);
        assert.ok(carried.parked.length > 0, JSON.stringify(carried));
        const waiting = [...carried.parked, ...carried.queue].map((w: { clusterId: string }) => w.clusterId);
        assert.ok(waiting.includes('l'), JSON.stringify(carried));
        assert.ok(!op.stubs.appliedIds().includes('l'), 'a cluster was applied while another operation held it');
        op.stubs.leasedBy.delete('l');
        const done = await op.result(60_000);
        assert.equal(done.state, 'completed');
        const applied = op.stubs.appliedIds();
        assert.equal(applied.length, 62, 'a cluster was applied twice or lost');
        assert.deepEqual([...new Set(applied)].sort(), ['l', 'w', ...ids].sort());
        const applyOfW = op.stubs.calls.find((c) => c.name === 'applyToCluster' && (c.input as any).clusterId === 'w');
        assert.ok(applyOfW!.at >= op.stubs.windowOpensAt.get('w')!, 'w was applied before its window opened');
      },
    );
  });
});

/** The input a workflow run started with, as its history records it. */
async function startInput(op: RunningOperation, workflowId: string, runId: string): Promise<any> {
  const history = await op.client.workflow.getHandle(workflowId, runId).fetchHistory();
  const payload = history.events?.[0]?.workflowExecutionStartedEventAttributes?.input?.payloads?.[0];
  return JSON.parse(Buffer.from(payload!.data!).toString('utf8'));
}
