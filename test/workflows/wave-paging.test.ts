// A wave reads its plan a page at a time (loadWaveClusters with after and limit): nothing it carries across
// continue-as-new, hands back at a budget stop, or the parent keeps grows with the wave. Pages here hold
// 100 clusters (the smallest page), so a wave of 210 takes three.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { waveWorkflowId } from '../../domain/ids';
import { resumeSignal, retryClusterSignal } from '../../workflows/messages';
import { pageSize } from '../../workflows/wave';
import { workflowTestEnv, SIDE_BY_SIDE } from './harness';
import { recordHistories } from './record-history';
import { inputsOfRuns } from './run-inputs';

const env = workflowTestEnv();

/** `count` cluster ids in id order: `p-000`, `p-001`, … */
function planOf(count: number): string[] {
  return Array.from({ length: count }, (_, i) => `p-${String(i).padStart(3, '0')}`);
}

describe('a wave pages its plan', SIDE_BY_SIDE, () => {
  test('when a wave is larger than a page, then it reads page after page, carries only its cursor and buffer, and runs every cluster once', async () => {
    const plan = planOf(210);
    const page = pageSize(10);
    assert.equal(page, 100);
    await env.run({ waves: [{ clusters: plan, maxParallel: 10 }] }, async (op) => {
      const done = await op.result(120_000);
      assert.equal(done.state, 'completed');
      const applied = op.stubs.appliedIds();
      assert.equal(applied.length, 210, 'a cluster was applied twice or lost');
      assert.deepEqual([...new Set(applied)].sort(), plan);

      const loads = op.stubs.callsOf('loadWaveClusters');
      assert.deepEqual(
        loads.map((l) => [l.after, l.limit]),
        [
          ['', page],
          ['p-099', page],
          ['p-199', page],
        ],
        'the plan was not read once, page by page',
      );

      // Continue-as-new happened mid-wave (the test server suggests it after 200 events) and carried a
      // cursor and at most a page or two of clusters: never the plan.
      const waveId = waveWorkflowId(op.id, 1);
      const runs = await env.runsOf(waveId);
      assert.ok(runs.length >= 3, `the wave ran in ${runs.length} run(s)`);
      const continued = (await inputsOfRuns(op.client, waveId, runs)).slice(1);
      for (const input of continued) {
        const carried = input.carried!;
        assert.ok(carried.cursor, 'a continued run lost its cursor');
        assert.ok(carried.queue.length <= 2 * page, `a run carried ${carried.queue.length} queued clusters`);
        assert.equal(input.onlyClusters, undefined);
      }
      assert.ok(
        continued.some((input) => input.carried!.cursor!.after !== 'p-209'),
        'no run continued mid-plan',
      );
      assert.equal(done.notStarted.length, 0);
      // The last run of the wave: started from a carried cursor and buffer.
      await recordHistories(op.client, op.id, [1], 'paged-continue-as-new');
    });
  });

  test('when a paging wave stops on its budget, then it hands back only what it loaded and the resumed wave pages on, the retried cluster at its next attempt', async () => {
    const plan = planOf(210);
    const failing = 'p-005';
    await env.run(
      { waves: [{ clusters: plan, maxParallel: 10, maxFailures: 0 }], stubs: { failApply: [failing] } },
      async (op) => {
        const paused = await op.waitForStatus((s) => s.state === 'paused', 'the budget pause', 60_000);
        assert.equal(paused.pauseReason, 'failure_budget_exceeded');
        // What never started and stays in the parent is what the wave had loaded: one page at most.
        assert.ok(paused.notStarted.length > 0);
        assert.ok(paused.notStarted.length <= 100, `${paused.notStarted.length} clusters handed back`);
        assert.ok(paused.notStarted.every((w) => w.attempt === 1 && w.clusterId <= 'p-099'));
        const loadsBeforeResume = op.stubs.callsOf('loadWaveClusters').length;

        op.stubs.failApply.delete(failing);
        await op.handle.signal(retryClusterSignal, { clusterId: failing, by: 'bob' });
        await op.waitForStatus((s) => s.pendingRetries.some((w) => w.clusterId === failing), 'the retry kept');
        await op.handle.signal(resumeSignal, { by: 'bob' });

        const done = await op.result(120_000);
        assert.equal(done.state, 'completed');
        assert.equal(done.waves[0]!.runs, 2);
        assert.deepEqual(op.stubs.attemptsOf(failing), [1, 2]);
        const applied = op.stubs.appliedIds();
        assert.equal(applied.length, 211, 'a cluster was applied twice or lost');
        assert.deepEqual([...new Set(applied)].sort(), plan);
        assert.ok(op.stubs.applied.filter((a) => a.clusterId !== failing).every((a) => a.attempt === 1));

        // The rerun read the rest of the plan from the stopped wave's cursor: never from the start again.
        const loads = op.stubs.callsOf('loadWaveClusters');
        assert.equal(loads.filter((l) => l.after === '').length, 1);
        const resumed = loads.slice(loadsBeforeResume);
        assert.ok(resumed.length > 0, 'the resumed wave read no page');
        assert.ok(resumed.every((l) => (l.after ?? '') >= 'p-099'));
        assert.deepEqual(done.notStarted, []);
        // The second child of the wave: the clusters handed back, resumeAfter, and the retry at attempt 2.
        await recordHistories(op.client, op.id, [1], 'paged-budget-resume');
      },
    );
  });
});
