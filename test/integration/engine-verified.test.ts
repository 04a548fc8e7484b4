// Verified changes end to end through the REST API: each adapter step's deadline (limits.applyTimeoutSeconds),
// select reading the cluster's real state (drift, already at target), upgrades verified by the version health
// reports, monitor.require health rules, and the provider's operation id on the run.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { call } from '../helpers/api';
import { startControlPlane, type ControlPlane, type ControlPlaneBehaviour } from '../helpers/control-plane';
import { uid } from '../helpers/env';
import {
  FAST_MONITOR,
  seedFleet,
  startEngine,
  startOperation,
  waitForState,
  type EngineStack,
} from '../helpers/engine';

let stack: EngineStack;
let cp: ControlPlane;
before(async () => {
  cp = await startControlPlane();
  stack = await startEngine();
});
after(async () => {
  await stack?.close();
  await cp?.close();
});

const UPGRADE = { type: 'upgrade', targetVersion: '3.7.1' };

const sim = (config: Record<string, unknown>) => ({
  adapter: { type: 'simulated', config: { applyMs: 50, ...config } },
});

/**
 * Clusters on the fake control plane at 3.6.0 (like the inventory), each scripted with its own behaviour, then
 * `simulated` plain simulated clusters; one fleet, so the ids (and the order a wave takes them in) follow that order.
 */
async function httpClusters(behaviours: ControlPlaneBehaviour[], simulated = 0): Promise<string[]> {
  const ids = await seedFleet(stack, behaviours.length + simulated, (i) =>
    i < behaviours.length
      ? { adapter: { type: 'http', config: { baseUrl: cp.url, pollMs: 50, timeoutMs: 2000 } } }
      : sim({}),
  );
  behaviours.forEach((behaviour, i) => cp.script(ids[i]!, { version: '3.6.0', ...behaviour }));
  return ids;
}

