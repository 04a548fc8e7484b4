// Fault 1: the worker process dies (SIGKILL) in the middle of applies and is started again.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  applyRows,
  assertAllSucceeded,
  assertAppliedOncePerKey,
  assertNoLeases,
  assertNoOverlap,
} from './helpers/checks';
import { eventually, measured, seed, startOperation, useFaultStack, waitForState } from './helpers/stack';

const stack = useFaultStack();

test('when the worker is killed with SIGKILL mid-apply and restarted, then the operation completes, every cluster is applied exactly once per key and no lease is left', async (t) => {
  await measured(t, async (report) => {
    const ids = await seed(stack.api.url, 4, () => ({ type: 'simulated', config: { applyMs: 800 } }));
    const op = await startOperation(stack.api.url, {
      action: { type: 'upgrade', targetVersion: '3.7.1' },
      selector: { ids },
      defaults: { maxParallel: 2 },
    });

    const inProgress = await eventually('an apply in progress', async () => {
      const running = (await applyRows(stack.db, ids)).filter((r) => r.status === 'running');
      return running.length > 0 ? running : undefined;
    });
    await stack.worker.kill();
    const killedAt = performance.now();
    await stack.worker.start();

    const done = await waitForState(stack.api.url, op.id, 'completed', 120_000);
    report({
      clusters: ids.length,
      killedDuringApplies: inProgress.length,
      recoverySeconds: ((performance.now() - killedAt) / 1000).toFixed(1),
    });
    assert.equal(done.counts.succeeded, ids.length);
    assert.equal(done.counts.failed, 0);
    await assertAllSucceeded(stack.db, op.id, ids, '3.7.1');

    const interrupted = await assertAppliedOncePerKey(stack.db, op.id, ids);
    // The killed attempts stay visible: their rows never finished (or were marked failed), and their keys later succeeded once.
    for (const row of inProgress)
      assert.ok(
        interrupted.some((r) => r.id === row.id),
        `killed attempt ${row.key} left no trace`,
      );
    report({ interruptedRows: interrupted.length, applyRows: (await applyRows(stack.db, ids)).length });
    await assertNoOverlap(stack.db, ids);
    await assertNoLeases(stack.db, ids);
    const sim = await stack.db.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM sim_clusters WHERE cluster_id = ANY($1) AND version = '3.7.1'`,
      [ids],
    );
    assert.equal(sim.rows[0]!.n, ids.length, 'the simulated control plane shows every cluster upgraded');
  });
});
