// Continue-as-new of a long wave and of an operation with many waves, with the state each carries; the
// dev server suggests continue-as-new after 200 events (scripts/test.ts), so small fleets reach it.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Client } from '@temporalio/client';
import { waveWorkflowId } from '../../domain/ids';
import { SUGGEST_CONTINUE_AS_NEW_AT } from '../../scripts/lib/test-stack';
import { approveWaveSignal, setMaxParallelUpdate, skipClusterSignal, waveSkipSignal } from '../../workflows/messages';
import { clusters, eventually, workflowTestEnv, SIDE_BY_SIDE, type RunningOperation } from './harness';
import { inputsOfRuns } from './run-inputs';
import { FROM_VERSION, type ActivityName, type StubActivities } from './stubs';

const env = workflowTestEnv();

/** How many times each cluster went through one activity. */
function timesEach(stubs: StubActivities, name: ActivityName): Map<string, number> {
  const times = new Map<string, number>();
  for (const call of stubs.calls) {
    if (call.name === name) {
      const { clusterId } = call.input as { clusterId: string };
      times.set(clusterId, (times.get(clusterId) ?? 0) + 1);
    }
  }
  return times;
}

/** Applies of 10 to 100 ms, so that the clusters in flight are at different steps when a run hands over. */
function outOfStep(ids: string[]): Record<string, number> {
  return Object.fromEntries(ids.map((id, i) => [id, 10 + ((i * 37) % 10) * 10]));
}

/**
 * Lets `clusterId`'s held apply go once wave 1's first run is handing over: past the history the dev server
 * suggests continue-as-new at, with that apply the only activity open and no workflow task pending. A run
 * that was not handing over would have started the queue's next cluster in a free slot, so the apply ends
 * inside the hand-over and the cluster is handed over, however fast the other clusters ran.
 */
async function releaseAtHandOver(op: RunningOperation, clusterId: string): Promise<void> {
  const handle = op.client.workflow.getHandle(waveWorkflowId(op.id, 1));
  await eventually(async () => {
    const { historyLength, raw } = await handle.describe();
    const open = raw.pendingActivities ?? [];
    return historyLength >= SUGGEST_CONTINUE_AS_NEW_AT && open.length === 1 && !raw.pendingWorkflowTask;
  }, 'the first run handing over with one apply held');
  op.stubs.applies.release(clusterId);
}

/** The clusters every continued run of wave 1 was handed by the run before it. */
async function handedOver(op: { id: string; client: Client }, runs: string[]) {
  const inputs = await inputsOfRuns(op.client, waveWorkflowId(op.id, 1), runs);
  return inputs.flatMap((input) => input.carried?.handedOver ?? []);
}

