// Fault 7: the worker dies (SIGKILL) while the user's control plane (http adapter) runs an apply; after the restart the
// cluster fails monitoring and is rolled back through the provider operation id stored with its run.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { startControlPlane, type ControlPlane, type RecordedRequest } from '../helpers/control-plane';
import { assertNoLeases, runsOf } from './helpers/checks';
import { eventually, measured, seed, startOperation, useFaultStack, waitForState } from './helpers/stack';

let cp: ControlPlane;
before(async () => {
  cp = await startControlPlane();
});
after(async () => {
  await cp?.close();
});
const stack = useFaultStack();

const bodyOf = (r: RecordedRequest) =>
  (r.body ?? {}) as { clusterId?: string; idempotencyKey?: string; action?: { type?: string } };
const createsOf = (id: string) => cp.requests.filter((r) => r.endpoint === 'create' && bodyOf(r).clusterId === id);
const rollbacksOf = (id: string) => cp.requests.filter((r) => r.endpoint === 'rollback' && bodyOf(r).clusterId === id);
/** The operation id the provider gave the apply of this cluster (its first accepted create). */
const providerIdOf = (id: string) => {
  const accepted = createsOf(id).find((r) => r.answer?.status === 202);
  return (accepted?.answer?.body as { operationId?: string } | undefined)?.operationId;
};
const pollsOf = (providerId: string) => cp.requests.filter((r) => r.path === `/operations/${providerId}`).length;
const healthVersion = async (id: string) =>
  ((await fetch(`${cp.url}/clusters/${id}/health`).then((r) => r.json())) as { version: string }).version;

async function storedProviderIds(operationId: string, ids: string[]): Promise<Record<string, string | null>> {
  const { rows } = await stack.db.query<{ cluster_id: string; provider_operation_id: string | null }>(
    'SELECT cluster_id, provider_operation_id FROM cluster_runs WHERE operation_id = $1 AND cluster_id = ANY($2::text[])',
    [operationId, ids],
  );
  return Object.fromEntries(rows.map((r) => [r.cluster_id, r.provider_operation_id]));
}

test('when the worker is killed with SIGKILL while the provider runs the apply and the cluster then fails monitoring, then the restarted worker rolls it back through POST /operations/{id}/rollback of the stored provider id', async (t) => {
  await measured(t, async (report) => {
    // The provider accepts the apply and keeps it running until the worker has been killed.
    const ids = await seed(stack.api.url, 2, (_, id) => {
      cp.script(id, { version: '3.6.0', pollsUntilDone: 1_000_000 });
      return { type: 'http', config: { baseUrl: cp.url, pollMs: 50, timeoutMs: 2000 } };
    });
    const op = await startOperation(stack.api.url, {
      action: { type: 'upgrade', targetVersion: '3.7.1' },
      selector: { ids },
      defaults: { maxParallel: ids.length, maxFailures: ids.length },
      monitor: { timeoutSeconds: 2, intervalSeconds: 0.2, stableChecks: 1 },
      rollbackOnFailure: true,
    });

    // Accepted, stored with the run and being polled: the worker is waiting on the provider.
    const applyIds = await eventually('every apply accepted and polled', () => {
      const found = ids.map(providerIdOf);
      return Promise.resolve(found.every((p): p is string => p !== undefined && pollsOf(p) > 0) ? found : undefined);
    });
    const stored = await eventually('every provider id stored with its run', async () => {
      const byCluster = await storedProviderIds(op.id, ids);
      return ids.every((id) => byCluster[id]) ? byCluster : undefined;
    });
    assert.deepEqual(
      ids.map((id) => stored[id]),
      applyIds,
      'the run stores the id the provider answered',
    );
    await stack.worker.kill();
    const killedAt = performance.now();
    const pollsBeforeKill = applyIds.map(pollsOf);

    // While no worker runs: the provider finishes the upgrade at the next poll, but the cluster will report unhealthy.
    for (const id of ids) cp.script(id, { pollsUntilDone: 0, healthy: false });
    await stack.worker.start();

    const done = await waitForState(stack.api.url, op.id, 'completed', 120_000);
    report({
      clusters: ids.length,
      pollsBeforeKill: pollsBeforeKill.join('/'),
      recoverySeconds: ((performance.now() - killedAt) / 1000).toFixed(1),
    });
    assert.equal(done.counts.rolled_back, ids.length);
    assert.equal(done.counts.succeeded, 0);
    const runs = await runsOf(stack.db, op.id);
    assert.deepEqual(
      runs.map((r) => r.state),
      ids.map(() => 'rolled_back'),
    );
    // It failed monitoring (the error names the unhealthy cluster), not the apply or the rollback.
    for (const run of runs) assert.match(String(run.error), /unhealthy/i);

    ids.forEach((id, i) => {
      const applyId = applyIds[i]!;
      const key = bodyOf(createsOf(id)[0]!).idempotencyKey!;
      // The apply after the restart went to the same provider operation (same key), never a second one.
      assert.ok(createsOf(id).length >= 2, `${id}: the apply was retried after the restart`);
      assert.deepEqual(
        [...new Set(createsOf(id).map((r) => (r.answer?.body as { operationId?: string }).operationId))],
        [applyId],
      );
      const rollbacks = rollbacksOf(id);
      assert.ok(rollbacks.length >= 1, `${id}: no rollback reached the control plane`);
      for (const r of rollbacks) {
        assert.equal(r.method, 'POST');
        assert.equal(r.path, `/operations/${applyId}/rollback`);
        assert.equal(r.headers['idempotency-key'], `${key}:rollback`);
        assert.deepEqual(r.body, { clusterId: id, toVersion: '3.6.0', idempotencyKey: `${key}:rollback` });
      }
      const effects = cp.effects.filter((e) => e.clusterId === id);
      assert.deepEqual(
        effects.map((e) => `${e.action.type}${e.action.type === 'rollback' ? ` of ${String(e.action.of)}` : ''}`),
        ['upgrade', `rollback of ${applyId}`],
        `${id}: upgraded once, rolled back once`,
      );
    });
    assert.deepEqual(
      cp.requests.filter((r) => r.endpoint === 'create' && bodyOf(r).action?.type === 'rollback'),
      [],
      'no rollback was sent as POST /operations',
    );
    for (const id of ids) assert.equal(await healthVersion(id), '3.6.0');
    const { rows } = await stack.db.query<{ version: string }>(
      'SELECT version FROM clusters WHERE id = ANY($1::text[])',
      [ids],
    );
    assert.deepEqual(
      rows.map((r) => r.version),
      ['3.6.0', '3.6.0'],
      'the inventory keeps the version',
    );
    await assertNoLeases(stack.db, ids);
    report({ rollbackCalls: ids.map((id) => rollbacksOf(id).length).join('/'), rolledBack: ids.length });
  });
});
