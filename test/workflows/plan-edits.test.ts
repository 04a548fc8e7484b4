// Live plan edits with stub activities (no database): editWave, moveCluster and appendWave change what the
// running operation does next, their validators refuse with a reason and leave no event in history, and the
// handlers audit what they applied.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ApplicationFailure, WorkflowUpdateFailedError } from '@temporalio/client';
import { MOVED_AWAY } from '../../domain/plan-edits';
import {
  appendWaveUpdate,
  editWaveUpdate,
  moveClusterUpdate,
  waveSetMaxFailuresSignal,
} from '../../workflows/messages';
import { clusters, eventually, workflowTestEnv, SIDE_BY_SIDE, type RunningOperation } from './harness';
import { recordHistories } from './record-history';

const env = workflowTestEnv();

/** The update's failure as [type, message]: the type is the reason the API answers as its error code. */
async function refusal(sent: Promise<unknown>): Promise<[string, string]> {
  try {
    await sent;
  } catch (err) {
    assert.ok(err instanceof WorkflowUpdateFailedError, String(err));
    const cause = err.cause;
    assert.ok(cause instanceof ApplicationFailure, String(cause));
    return [cause.type ?? '', cause.message];
  }
  return assert.fail('the update was accepted');
}

/** The names of the updates the operation's history holds (accepted ones: a refused update leaves none). */
async function updatesInHistory(op: RunningOperation): Promise<string[]> {
  const history = await op.handle.fetchHistory();
  return (history.events ?? [])
    .map((event) => event.workflowExecutionUpdateAcceptedEventAttributes?.acceptedRequest?.input?.name)
    .filter((name): name is string => typeof name === 'string');
}

const editRows = (op: RunningOperation) => [...op.stubs.audited.values()].filter((row) => row.action === 'edit');

describe('editWave', SIDE_BY_SIDE, () => {
  test('when maxFailures and the bake are raised for the running and later waves, then the running wave keeps going and bakes', async () => {
    await env.run(
      {
        waves: [{ clusters: clusters('a', 4) }, { clusters: clusters('b', 2) }],
        stubs: { holdApplies: true, failApply: ['a-00', 'a-01'] },
      },
      async (op) => {
        await eventually(() => op.stubs.applies.keys.length === 1, 'a-00 in flight');
        const answer = await op.handle.executeUpdate(editWaveUpdate, {
          args: [{ by: 'erin', maxFailures: 2, bakeSeconds: 0.3, maxParallel: 2 }],
        });
        assert.deepEqual(answer, { maxFailures: 2, bakeSeconds: 0.3, maxParallel: 2, waves: [1, 2] });
        await op.waitForRelay(waveSetMaxFailuresSignal);
        op.stubs.applies.open();
        const baking = await op.waitForStatus((s) => s.waves[0]!.state === 'baking', 'wave 1 baking');
        assert.equal(baking.failuresTotal, 2, 'two failures within the raised budget');
        const done = await op.result();
        assert.equal(done.state, 'completed');
        assert.deepEqual(
          done.editedWaves?.map((w) => [w.maxFailures, w.bakeSeconds]),
          [
            [2, 0.3],
            [2, 0.3],
          ],
        );
        const last = op.stubs.snapshots.at(-1)!.snapshot;
        assert.deepEqual(last.waveKnobs, [
          { number: 1, maxParallel: 2, maxFailures: 2, bakeSeconds: 0.3 },
          { number: 2, maxParallel: 2, maxFailures: 2, bakeSeconds: 0.3 },
        ]);
        const [row] = editRows(op);
        assert.equal(row?.by, 'erin');
        assert.equal(row?.via, 'temporal');
        assert.equal(row?.role, 'temporal');
        assert.deepEqual(row?.details.waves, [1, 2]);
        await recordHistories(op.client, op.id, [1], 'plan-edit-knobs');
      },
    );
  });

  test('when maxFailures of the running wave is lowered below its failures, then it stops at once', async () => {
    await env.run(
      { waves: [{ clusters: clusters('a', 4), maxFailures: 3 }], stubs: { holdApplies: true, failApply: ['a-00'] } },
      async (op) => {
        await eventually(() => op.stubs.applies.keys.length === 1, 'a-00 in flight');
        op.stubs.applies.release('a-00');
        await eventually(() => op.stubs.applies.keys.includes('a-01'), 'a-01 in flight after a-00 failed');
        await op.handle.executeUpdate(editWaveUpdate, { args: [{ by: 'erin', wave: 1, maxFailures: 0 }] });
        await op.waitForRelay(waveSetMaxFailuresSignal);
        op.stubs.applies.open();
        const paused = await op.waitForStatus((s) => s.state === 'paused', 'paused by the budget');
        assert.equal(paused.pauseReason, 'failure_budget_exceeded');
        assert.deepEqual(op.stubs.appliedIds(), ['a-00', 'a-01'], 'nothing started after the edit');
      },
    );
  });

  test('when an edit is invalid, then its validator refuses it with a reason and the history holds no trace of it', async () => {
    await env.run({ waves: [{ clusters: ['a'] }, { clusters: ['b'] }], stubs: { holdApplies: true } }, async (op) => {
      await eventually(() => op.stubs.applies.keys.length === 1, 'a in flight');
      const before = (await op.handle.describe()).historyLength;
      const edit = (args: object) => refusal(op.handle.executeUpdate(editWaveUpdate, { args: [args as never] }));
      assert.equal((await edit({ by: 'erin' }))[0], 'nothing_to_change');
      assert.equal((await edit({ maxFailures: 1 }))[0], 'by_required');
      assert.equal((await edit({ by: 'erin', maxParallel: 0 }))[0], 'invalid_value');
      assert.equal((await edit({ by: 'erin', maxFailures: -1 }))[0], 'invalid_value');
      assert.equal((await edit({ by: 'erin', bakeSeconds: 'soon' }))[0], 'invalid_value');
      assert.deepEqual(await edit({ by: 'erin', wave: 9, maxFailures: 1 }), [
        'unknown_wave',
        'the operation has no wave 9: its waves are 1 to 2',
      ]);
      assert.equal((await op.handle.describe()).historyLength, before, 'a refused edit wrote history');
      assert.deepEqual(await updatesInHistory(op), []);
      op.stubs.applies.release('a');
      await eventually(() => op.stubs.applies.keys.includes('b'), 'b in flight');
      assert.equal((await edit({ by: 'erin', wave: 1, bakeSeconds: 1 }))[0], 'wave_finished');
      op.stubs.applies.open();
      assert.equal((await op.result()).state, 'completed');
      assert.equal(editRows(op).length, 0);
    });
  });

  test('when the bake of a baking wave is cut short, then the next wave starts', async () => {
    await env.run({ waves: [{ clusters: ['a'], bakeSeconds: 60 }, { clusters: ['b'] }] }, async (op) => {
      await op.waitForStatus((s) => s.waves[0]!.state === 'baking', 'wave 1 baking for a minute');
      await op.handle.executeUpdate(editWaveUpdate, { args: [{ by: 'erin', wave: 1, bakeSeconds: 0.1 }] });
      const done = await op.result(10_000);
      assert.equal(done.state, 'completed');
      assert.deepEqual(op.stubs.appliedIds(), ['a', 'b']);
      await recordHistories(op.client, op.id, [1], 'plan-edit-bake');
    });
  });
});