describe('continue-as-new', SIDE_BY_SIDE, () => {
  test('when a wave outgrows its history, then it continues as new and carries its queue and counts', async () => {
    const ids = clusters('c', 80);
    const [early, late, skipped] = [ids[5]!, ids[75]!, ids[79]!];
    await env.run(
      {
        waves: [{ clusters: ids, maxParallel: 10, maxFailures: 5 }],
        stubs: { holdApplies: true, failApply: [early, late] },
      },
      async (op) => {
        await eventually(() => op.stubs.applies.keys.length === 10, 'the first ten in flight');
        await op.handle.signal(skipClusterSignal, { clusterId: skipped, by: 'bob' });
        await op.waitForRelay(waveSkipSignal);
        op.stubs.applies.open();

        const done = await op.result();
        assert.equal(done.state, 'completed');
        const runs = await env.runsOf(waveWorkflowId(op.id, 1));
        assert.ok(runs.length >= 2, `the wave ran in ${runs.length} run(s)`);
        // Failures from before and after continue-as-new both reach the operation.
        assert.equal(done.failuresTotal, 2);
        assert.deepEqual(done.waves[0]!.runs, 1, 'continue-as-new is not a new child of the wave');
        const applied = op.stubs.appliedIds();
        assert.equal(applied.length, 79, 'a cluster was applied twice or lost');
        assert.deepEqual(
          [...new Set(applied)].sort(),
          ids.filter((id) => id !== skipped),
        );
        const outcomes = op.stubs.outcomes();
        assert.equal(outcomes.get(early), 'failed');
        assert.equal(outcomes.get(late), 'failed');
        assert.equal(op.stubs.callsOf('loadWaveClusters').length, 1, 'a continued wave loaded its plan again');
      },
    );
  });

  test('when an operation has many waves, then it continues as new between waves and carries approvals, skips and counts', async () => {
    // About ten history events per wave: the suggestion at 200 events comes around wave 18.
    const ids = Array.from({ length: 22 }, (_, i) => `w${i + 1}`);
    const waves = ids.map((id) => ({ clusters: [id], maxFailures: 1 }));
    Object.assign(waves[1]!, { approval: 'manual' });
    Object.assign(waves[21]!, { approval: 'manual' });
    // Filler waves cost fewer round trips when select finds nothing to do.
    const eligible = ['w1', 'w3', 'w10', 'w21', 'w22'];
    const notEligible = Object.fromEntries(
      ids.filter((id) => !eligible.includes(id)).map((id) => [id, 'already_at_target']),
    );
    await env.run({ waves, stubs: { holdApplies: true, failApply: ['w3'], notEligible } }, async (op) => {
      await eventually(() => op.stubs.applies.keys.includes('w1'), 'w1 in flight');
      await op.handle.signal(skipClusterSignal, { clusterId: 'w21', by: 'bob' });
      await op.handle.executeUpdate(setMaxParallelUpdate, { args: [{ maxParallel: 2, by: 'erin' }] });
      op.stubs.applies.open();
      await op.waitForStatus((s) => s.pendingApproval?.wave === 2, 'approval of wave 2');
      await op.handle.signal(approveWaveSignal, { wave: 2, by: 'bob', comment: 'first' });

      // The second approval arrives at a later run: its handlers were registered again.
      const waiting = await op.waitForStatus((s) => s.pendingApproval?.wave === 22, 'approval of wave 22', 60_000);
      assert.ok((await env.runsOf(op.id)).length >= 2, 'the operation did not continue as new before wave 22');
      assert.equal(waiting.waves[1]!.approvedBy, 'bob');
      assert.equal(waiting.waves[1]!.approvalComment, 'first');
      await op.handle.signal(approveWaveSignal, { wave: 22, by: 'carol' });

      const done = await op.result(90_000);
      assert.equal(done.state, 'completed');
      assert.deepEqual(
        done.waves.map((w) => w.state),
        waves.map(() => 'completed'),
      );
      assert.deepEqual(done.waves.map((w) => w.approvedBy).filter(Boolean), ['bob', 'carol']);
      assert.deepEqual(done.skipped, [{ clusterId: 'w21', by: 'bob' }]);
      assert.equal(done.failuresTotal, 1);
      assert.equal(done.maxParallelOverride, 2);
      assert.equal(done.waveIndex, 22);
      assert.deepEqual(op.stubs.appliedIds(), ['w1', 'w3', 'w10', 'w22']);
      assert.ok(!op.stubs.callsOf('selectCluster').some((s) => s.clusterId === 'w21'));
      assert.deepEqual(op.stubs.callsOf('closeOperation'), [{ operationId: op.id, outcome: 'completed' }]);
    });
  });

  test('when a wave continues as new with clusters in flight, then the next run takes each on from its next step: none selected, applied or monitored twice', async () => {
    const ids = clusters('h', 60);
    const stubs = { applyMsOf: outOfStep(ids), holdApplies: [ids[0]!] };
    await env.run({ waves: [{ clusters: ids, maxParallel: 10 }], stubs }, async (op) => {
      await releaseAtHandOver(op, ids[0]!);
      const done = await op.result(120_000);
      assert.equal(done.state, 'completed');
      const runs = await env.runsOf(waveWorkflowId(op.id, 1));
      assert.ok(runs.length >= 2, `the wave ran in ${runs.length} run(s)`);
      const handed = await handedOver(op, runs);
      assert.ok(handed.length > 0, 'no run handed a cluster over');
      assert.ok(handed.every((c) => c.fromVersion === FROM_VERSION && c.attempt === 1));
      for (const name of ['selectCluster', 'applyToCluster', 'monitorCluster'] as const) {
        const times = timesEach(op.stubs, name);
        assert.deepEqual([...times.keys()].sort(), ids, `${name} missed a cluster`);
        assert.deepEqual(
          [...times].filter(([, n]) => n !== 1),
          [],
          `${name} ran twice for a cluster`,
        );
      }
      assert.ok(op.stubs.mostAppliesAtOnce(1) <= 10, `${op.stubs.mostAppliesAtOnce(1)} applies at once`);
      assert.ok([...op.stubs.outcomes().values()].every((o) => o === 'succeeded'));
    });
  });

  test('when a cluster handed over fails its monitor, then it is rolled back to the version the earlier run selected', async () => {
    const ids = clusters('r', 80);
    await env.run(
      {
        waves: [{ clusters: ids, maxParallel: 10, maxFailures: 100 }],
        rollbackOnFailure: true,
        stubs: { applyMsOf: outOfStep(ids), failMonitor: ids, holdApplies: [ids[0]!] },
      },
      async (op) => {
        await releaseAtHandOver(op, ids[0]!);
        const done = await op.result(120_000);
        assert.equal(done.state, 'completed');
        assert.equal(done.failuresTotal, 80);
        const handed = await handedOver(op, await env.runsOf(waveWorkflowId(op.id, 1)));
        assert.ok(handed.length > 0, 'no run handed a cluster over');
        const rollbacks = timesEach(op.stubs, 'rollbackCluster');
        assert.deepEqual([...rollbacks.keys()].sort(), ids);
        assert.ok(
          [...rollbacks.values()].every((n) => n === 1),
          'a cluster was rolled back twice',
        );
        assert.ok(op.stubs.callsOf('rollbackCluster').every((r) => r.fromVersion === FROM_VERSION));
        assert.ok([...op.stubs.outcomes().values()].every((o) => o === 'rolled_back'));
      },
    );
  });
});
