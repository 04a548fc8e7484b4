// Fault 5: the user's control plane (http adapter, test/helpers/control-plane.ts) answers 5xx, times out, sends malformed JSON or refuses (4xx).
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { call } from '../helpers/api';
import { startControlPlane, type ControlPlane, type ControlPlaneBehaviour } from '../helpers/control-plane';
import { assertAllSucceeded, assertNoLeases, runsOf } from './helpers/checks';
import { measured, seed, startOperation, useFaultStack, waitForState, waitForStatus } from './helpers/stack';

let cp: ControlPlane;
before(async () => {
  cp = await startControlPlane();
});
after(async () => {
  await cp?.close();
});
const stack = useFaultStack();

const UPGRADE = { type: 'upgrade', targetVersion: '3.7.1' };

/** Clusters on the fake control plane at 3.6.0, each scripted with its own behaviour. */
async function httpClusters(
  behaviours: ControlPlaneBehaviour[],
  config: Record<string, unknown> = {},
): Promise<string[]> {
  return seed(stack.api.url, behaviours.length, (i, id) => {
    cp.script(id, { version: '3.6.0', ...behaviours[i] });
    return { type: 'http', config: { baseUrl: cp.url, pollMs: 50, timeoutMs: 2000, ...config } };
  });
}

const requestsTo = (id: string, endpoint: string) =>
  cp.requests.filter(
    (r) =>
      r.endpoint === endpoint &&
      ((r.body as { clusterId?: string } | undefined)?.clusterId === id || r.path.includes(`/${id}/`)),
  ).length;
const effectsOn = (id: string) => cp.effects.filter((e) => e.clusterId === id && e.action.type === 'upgrade');
const healthVersion = async (id: string) =>
  ((await fetch(`${cp.url}/clusters/${id}/health`).then((r) => r.json())) as { version: string }).version;

async function inventoryVersions(ids: string[]): Promise<string[]> {
  const { rows } = await stack.db.query<{ version: string }>(
    'SELECT version FROM clusters WHERE id = ANY($1::text[]) ORDER BY id',
    [ids],
  );
  return rows.map((r) => r.version);
}

test('when the control plane answers 5xx, times out or sends malformed JSON for a while, then each cluster is retried and succeeds once the fault clears, applied exactly once', async (t) => {
  await measured(t, async (report) => {
    const faults: ControlPlaneBehaviour[] = [
      { fault: { on: ['create'], status: 503, body: { message: 'maintenance' }, times: 2 } },
      { fault: { on: ['poll'], delayMs: 1500, times: 2 } },
      { fault: { on: ['poll'], status: 200, raw: '{"state": "succ', times: 2 } },
      { fault: { on: ['create'], status: 200, body: { accepted: true }, times: 1 } },
      { fault: { on: ['health'], status: 502, raw: '<html>bad gateway</html>', times: 4 } },
    ];
    const injected = faults.reduce((n, f) => n + (f.fault?.times ?? 0), 0);
    const ids = await httpClusters(faults, { timeoutMs: 400 });
    const op = await startOperation(stack.api.url, {
      action: UPGRADE,
      selector: { ids },
      defaults: { maxParallel: ids.length },
    });
    const done = await waitForState(stack.api.url, op.id, 'completed', 60_000);
    assert.equal(done.counts.succeeded, ids.length);
    await assertAllSucceeded(stack.db, op.id, ids, '3.7.1');
    for (const id of ids) {
      assert.equal(effectsOn(id).length, 1, `${id}: the provider applied it once`);
      assert.equal(await healthVersion(id), '3.7.1');
    }
    assert.ok(
      faults.every((f) => f.fault?.times === 0),
      'every scripted fault was hit',
    );
    assert.ok(requestsTo(ids[0]!, 'create') >= 3, 'the 503s were retried');
    await assertNoLeases(stack.db, ids);
    report({
      clusters: ids.length,
      faultsInjected: injected,
      creates: ids.map((id) => requestsTo(id, 'create')).join('/'),
      effects: ids.length,
    });
  });
});

test('when the control plane answers 500 until it is fixed, then the run stays applying (never a success) and succeeds after the fix', async (t) => {
  await measured(t, async (report) => {
    const [id] = await httpClusters([
      { fault: { on: ['create'], status: 500, body: { message: 'database is on fire' } } },
    ]);
    const op = await startOperation(stack.api.url, { action: UPGRADE, selector: { ids: [id] } });
    await waitForStatus(stack.api.url, op.id, () => requestsTo(id!, 'create') >= 3, 30_000);
    const during = await call(stack.api.url, 'GET', `/v1/operations/${op.id}/clusters`);
    assert.equal(during.body.runs[0].state, 'applying', 'still being worked on, not succeeded');
    report({ runErrorWhileRetrying: String(during.body.runs[0].error) });
    assert.deepEqual(await inventoryVersions([id!]), ['3.6.0']);
    const attemptsWhileBroken = requestsTo(id!, 'create');
    cp.script(id!, {});
    const fixedAt = performance.now();
    await waitForState(stack.api.url, op.id, 'completed', 60_000);
    await assertAllSucceeded(stack.db, op.id, [id!], '3.7.1');
    assert.equal(effectsOn(id!).length, 1);
    report({
      createsWhileBroken: attemptsWhileBroken,
      secondsFromFixToDone: ((performance.now() - fixedAt) / 1000).toFixed(1),
    });
  });
});

test('when the control plane refuses (4xx), reports the change failed, or forgets the cluster, then the run fails with a clear error and the version is not updated', async (t) => {
  await measured(t, async (report) => {
    const ids = await httpClusters([
      { fault: { on: ['create'], status: 422, body: { message: 'version 3.7.1 is not offered in this region' } } },
      { outcome: 'failed', message: 'broker 2 did not come back' },
      { fault: { on: ['health'], status: 404, body: { message: 'no such cluster' } } },
    ]);
    const op = await startOperation(stack.api.url, {
      action: UPGRADE,
      selector: { ids },
      defaults: { maxParallel: 3, maxFailures: 3 },
      rollbackOnFailure: false,
    });
    const done = await waitForState(stack.api.url, op.id, 'completed', 60_000);
    assert.equal(done.counts.failed, 3);
    assert.equal(done.counts.succeeded, 0);
    const runs = await call(stack.api.url, 'GET', `/v1/operations/${op.id}/clusters?state=failed`);
    const errorOf = (id: string) => String(runs.body.runs.find((r: any) => r.clusterId === id)?.error);
    assert.match(errorOf(ids[0]!), /ClusterApplyRejected.*422.*not offered in this region/);
    assert.match(errorOf(ids[1]!), /ClusterApplyFailed.*broker 2 did not come back/);
    assert.match(errorOf(ids[2]!), new RegExp(`^ClusterNotFound: the control plane does not know cluster '${ids[2]}'`));
    assert.equal(requestsTo(ids[0]!, 'create'), 1, 'a refusal is not retried');
    assert.deepEqual(await inventoryVersions(ids), ['3.6.0', '3.6.0', '3.6.0'], 'no version was updated');
    assert.deepEqual(
      (await runsOf(stack.db, op.id)).map((r) => r.state),
      ['failed', 'failed', 'failed'],
    );
    await assertNoLeases(stack.db, ids);
    report({ clusters: 3, failedRuns: 3, errors: ids.map((id) => errorOf(id).split(':')[0]).join('/') });
  });
});