/** Polls `read` until `ok` holds; fails with the last value read after `timeoutMs`. */
async function eventually<T>(read: () => Promise<T>, ok: (value: T) => boolean, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (ok(value)) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting; last: ${JSON.stringify(value).slice(0, 3000)}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** The operation's runs as GET /v1/operations/:id/clusters shows them. */
async function runs(operationId: string): Promise<any[]> {
  const res = await call(stack.api.url, 'GET', `/v1/operations/${operationId}/clusters`);
  assert.equal(res.status, 200, JSON.stringify(res.body));
  return res.body.runs;
}

async function runOf(operationId: string, clusterId: string): Promise<any> {
  const run = (await runs(operationId)).find((r) => r.clusterId === clusterId);
  assert.ok(run, `no run of ${clusterId} in ${operationId}`);
  return run;
}

async function cluster(id: string): Promise<any> {
  const res = await call(stack.api.url, 'GET', `/v1/clusters/${id}`);
  assert.equal(res.status, 200, JSON.stringify(res.body));
  return res.body;
}

async function events(operationId: string): Promise<any[]> {
  const res = await call(stack.api.url, 'GET', `/v1/operations/${operationId}/events?limit=1000`);
  assert.equal(res.status, 200, JSON.stringify(res.body));
  return res.body.events;
}

/** What the simulated control plane runs for a cluster, whatever the inventory says. */
async function setSimulatedVersion(clusterId: string, version: string): Promise<void> {
  await stack.db.query(
    `INSERT INTO sim_clusters (cluster_id, version) VALUES ($1, $2)
     ON CONFLICT (cluster_id) DO UPDATE SET version = EXCLUDED.version, updated_at = now()`,
    [clusterId, version],
  );
}

const simApplies = async (clusterId: string) =>
  (
    await stack.db.query<{ n: number }>('SELECT count(*)::int AS n FROM sim_apply_requests WHERE cluster_id = $1', [
      clusterId,
    ])
  ).rows[0]!.n;

const leasesOn = async (ids: string[]) =>
  (await stack.db.query<{ n: number }>('SELECT count(*)::int AS n FROM leases WHERE cluster_id = ANY($1)', [ids]))
    .rows[0]!.n;

const requestsTo = (id: string, endpoint: string) =>
  cp.requests.filter(
    (r) =>
      r.endpoint === endpoint &&
      ((r.body as { clusterId?: string } | undefined)?.clusterId === id || r.path.includes(`/${id}/`)),
  );

describe('step deadlines (limits.applyTimeoutSeconds)', () => {
  test('when the control plane answers 503 to every apply, then the run shows the retries while they go on, fails deadline_exceeded quoting the 503 and spends the failure budget', async () => {
    const [id, other] = await httpClusters(
      [
        // Slow enough that the second attempt is still in flight when the run is read, quick enough that it
        // fails before the deadline (so the last error is the 503).
        { fault: { on: ['create'], status: 503, body: { message: 'provider in maintenance' }, delayMs: 500 } },
      ],
      1,
    );
    const op = await startOperation(stack, {
      action: UPGRADE,
      selector: { ids: [id, other] },
      defaults: { maxParallel: 1, maxFailures: 0 },
      limits: { applyTimeoutSeconds: 6 },
      onFailure: 'pause',
    });

    const retrying = await eventually(
      () => runOf(op.id, id!),
      (r) => r.state === 'failed' || (r.state === 'applying' && r.adapterAttempts >= 2 && r.lastError !== null),
    );
    assert.equal(retrying.state, 'applying', `seen while retrying: ${JSON.stringify(retrying)}`);
    assert.ok(retrying.adapterAttempts >= 2);
    assert.match(retrying.lastError, /503.*provider in maintenance/);

    const paused = await waitForState(stack, op.id, 'paused');
    assert.equal(paused.pauseReason, 'failure_budget_exceeded');
    assert.equal(paused.counts.failed, 1);
    assert.equal(paused.counts.pending, 1);
    assert.equal((await runOf(op.id, other!)).state, 'pending', 'no cluster starts once the budget is spent');
    const failed = await runOf(op.id, id!);
    assert.equal(failed.state, 'failed');
    assert.match(failed.error, /^deadline_exceeded: apply/);
    assert.match(failed.error, /503.*provider in maintenance/);
    assert.ok(failed.adapterAttempts >= 2);
    assert.ok(requestsTo(id!, 'create').length >= 2, 'apply was retried');
    assert.equal(cp.effects.filter((e) => e.clusterId === id).length, 0);
    assert.equal((await cluster(id!)).version, '3.6.0');
    assert.equal(await leasesOn([id!]), 0);

    assert.equal((await call(stack.api.url, 'POST', `/v1/operations/${op.id}/cancel`)).status, 200);
    await waitForState(stack, op.id, 'cancelled');
  });

  test("when the control plane answers 503 to every state read, then select fails deadline_exceeded: reading the cluster's state and no apply is ever sent", async () => {
    const [id] = await httpClusters([
      { fault: { on: ['health'], status: 503, body: { message: 'health endpoint down' } } },
    ]);
    const op = await startOperation(stack, {
      action: UPGRADE,
      selector: { ids: [id] },
      defaults: { maxFailures: 1 },
      limits: { applyTimeoutSeconds: 3 },
    });
    const done = await waitForState(stack, op.id, 'completed');
    assert.equal(done.counts.failed, 1);
    const run = await runOf(op.id, id!);
    assert.equal(run.state, 'failed');
    assert.match(run.error, /^deadline_exceeded: reading the cluster's state/);
    assert.match(run.error, /503.*health endpoint down/);
    assert.ok(requestsTo(id!, 'health').length >= 2, 'the read was retried');
    assert.equal(requestsTo(id!, 'create').length, 0, 'no apply was sent');
    assert.equal((await cluster(id!)).version, '3.6.0');
    assert.equal(await leasesOn([id!]), 0);
  });
});

describe("select reads the cluster's real state", () => {
  test('when simulated clusters run another version than the inventory, then the inventory takes the reported one, cluster.drift is audited with both and a rollback returns to the reported one', async () => {
    // The second never becomes healthy: it fails and is rolled back, so nothing but the drift moves its inventory.
    const ids = await seedFleet(stack, 2, (i) => sim(i === 1 ? { unhealthy: true } : {}));
    for (const id of ids) await setSimulatedVersion(id, '3.6.5');
    const op = await startOperation(stack, {
      action: UPGRADE,
      selector: { ids },
      defaults: { maxParallel: 2, maxFailures: 1 },
      monitor: { ...FAST_MONITOR, timeoutSeconds: 1 },
      rollbackOnFailure: true,
    });
    const done = await waitForState(stack, op.id, 'completed');
    assert.equal(done.counts.succeeded, 1);
    assert.equal(done.counts.rolled_back, 1);

    const drift = (await events(op.id)).filter((e) => e.action === 'cluster.drift');
    assert.deepEqual(drift.map((e) => e.targetId).sort(), ids);
    for (const event of drift) {
      assert.equal(event.identity, 'fleetwave');
      assert.equal(event.role, 'system');
      assert.equal(event.targetType, 'cluster');
      assert.equal(event.operationId, op.id);
      assert.deepEqual(event.payload, { inventory: '3.6.0', reported: '3.6.5' });
    }
    const [upgraded, rolledBack] = ids as [string, string];
    assert.equal((await runOf(op.id, upgraded)).state, 'succeeded');
    assert.equal((await cluster(upgraded)).version, '3.7.1');
    assert.equal((await runOf(op.id, rolledBack)).state, 'rolled_back');
    for (const id of ids)
      assert.equal((await runOf(op.id, id)).fromVersion, '3.6.5', 'the run starts from what it ran');
    assert.equal((await cluster(rolledBack)).version, '3.6.5', 'the inventory took the reported version');
    const simulated = await stack.db.query('SELECT version FROM sim_clusters WHERE cluster_id = $1', [rolledBack]);
    assert.equal(simulated.rows[0].version, '3.6.5', 'rolled back to what it ran, not to the stale inventory');
    assert.equal(await leasesOn(ids), 0);
  });

  test('when the simulated cluster already runs the target version, then it is skipped already_at_target, nothing is applied and its lease is released', async () => {
    const [id] = await seedFleet(stack, 1, () => sim({}));
    await setSimulatedVersion(id!, '3.7.1');
    const op = await startOperation(stack, { action: UPGRADE, selector: { ids: [id] } });
    const done = await waitForState(stack, op.id, 'completed');
    assert.equal(done.counts.skipped, 1);
    assert.equal(done.counts.succeeded, 0);

    const run = await runOf(op.id, id!);
    assert.equal(run.state, 'skipped');
    assert.equal(run.reason, 'already_at_target');
    assert.equal(await simApplies(id!), 0, 'no apply reached the simulated control plane');
    assert.equal(await leasesOn([id!]), 0);
    const shown = await cluster(id!);
    assert.equal(shown.lease, null);
    assert.equal(shown.version, '3.7.1', 'the inventory took the reported version');
    const drift = (await events(op.id)).filter((e) => e.action === 'cluster.drift');
    assert.deepEqual(
      drift.map((e) => e.payload),
      [{ inventory: '3.6.0', reported: '3.7.1' }],
    );
  });
});

describe('verified upgrades and health rules', () => {
  test('when health keeps reporting another version than the target, then the run fails version_mismatch and the inventory is not set to the target', async () => {
    const [id] = await seedFleet(stack, 1, () => sim({ reportVersion: '3.6.9' }));
    const op = await startOperation(stack, {
      action: UPGRADE,
      selector: { ids: [id] },
      defaults: { maxFailures: 1 },
      monitor: { ...FAST_MONITOR, timeoutSeconds: 1 },
    });
    const done = await waitForState(stack, op.id, 'completed');
    assert.equal(done.counts.failed, 1);
    const run = await runOf(op.id, id!);
    assert.equal(run.state, 'failed');
    assert.match(run.error, /^version_mismatch: reported 3\.6\.9, expected 3\.7\.1/);
    const version = (await cluster(id!)).version;
    assert.notEqual(version, '3.7.1');
    assert.equal(version, '3.6.0');
    assert.equal(await leasesOn([id!]), 0);
  });

  test('when monitor.require rules are set, then a breaking metric fails health_rule_failed, an absent one fails metric_missing and a holding one succeeds', async () => {
    const metrics = [{ consumerLag: 500 }, {}, { consumerLag: 40 }];
    const ids = await seedFleet(stack, 3, (i) => sim({ metrics: metrics[i] }));
    const op = await startOperation(stack, {
      action: UPGRADE,
      selector: { ids },
      defaults: { maxParallel: 3, maxFailures: 2 },
      monitor: { ...FAST_MONITOR, timeoutSeconds: 1, require: [{ metric: 'consumerLag', op: '<=', value: 100 }] },
    });
    const done = await waitForState(stack, op.id, 'completed');
    assert.equal(done.counts.failed, 2);
    assert.equal(done.counts.succeeded, 1);
    const [breaking, absent, holding] = await Promise.all(ids.map((id) => runOf(op.id, id)));
    assert.equal(breaking.state, 'failed');
    assert.match(breaking.error, /^health_rule_failed: consumerLag <= 100 \(was 500\)/);
    assert.equal(absent.state, 'failed');
    assert.match(absent.error, /^metric_missing: consumerLag/);
    assert.equal(holding.state, 'succeeded');
    assert.equal(holding.error, null);
    assert.equal((await cluster(ids[2]!)).version, '3.7.1');
  });

  test('when an http cluster is upgraded, then its run shows the operation id the control plane gave', async () => {
    const [id] = await httpClusters([{}]);
    const op = await startOperation(stack, { action: UPGRADE, selector: { ids: [id] } });
    const done = await waitForState(stack, op.id, 'completed');
    assert.equal(done.counts.succeeded, 1);
    const creates = requestsTo(id!, 'create');
    assert.equal(creates.length, 1);
    const given = (creates[0]!.answer?.body as { operationId?: string } | undefined)?.operationId;
    assert.ok(given, 'the control plane gave an operation id');

    const run = await runOf(op.id, id!);
    assert.equal(run.state, 'succeeded');
    assert.equal(run.providerOperationId, given);
    const shown = await cluster(id!);
    assert.equal(shown.version, '3.7.1');
    assert.equal(shown.runs.find((r: any) => r.operationId === op.id)?.providerOperationId, given);
  });
});

describe('request validation', () => {
  const cases: [string, Record<string, unknown>, string][] = [
    ['limits.applyTimeoutSeconds is 0', { limits: { applyTimeoutSeconds: 0 } }, 'limits.applyTimeoutSeconds'],
    [
      'a monitor.require rule has an unknown op',
      { monitor: { ...FAST_MONITOR, require: [{ metric: 'consumerLag', op: '~=', value: 1 }] } },
      'monitor.require.0.op',
    ],
  ];
  for (const [what, extra, path] of cases) {
    test(`when ${what}, then the start is 400 validation_failed and nothing is started`, async () => {
      const ids = await seedFleet(stack, 1);
      const name = uid('op');
      const res = await call(stack.api.url, 'POST', '/v1/operations', {
        body: { name, action: UPGRADE, selector: { ids }, ...extra },
      });
      assert.equal(res.status, 400, JSON.stringify(res.body));
      assert.equal(res.body.error.code, 'validation_failed');
      assert.ok(
        res.body.error.details.some((d: { path: string }) => d.path === path),
        JSON.stringify(res.body.error.details),
      );
      const { rows } = await stack.db.query<{ ops: number; runs: number }>(
        `SELECT (SELECT count(*) FROM operations WHERE name = $1)::int AS ops,
                (SELECT count(*) FROM cluster_runs WHERE cluster_id = ANY($2))::int AS runs`,
        [name, ids],
      );
      assert.deepEqual(rows[0], { ops: 0, runs: 0 });
    });
  }
});