describe('moveCluster', SIDE_BY_SIDE, () => {
  test('when a pending cluster of the running wave moves to a later wave, then that wave runs it', async () => {
    await env.run(
      {
        waves: [{ clusters: clusters('a', 3) }, { clusters: ['b-00'] }, { clusters: ['c-00'] }],
        stubs: { holdApplies: true },
      },
      async (op) => {
        await eventually(() => op.stubs.applies.keys.length === 1, 'a-00 in flight');
        const answer = await op.handle.executeUpdate(moveClusterUpdate, {
          args: [{ by: 'erin', clusterId: 'a-02', toWave: 3, fromWave: 1 }],
        });
        assert.deepEqual(answer, {
          clusterId: 'a-02',
          fromWave: 1,
          toWave: 3,
          message: 'a-02 moved from wave 1 to wave 3',
        });
        const status = await op.status();
        assert.deepEqual(
          status.editedWaves?.map((w) => w.size),
          [2, 1, 2],
        );
        assert.equal(status.planRevision, 1);
        // The cluster in flight has started: the engine refuses to move it (the validator could not know).
        const [reason] = await refusal(
          op.handle.executeUpdate(moveClusterUpdate, { args: [{ by: 'erin', clusterId: 'a-00', toWave: 2 }] }),
        );
        assert.equal(reason, 'not_pending');
        op.stubs.applies.open();
        assert.equal((await op.result()).state, 'completed');
        assert.deepEqual(op.stubs.appliedIds(1), ['a-00', 'a-01']);
        assert.deepEqual(op.stubs.appliedIds(3), ['a-02', 'c-00']);
        // The wave had the cluster queued already: its select found it moved (MOVED_AWAY) and left it to wave 3.
        const moved = op.stubs.callsOf('selectCluster').filter((s) => s.clusterId === 'a-02');
        assert.deepEqual(
          moved.map((s) => s.wave),
          [1, 3],
        );
        assert.equal(op.stubs.outcomes().get('a-02'), 'succeeded');
        assert.ok(MOVED_AWAY);
        await recordHistories(op.client, op.id, [1, 3], 'plan-edit-move');
      },
    );
  });

  test('when a move names a wave that started, an earlier wave or no wave, then the validator refuses it and leaves no trace', async () => {
    await env.run(
      {
        waves: [{ clusters: clusters('a', 2) }, { clusters: ['b'], approval: 'manual' }],
        stubs: { holdApplies: true },
      },
      async (op) => {
        await eventually(() => op.stubs.applies.keys.length === 1, 'a-00 in flight');
        const before = (await op.handle.describe()).historyLength;
        const move = (args: object) => refusal(op.handle.executeUpdate(moveClusterUpdate, { args: [args as never] }));
        assert.equal((await move({ by: 'erin', clusterId: 'a-01', toWave: 1 }))[0], 'wave_started');
        assert.equal((await move({ by: 'erin', clusterId: 'a-01', toWave: 5 }))[0], 'unknown_wave');
        assert.equal((await move({ by: 'erin', clusterId: 'b', toWave: 2, fromWave: 2 }))[0], 'not_later_wave');
        assert.equal((await move({ by: 'erin', toWave: 2 }))[0], 'cluster_required');
        assert.equal((await move({ clusterId: 'a-01', toWave: 2 }))[0], 'by_required');
        assert.equal((await op.handle.describe()).historyLength, before, 'a refused move wrote history');
        assert.deepEqual(await updatesInHistory(op), []);

        // Into a wave waiting for its approval: allowed, and the wave runs it once approved.
        await op.handle.executeUpdate(moveClusterUpdate, { args: [{ by: 'erin', clusterId: 'a-01', toWave: 2 }] });
        op.stubs.applies.open();
        await op.waitForStatus((s) => s.state === 'awaiting_approval', 'wave 2 awaiting approval');
        await op.handle.executeUpdate(editWaveUpdate, { args: [{ by: 'erin', wave: 2, maxParallel: 2 }] });
        op.stubs.applyMs = 300;
        await op.handle.signal('approveWave', { wave: 2, by: 'carol' });
        assert.equal((await op.result()).state, 'completed');
        assert.deepEqual(op.stubs.appliedIds(2).sort(), ['a-01', 'b']);
        assert.equal(op.stubs.mostAppliesAtOnce(2), 2);
      },
    );
  });
});

