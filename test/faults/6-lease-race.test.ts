// Fault 6: operations racing for the same clusters, and a lease left behind by an operation whose workflow was terminated.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { call } from '../helpers/api';
import { applyRows, assertAllSucceeded, assertNoLeases, assertNoOverlap, leasesLeft, runsOf } from './helpers/checks';
import { eventually, measured, seed, startOperation, useFaultStack, waitForState } from './helpers/stack';

const stack = useFaultStack();

const RESTART = { type: 'restart' };

test('when two operations race for the same clusters, then no cluster is ever applied by both at once and the loser skips it as leased', async (t) => {
  await measured(t, async (report) => {
    const ids = await seed(stack.api.url, 6, () => ({ type: 'simulated', config: { applyMs: 300 } }));
    // The loser skips a leased cluster (onLeased defaults to wait, which would queue it behind the winner).
    const body = { action: RESTART, selector: { ids }, defaults: { maxParallel: ids.length }, onLeased: 'skip' };
    const [a, b] = await Promise.all([startOperation(stack.api.url, body), startOperation(stack.api.url, body)]);
    await Promise.all([waitForState(stack.api.url, a.id, 'completed'), waitForState(stack.api.url, b.id, 'completed')]);

    const { intervals } = await assertNoOverlap(stack.db, ids);
    const runs = { [a.id]: await runsOf(stack.db, a.id), [b.id]: await runsOf(stack.db, b.id) };
    let contended = 0;
    for (const [opId, other] of [
      [a.id, b.id],
      [b.id, a.id],
    ] as const) {
      for (const run of runs[opId]!) {
        if (run.state === 'skipped') {
          assert.equal(run.reason, `leased_by:${other}`, `${opId}/${run.clusterId}`);
          contended++;
        } else assert.equal(run.state, 'succeeded', `${opId}/${run.clusterId}: ${run.state} ${run.error ?? ''}`);
      }
    }
    for (const id of ids) {
      const done = Object.values(runs).filter((rs) => rs.find((r) => r.clusterId === id)?.state === 'succeeded').length;
      assert.ok(done >= 1, `${id} was applied by neither operation`);
    }
    assert.ok(contended >= 1, 'the operations did race for at least one cluster');
    await assertNoLeases(stack.db, ids);
    report({ clusters: ids.length, operations: 2, applyIntervals: intervals, skippedAsLeased: contended });
  });
});

/** Operation A holds the lease of the first cluster (a 1.5 s apply in progress) when its workflow is terminated. */
async function terminatedHolder() {
  const ids = await seed(stack.api.url, 3, (i) => ({ type: 'simulated', config: { applyMs: i === 0 ? 1500 : 300 } }));
  const a = await startOperation(stack.api.url, { action: RESTART, selector: { ids }, defaults: { maxParallel: 1 } });
  await eventually('the first cluster applying', async () =>
    (await applyRows(stack.db, [ids[0]!])).some((r) => r.status === 'running'),
  );
  await stack.temporal.workflow.getHandle(a.id).terminate('fault test: operator terminated the workflow');
  assert.deepEqual(
    await leasesLeft(stack.db, ids),
    [{ clusterId: ids[0]!, operationId: a.id }],
    'the terminated operation left its lease',
  );
  return { ids, a };
}

const rowsOn = async (id: string, a: string) =>
  (await applyRows(stack.db, [id])).map((r) => `${r.key.startsWith(`${a}:`) ? 'A' : 'B'}:${r.status}`).join('/');

test('when an operation is terminated while holding a lease, then a new operation takes the stale lease over and completes', async (t) => {
  await measured(t, async (report) => {
    const { ids, a } = await terminatedHolder();
    // Give the terminated operation's apply time to end on its own (see the next test for what happens otherwise).
    await eventually('the terminated apply to end', async () =>
      (await applyRows(stack.db, [ids[0]!])).every((r) => r.status !== 'running'),
    );
    const b = await startOperation(stack.api.url, { action: RESTART, selector: { ids }, defaults: { maxParallel: 1 } });
    const done = await waitForState(stack.api.url, b.id, 'completed');
    assert.equal(done.counts.succeeded, ids.length, 'the new operation took every cluster, the leased one included');
    await assertAllSucceeded(stack.db, b.id, ids);
    const takeover = stack.worker
      .logLines()
      .find((l) => l.msg === 'lease holder no longer runs: taking its lease over' && l.clusterId === ids[0]);
    assert.equal(takeover?.previousOperationId, a.id, 'the worker says whose stale lease it took');
    await assertNoLeases(stack.db, ids);
    await assertNoOverlap(stack.db, ids);
    report({ staleLeases: 1, takenOver: 1, applyRowsOnLeasedCluster: await rowsOn(ids[0]!, a.id) });
  });
});

test("when a stale lease is taken over while the terminated operation's apply is still running, then the two applies never overlap", async (t) => {
  await measured(t, async (report) => {
    const { ids, a } = await terminatedHolder();
    const b = await startOperation(stack.api.url, { action: RESTART, selector: { ids }, defaults: { maxParallel: 1 } });
    await waitForState(stack.api.url, b.id, 'completed');
    await assertAllSucceeded(stack.db, b.id, ids);
    report({ applyRowsOnLeasedCluster: await rowsOn(ids[0]!, a.id) });
    await assertNoOverlap(stack.db, ids);
  });
});

test("when an operation's workflow is terminated, then its status no longer reports it running", async (t) => {
  await measured(t, async (report) => {
    const { a } = await terminatedHolder();
    const status = await call(stack.api.url, 'GET', `/v1/operations/${a.id}`);
    const { rows } = await stack.db.query<{ name: string }>('SELECT name FROM operations WHERE id = $1', [a.id]);
    const listed = await call(stack.api.url, 'GET', `/v1/operations?name=${encodeURIComponent(rows[0]!.name)}`);
    report({ statusState: status.body.state, listState: listed.body.operations?.[0]?.state ?? 'not listed' });
    assert.notEqual(status.body.state, 'running', 'a terminated operation is not running');
  });
});
