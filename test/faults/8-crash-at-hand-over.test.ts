// Fault 8: the worker process dies (SIGKILL) just as a wave has continued as new and handed its clusters in
// flight to its next run, and is started again. The runner suggests continue-as-new after 200 events, so a
// wave of 40 clusters continues several times.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { waveWorkflowId } from '../../domain/ids';
import { waveInputOf } from '../workflows/run-inputs';
import { applyRows, assertRanCleanly, continuedRuns } from './helpers/checks';
import { eventually, measured, seed, startOperation, useFaultStack, waitForState } from './helpers/stack';

const stack = useFaultStack();

test('when the worker is killed with SIGKILL as a wave hands its clusters over to its next run, then the next run takes them on: each applied once per key, no overlap, no lease left', async (t) => {
  await measured(t, async (report) => {
    // Applies of 50 to 320 ms: the clusters in flight are at different steps when a run hands over.
    const ids = await seed(stack.api.url, 40, (i) => ({
      type: 'simulated',
      config: { applyMs: 50 + ((i * 37) % 10) * 30 },
    }));
    const op = await startOperation(stack.api.url, {
      action: { type: 'upgrade', targetVersion: '3.7.1' },
      selector: { ids },
      defaults: { maxParallel: 8 },
    });
    const waveId = waveWorkflowId(op.id, 1);

    await eventually(
      'the wave continued as new',
      async () => (await continuedRuns(stack.temporal, waveId)).length > 0,
      120_000,
    );
    await stack.worker.kill();
    const killedAt = performance.now();
    const appliesAtKill = (await applyRows(stack.db, ids)).length;
    await stack.worker.start();

    const done = await waitForState(stack.api.url, op.id, 'completed', 180_000);
    assert.equal(done.counts.succeeded, ids.length);
    assert.equal(done.counts.failed, 0);
    await assertRanCleanly(stack.db, op.id, ids, '3.7.1');

    const runs = await continuedRuns(stack.temporal, waveId);
    const latest = (await stack.temporal.workflow.getHandle(waveId).describe()).runId;
    let handedOver = 0;
    for (const runId of [...runs, latest]) {
      const input = waveInputOf(await stack.temporal.workflow.getHandle(waveId, runId).fetchHistory());
      handedOver += input.carried?.handedOver?.length ?? 0;
    }
    report({
      clusters: ids.length,
      waveRuns: runs.length + 1,
      clustersHandedOver: handedOver,
      appliesAtKill,
      recoverySeconds: ((performance.now() - killedAt) / 1000).toFixed(1),
    });
    assert.ok(handedOver > 0, 'no run of the wave handed a cluster over');
  });
});