describe('appendWave', SIDE_BY_SIDE, () => {
  test('when a wave is appended while the last one runs, then it runs after it with its own knobs', async () => {
    await env.run({ waves: [{ clusters: ['a'] }], stubs: { holdApplies: true } }, async (op) => {
      await eventually(() => op.stubs.applies.keys.length === 1, 'a in flight');
      op.stubs.staged.set('edit-1', ['z-00', 'z-01', 'z-02']);
      const answer = await op.handle.executeUpdate(appendWaveUpdate, {
        args: [{ by: 'erin', name: 'late', staged: 'edit-1', size: 3, maxParallel: 3 }],
      });
      assert.deepEqual(answer.wave, {
        number: 2,
        name: 'late',
        size: 3,
        maxParallel: 3,
        maxFailures: 0,
        bakeSeconds: 0,
        approval: 'none',
      });
      const status = await op.status();
      assert.deepEqual(
        status.waves.map((w) => [w.name, w.state]),
        [
          ['wave-1', 'running'],
          ['late', 'pending'],
        ],
      );
      const refused = (args: object) => refusal(op.handle.executeUpdate(appendWaveUpdate, { args: [args as never] }));
      assert.equal((await refused({ by: 'erin', name: 'late', staged: 'x', size: 1 }))[0], 'wave_name_taken');
      assert.equal((await refused({ by: 'erin', name: 'empty', staged: 'x', size: 0 }))[0], 'empty_wave');
      assert.equal((await refused({ by: 'erin', name: 'none' }))[0], 'selection_required');
      assert.equal((await refused({ by: 'erin', name: 'Bad Name', selector: {} }))[0], 'invalid_value');
      assert.deepEqual(await updatesInHistory(op), ['appendWave']);
      op.stubs.applyMs = 300;
      op.stubs.applies.open();
      const done = await op.result();
      assert.equal(done.state, 'completed');
      assert.deepEqual(op.stubs.appliedIds(2).sort(), ['z-00', 'z-01', 'z-02']);
      assert.equal(op.stubs.mostAppliesAtOnce(2), 3);
      const row = [...op.stubs.edits.values()][0]!.input as { by: string; via: string; wave: { number: number } };
      assert.deepEqual([row.by, row.via, row.wave.number], ['erin', 'temporal', 2]);
      await recordHistories(op.client, op.id, [1, 2], 'plan-edit-append');
    });
  });

  test('when the appended clusters are all held already, then the engine refuses it and the plan is unchanged', async () => {
    await env.run({ waves: [{ clusters: ['a', 'b'], approval: 'manual' }] }, async (op) => {
      await op.waitForStatus((s) => s.state === 'awaiting_approval', 'awaiting approval');
      const [reason] = await refusal(
        op.handle.executeUpdate(appendWaveUpdate, { args: [{ by: 'erin', name: 'dup', selector: { ids: ['a'] } }] }),
      );
      assert.equal(reason, 'empty_wave');
      const status = await op.status();
      assert.equal(status.waves.length, 1);
      assert.equal(status.editedWaves, undefined);
      await op.handle.signal('cancel', { by: 'erin' });
      const done = await op.result();
      assert.equal(done.state, 'cancelled');
    });
  });
});
