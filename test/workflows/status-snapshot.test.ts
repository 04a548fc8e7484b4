// The status snapshot the operation workflow writes to PostgreSQL, with stub activities (no database):
// written when the state changes, never per cluster, written before an action is answered, and the last
// one written is the final state.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { snapshotOf } from '../../domain/operation-status';
import type { OperatorActionInput } from '../../domain/workflow-contracts';
import { operatorActionUpdate, pauseSignal, setMaxParallelUpdate } from '../../workflows/messages';
import { clusters, eventually, workflowTestEnv, SIDE_BY_SIDE } from './harness';
import { recordHistories } from './record-history';

const env = workflowTestEnv();
const api = { via: 'api' as const, role: 'operator' };

describe('status snapshots', SIDE_BY_SIDE, () => {
  test('when an operation runs a large wave, then it writes a handful of snapshots, none per cluster, the last one final', async () => {
    const ids = clusters('a', 40);
    await env.run({ waves: [{ clusters: ids, maxParallel: 10 }, { clusters: ['b'] }] }, async (op) => {
      const done = await op.result();
      assert.equal(done.state, 'completed');
      const written = op.stubs.snapshots;
      assert.ok(written.length >= 2 && written.length <= 8, `${written.length} snapshots for 41 clusters`);
      assert.ok(written.every((w) => w.operationId === op.id));
      // Each write differs from the one before: an unchanged state is never written again.
      const bodies = written.map((w) => JSON.stringify(w.snapshot));
      assert.equal(new Set(bodies).size, bodies.length);
      assert.deepEqual(written.at(-1)!.snapshot, snapshotOf(done));
      await recordHistories(op.client, op.id, [], 'status-snapshot-stub');
    });
  });

  test('when an action is applied through the update, then the snapshot showing it is written before the answer', async () => {
    await env.run({ waves: [{ clusters: ['a'], approval: 'manual' }] }, async (op) => {
      await op.waitForStatus((s) => s.state === 'awaiting_approval', 'awaiting_approval');
      await eventually(() => op.stubs.snapshots.at(-1)?.snapshot.state === 'awaiting_approval', 'waiting written');
      const action: OperatorActionInput = { action: 'pause', by: 'dave', ...api, actionId: 'p1' };
      const answer = await op.handle.executeUpdate(operatorActionUpdate, { args: [action], updateId: 'p1' });
      assert.equal(answer.outcome, 'applied');
      const last = op.stubs.snapshots.at(-1)!.snapshot;
      assert.equal(last.state, 'paused');
      assert.equal(last.pauseReason, 'operator');
      assert.deepEqual(last.pendingApproval, { wave: 1 });

      const approve = { action: 'approve' as const, wave: 1, by: 'carol', ...api, actionId: 'a1' };
      await op.handle.executeUpdate(operatorActionUpdate, { args: [approve], updateId: 'a1' });
      const approved = op.stubs.snapshots.at(-1)!.snapshot;
      assert.equal(approved.pendingApproval, null);
      assert.equal(approved.waves[0]!.approvedBy, 'carol');

      // A rejected action changes nothing, so it writes nothing.
      const before = op.stubs.snapshots.length;
      const again = await op.handle.executeUpdate(operatorActionUpdate, {
        args: [{ ...action, actionId: 'p2' }],
        updateId: 'p2',
      });
      assert.equal(again.reason, 'already_paused');
      assert.equal(op.stubs.snapshots.length, before);

      await op.handle.executeUpdate(setMaxParallelUpdate, { args: [{ maxParallel: 3, by: 'dave' }] });
      assert.equal(op.stubs.snapshots.at(-1)!.snapshot.maxParallelOverride, 3);

      const resume = { action: 'resume' as const, by: 'dave', ...api, actionId: 'r1' };
      await op.handle.executeUpdate(operatorActionUpdate, { args: [resume], updateId: 'r1' });
      const done = await op.result();
      assert.equal(op.stubs.snapshots.at(-1)!.snapshot.state, done.state);
    });
  });

  test('when actions come as signals in a burst, then they are written together, not one write each', async () => {
    await env.run({ waves: [{ clusters: ['a'], approval: 'manual' }] }, async (op) => {
      await op.waitForStatus((s) => s.state === 'awaiting_approval', 'awaiting_approval');
      await eventually(() => op.stubs.snapshots.at(-1)?.snapshot.state === 'awaiting_approval', 'waiting written');
      const before = op.stubs.snapshots.length;
      await Promise.all(
        ['a', 'b', 'c', 'd', 'e'].map((who) =>
          op.handle.executeUpdate(setMaxParallelUpdate, { args: [{ maxParallel: 2, by: who }] }),
        ),
      );
      await op.handle.signal(pauseSignal, { by: 'dave' });
      await eventually(() => op.stubs.snapshots.at(-1)?.snapshot.state === 'paused', 'paused written');
      assert.ok(op.stubs.snapshots.length - before <= 4, `${op.stubs.snapshots.length - before} writes`);
    });
  });
});
