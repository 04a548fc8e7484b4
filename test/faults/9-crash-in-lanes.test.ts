// Fault 9: the worker process dies (SIGKILL) while a wave runs in lanes, just after one lane has continued
// as new, and is started again. The runner suggests continue-as-new after 200 events, so each lane of a
// wave of 60 clusters continues on its own.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { waveWorkflowId } from '../../domain/ids';
import { applyRows, assertRanCleanly, continuedRuns } from './helpers/checks';
import { eventually, measured, seed, startOperation, useFaultStack, waitForState } from './helpers/stack';

const stack = useFaultStack();

/** How many runs of the wave's lanes continued as new, lane by lane. */
async function continuedPerLane(operationId: string, lanes: number): Promise<number[]> {
  const laneIds = Array.from({ length: lanes }, (_, k) => `${waveWorkflowId(operationId, 1)}/lane-${k + 1}`);
  return Promise.all(laneIds.map(async (id) => (await continuedRuns(stack.temporal, id)).length));
}

test('when the worker is killed with SIGKILL while a wave runs in three lanes, then every lane goes on: each cluster applied once per key, no overlap, no lease left', async (t) => {
  await measured(t, async (report) => {
    // Applies of 50 to 320 ms: the clusters in flight are at different steps when a lane hands over.
    const ids = await seed(stack.api.url, 60, (i) => ({
      type: 'simulated',
      config: { applyMs: 50 + ((i * 37) % 10) * 30 },
    }));
    const op = await startOperation(stack.api.url, {
      action: { type: 'upgrade', targetVersion: '3.7.1' },
      selector: { ids },
      defaults: { maxParallel: 9 },
      limits: { waveLanes: 3 },
    });

    await eventually(
      'a lane continued as new',
      async () => (await continuedPerLane(op.id, 3)).some((n) => n > 0),
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

    const continued = await continuedPerLane(op.id, 3);
    report({
      clusters: ids.length,
      lanes: 3,
      laneRunsContinued: continued.join('/'),
      appliesAtKill,
      recoverySeconds: ((performance.now() - killedAt) / 1000).toFixed(1),
    });
  });
});
