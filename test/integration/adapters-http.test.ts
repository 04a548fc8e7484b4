// The http adapter against a real HTTP server (test/helpers/control-plane.ts): contract, auth, idempotency, error mapping.
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import {
  ClusterApplyFailed,
  ClusterApplyRejected,
  ClusterNotFound,
  ControlPlaneUnavailable,
} from '../../adapters/errors';
import { createHttpAdapter } from '../../adapters/http';
import { createSecretResolver } from '../../adapters/secrets';
import type { AdapterContext, ClusterAdapter } from '../../adapters/types';
import type { Cluster } from '../../domain/cluster';
import type { Action } from '../../domain/operation';
import { startControlPlane, type ControlPlane, type ControlPlaneBehaviour } from '../helpers/control-plane';
import { uid } from '../helpers/env';
import { clusterBody } from '../helpers/fixtures';
import { recordingContext } from '../helpers/adapter-context';

const TOKEN = 'cp-token-1';
/** The worker's secrets: the control plane's token under the name clusters give as tokenRef. */
const secrets = createSecretResolver({ env: { FLEET_SECRET_cp_token: TOKEN, FLEET_SECRET_wrong_token: 'wrong' } });
let cp: ControlPlane;
let adapter: ClusterAdapter;
before(async () => {
  cp = await startControlPlane({ token: TOKEN });
  adapter = createHttpAdapter({ secrets });
});
after(async () => {
  await cp.close();
});

/** A cluster on the fake control plane, scripted with `behaviour` unless it is null (unknown to the provider). */
function httpCluster(behaviour: ControlPlaneBehaviour | null = {}, config: Record<string, unknown> = {}): Cluster {
  const body = clusterBody({
    adapter: { type: 'http', config: { baseUrl: cp.url, tokenRef: 'cp_token', pollMs: 10, ...config } },
  });
  if (behaviour) cp.script(body.id, { version: '3.6.0', ...behaviour });
  return { ...body, tier: body.tier ?? null, createdAt: new Date().toISOString(), updatedAt: new Date().toISOString() };
}

const upgrade: Action = { type: 'upgrade', targetVersion: '3.7.1' };
const keyFor = (cluster: Cluster) => `${uid('op')}:${cluster.id}:1`;
const requestsOf = (cluster: Cluster) =>
  cp.requests.filter(
    (r) =>
      (r.body as { clusterId?: string } | undefined)?.clusterId === cluster.id || r.path.includes(`/${cluster.id}/`),
  );

/**
 * A recording context whose recordProviderOperation keeps each id with what the provider had been asked about it
 * by then (polls) and the heartbeats sent so far; `fail` makes storing the id throw, as a database outage would.
 */
function storingContext(fail?: Error) {
  const recording = recordingContext();
  const stored: { operationId: string; pollsBefore: number; beatsBefore: number }[] = [];
  const ctx: AdapterContext = {
    ...recording.ctx,
    recordProviderOperation: (operationId) => {
      stored.push({
        operationId,
        pollsBefore: cp.requests.filter((r) => r.path === `/operations/${operationId}`).length,
        beatsBefore: recording.beats.length,
      });
      return fail ? Promise.reject(fail) : Promise.resolve();
    },
  };
  return { ...recording, ctx, stored };
}

/** Applies `upgrade` to the cluster and answers the key and the provider operation id the apply stored. */
async function appliedWithStoredId(cluster: Cluster): Promise<{ key: string; providerOperationId: string }> {
  const key = keyFor(cluster);
  const { ctx, stored } = storingContext();
  await adapter.apply({ cluster, action: upgrade, idempotencyKey: key }, ctx);
  assert.equal(stored.length, 1);
  return { key, providerOperationId: stored[0]!.operationId };
}

function rejectsWith(promise: Promise<unknown>, type: new (...args: any[]) => Error, message: RegExp) {
  return assert.rejects(promise, (err: Error) => {
    assert.ok(err instanceof type, `expected ${type.name}, got ${err.name}: ${err.message}`);
    assert.match(err.message, message);
    return true;
  });
}

describe('http adapter: apply', () => {
  test('when the provider succeeds after two polls, then apply sends the contract with token and key, and returns the new version', async () => {
    const cluster = httpCluster({ pollsUntilDone: 2 });
    const key = keyFor(cluster);
    const { beats, ctx } = recordingContext();
    const result = await adapter.apply({ cluster, action: upgrade, idempotencyKey: key }, ctx);
    assert.deepEqual({ version: result.version, duplicate: result.duplicate }, { version: '3.7.1', duplicate: false });

    const create = cp.requests.find((r) => r.endpoint === 'create' && (r.body as any)?.idempotencyKey === key);
    assert.equal(create!.method, 'POST');
    assert.equal(create!.path, '/operations');
    assert.equal(create!.headers.authorization, `Bearer ${TOKEN}`);
    assert.equal(create!.headers['idempotency-key'], key);
    assert.equal(create!.headers['content-type'], 'application/json');
    assert.deepEqual(create!.body, { clusterId: cluster.id, action: upgrade, idempotencyKey: key });
    const operationId = beats[0].providerOperationId;
    const polls = cp.requests.filter((r) => r.path === `/operations/${operationId}`);
    assert.equal(polls.length, 3);
    assert.ok(polls.every((r) => r.headers.authorization === `Bearer ${TOKEN}`));
    assert.deepEqual(
      beats.slice(1).map((b) => b.state),
      ['running', 'running', 'succeeded'],
    );
    assert.ok(beats.every((b) => b.providerOperationId === operationId));
    assert.deepEqual(cp.effects.filter((e) => e.clusterId === cluster.id).length, 1);
  });

  test('when the provider accepts the apply, then its operation id is stored through the context before the first poll', async () => {
    const cluster = httpCluster({ pollsUntilDone: 2 });
    const key = keyFor(cluster);
    const { ctx, stored } = storingContext();
    await adapter.apply({ cluster, action: upgrade, idempotencyKey: key }, ctx);
    const create = cp.requests.find((r) => r.endpoint === 'create' && (r.body as any)?.idempotencyKey === key);
    const operationId = (create!.answer!.body as { operationId: string }).operationId;
    assert.deepEqual(stored, [{ operationId, pollsBefore: 0, beatsBefore: 0 }]);
    assert.equal(cp.requests.filter((r) => r.path === `/operations/${operationId}`).length, 3);
  });

  test('when storing the provider operation id fails, then apply fails with that error and does not poll', async () => {
    const cluster = httpCluster();
    const { ctx, stored } = storingContext(new Error('database unavailable'));
    await assert.rejects(adapter.apply({ cluster, action: upgrade, idempotencyKey: keyFor(cluster) }, ctx), {
      message: 'database unavailable',
    });
    assert.equal(stored.length, 1);
    assert.equal(cp.requests.filter((r) => r.path === `/operations/${stored[0]!.operationId}`).length, 0);
  });

  test('when the same key is applied again, then the provider answers a duplicate and applies nothing twice', async () => {
    const cluster = httpCluster();
    const key = keyFor(cluster);
    await adapter.apply({ cluster, action: upgrade, idempotencyKey: key }, recordingContext().ctx);
    const again = await adapter.apply({ cluster, action: upgrade, idempotencyKey: key }, recordingContext().ctx);
    assert.equal(again.duplicate, true);
    assert.equal(cp.effects.filter((e) => e.clusterId === cluster.id).length, 1);
  });

  test('when the provider operation fails, then apply throws ClusterApplyFailed with its message', async () => {
    const cluster = httpCluster({ outcome: 'failed', message: 'broker 2 did not rejoin the ISR', pollsUntilDone: 1 });
    await rejectsWith(
      adapter.apply({ cluster, action: upgrade, idempotencyKey: keyFor(cluster) }, recordingContext().ctx),
      ClusterApplyFailed,
      /broker 2 did not rejoin/,
    );
  });

  test('when the provider answers 4xx, then apply is rejected permanently with its (truncated) message', async () => {
    const cluster = httpCluster({
      fault: { on: ['create'], status: 422, body: { message: `unsupported version ${'x'.repeat(5000)}` } },
    });
    await rejectsWith(
      adapter.apply({ cluster, action: upgrade, idempotencyKey: keyFor(cluster) }, recordingContext().ctx),
      ClusterApplyRejected,
      /422.*unsupported version/,
    );
    await assert.rejects(
      adapter.apply({ cluster, action: upgrade, idempotencyKey: keyFor(cluster) }, recordingContext().ctx),
      (err: Error) => err.message.length < 600,
    );
  });

  test('when the provider throttles with 429, then it is a permanent rejection, as the contract says of every 4xx', async () => {
    const cluster = httpCluster({ fault: { on: ['create'], status: 429, body: { error: { message: 'slow down' } } } });
    await rejectsWith(
      adapter.apply({ cluster, action: upgrade, idempotencyKey: keyFor(cluster) }, recordingContext().ctx),
      ClusterApplyRejected,
      /429.*slow down/,
    );
  });

  test('when the token is wrong, then the 401 is a permanent rejection', async () => {
    const cluster = httpCluster({}, { tokenRef: 'wrong_token' });
    await rejectsWith(
      adapter.apply({ cluster, action: upgrade, idempotencyKey: keyFor(cluster) }, recordingContext().ctx),
      ClusterApplyRejected,
      /401/,
    );
  });

  test('when the tokenRef names no secret on this worker, then apply fails secret_missing before sending anything', async () => {
    const cluster = httpCluster({}, { tokenRef: 'not_here' });
    await assert.rejects(
      adapter.apply({ cluster, action: upgrade, idempotencyKey: keyFor(cluster) }, recordingContext().ctx),
      (err: Error & { type?: string; nonRetryable?: boolean }) => {
        assert.equal(err.type, 'SecretMissing');
        assert.equal(err.nonRetryable, true);
        assert.match(err.message, /^secret_missing:not_here: FLEET_SECRET_not_here is not set/);
        return true;
      },
    );
    assert.deepEqual(requestsOf(cluster), []);
  });

  test('when the provider echoes the token in its answers, then no error quotes it', async () => {
    const refusing = httpCluster({
      fault: { on: ['create'], status: 403, body: { message: `token ${TOKEN} may not do this` } },
    });
    await rejectsWith(
      adapter.apply({ cluster: refusing, action: upgrade, idempotencyKey: keyFor(refusing) }, recordingContext().ctx),
      ClusterApplyRejected,
      /403\): token \[redacted\] may not do this$/,
    );
    const failing = httpCluster({ outcome: 'failed', message: `rejected for ${TOKEN}` });
    await rejectsWith(
      adapter.apply({ cluster: failing, action: upgrade, idempotencyKey: keyFor(failing) }, recordingContext().ctx),
      ClusterApplyFailed,
      /failed: rejected for \[redacted\]$/,
    );
  });

  test('when the secret holds a line break, then it is secret_missing and never reaches a header or an error', async () => {
    const broken = createHttpAdapter({
      secrets: createSecretResolver({ env: { FLEET_SECRET_two_lines: `${TOKEN}\nx` } }),
    });
    const cluster = httpCluster({}, { tokenRef: 'two_lines' });
    await assert.rejects(broken.health({ cluster }), (err: Error & { type?: string }) => {
      assert.equal(err.type, 'SecretMissing');
      assert.match(err.message, /^secret_missing:two_lines: the secret holds a line break/);
      assert.ok(!err.message.includes(TOKEN));
      return true;
    });
    assert.deepEqual(requestsOf(cluster), []);
  });

  test('when a stored config still holds a raw token, then the adapter refuses it without quoting it', async () => {
    const cluster = httpCluster({}, { tokenRef: undefined, token: TOKEN });
    await rejectsWith(adapter.health({ cluster }), ClusterApplyRejected, /holds token: .*set tokenRef/);
    await adapter.health({ cluster }).catch((err: Error) => assert.ok(!err.message.includes(TOKEN)));
    assert.deepEqual(requestsOf(cluster), []);
  });

  test('when the cluster has no tokenRef, then no Authorization header is sent', async () => {
    const cluster = httpCluster({}, { tokenRef: undefined });
    await rejectsWith(adapter.health({ cluster }), ClusterApplyRejected, /401/);
    assert.equal(requestsOf(cluster)[0]!.headers.authorization, undefined);
  });

  for (const status of [500, 503]) {
    test(`when the provider answers ${status}, then apply fails as ControlPlaneUnavailable (retryable)`, async () => {
      const cluster = httpCluster({ fault: { on: ['create'], status, body: { error: { message: 'try later' } } } });
      await rejectsWith(
        adapter.apply({ cluster, action: upgrade, idempotencyKey: keyFor(cluster) }, recordingContext().ctx),
        ControlPlaneUnavailable,
        new RegExp(`${status}.*try later`),
      );
    });
  }

  test('when a poll answers 5xx once, then the apply fails retryably and a retry with the same key finishes the same operation', async () => {
    const cluster = httpCluster({ pollsUntilDone: 1, fault: { on: ['poll'], status: 502, times: 1 } });
    const key = keyFor(cluster);
    await rejectsWith(
      adapter.apply({ cluster, action: upgrade, idempotencyKey: key }, recordingContext().ctx),
      ControlPlaneUnavailable,
      /502/,
    );
    const retry = await adapter.apply({ cluster, action: upgrade, idempotencyKey: key }, recordingContext().ctx);
    assert.equal(retry.version, '3.7.1');
    assert.equal(cp.effects.filter((e) => e.clusterId === cluster.id).length, 1);
  });

  test('when the provider is slower than timeoutMs, then apply fails as ControlPlaneUnavailable', async () => {
    const cluster = httpCluster({ fault: { on: ['create'], delayMs: 5000 } }, { timeoutMs: 100 });
    await rejectsWith(
      adapter.apply({ cluster, action: upgrade, idempotencyKey: keyFor(cluster) }, recordingContext().ctx),
      ControlPlaneUnavailable,
      /within 100 ms/,
    );
  });

  const malformed: [string, ControlPlaneBehaviour['fault'], RegExp][] = [
    ['a body that is not JSON', { on: ['create'], status: 202, raw: '{"operationId": ' }, /not JSON/],
    ['an HTML error page', { on: ['create'], status: 200, raw: '<html>gateway</html>' }, /not JSON/],
    ['no operationId', { on: ['create'], status: 202, body: { id: 'op-1' } }, /unexpected body.*operationId/],
    ['an unknown poll state', { on: ['poll'], status: 200, body: { state: 'done' } }, /unexpected body.*state/],
  ];
  for (const [what, fault, message] of malformed) {
    test(`when the provider answers ${what}, then apply fails as ControlPlaneUnavailable and never succeeds`, async () => {
      const cluster = httpCluster({ fault });
      await rejectsWith(
        adapter.apply({ cluster, action: upgrade, idempotencyKey: keyFor(cluster) }, recordingContext().ctx),
        ControlPlaneUnavailable,
        message,
      );
      assert.equal(cp.effects.filter((e) => e.clusterId === cluster.id).length, 0);
    });
  }

  test('when nothing listens at baseUrl, then apply fails as ControlPlaneUnavailable', async () => {
    const closed = http.createServer();
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
    const { port } = closed.address() as AddressInfo;
    await new Promise((r) => closed.close(r));
    const cluster = httpCluster({}, { baseUrl: `http://127.0.0.1:${port}` });
    await rejectsWith(
      adapter.apply({ cluster, action: upgrade, idempotencyKey: keyFor(cluster) }, recordingContext().ctx),
      ControlPlaneUnavailable,
      /unreachable/,
    );
  });

  test('when the activity is cancelled while polling, then apply stops with the abort reason', async () => {
    const cluster = httpCluster({ pollsUntilDone: 1_000_000 });
    const { ctx } = recordingContext(
      (d, controller) => (d as { state: string }).state === 'running' && controller.abort(),
    );
    await assert.rejects(adapter.apply({ cluster, action: upgrade, idempotencyKey: keyFor(cluster) }, ctx), {
      name: 'AbortError',
    });
  });

  test('when the provider returns an operation id with reserved characters, then the poll path encodes it', async () => {
    const cluster = httpCluster({ fault: { on: ['create'], status: 202, body: { operationId: 'a/b c' } } });
    await rejectsWith(
      adapter.apply({ cluster, action: upgrade, idempotencyKey: keyFor(cluster) }, recordingContext().ctx),
      ClusterApplyRejected,
      /404/,
    );
    assert.ok(cp.requests.some((r) => r.path === '/operations/a%2Fb%20c'));
  });

  test('when the config has no baseUrl, then apply is rejected naming the key', async () => {
    const cluster = httpCluster({}, { baseUrl: undefined });
    await rejectsWith(
      adapter.apply({ cluster, action: upgrade, idempotencyKey: keyFor(cluster) }, recordingContext().ctx),
      ClusterApplyRejected,
      /baseUrl/,
    );
  });
});

describe('http adapter: health, describe, rollback', () => {
  test('when the provider reports health, then healthy, version and numeric metrics are returned', async () => {
    const cluster = httpCluster({
      healthy: false,
      version: '3.6.2',
      metrics: { underReplicatedPartitions: 4, lag: 'high' } as never,
    });
    const health = await adapter.health({ cluster });
    assert.deepEqual(health, { healthy: false, version: '3.6.2', metrics: { underReplicatedPartitions: 4 } });
    assert.equal(requestsOf(cluster).at(-1)!.path, `/clusters/${cluster.id}/health`);
  });

  test('when the provider does not know the cluster, then health is ClusterNotFound and describe says it does not exist', async () => {
    const cluster = httpCluster(null);
    await rejectsWith(adapter.health({ cluster }), ClusterNotFound, new RegExp(cluster.id));
    assert.deepEqual(await adapter.describe({ cluster }), { exists: false, version: null, healthy: false });
  });

  test('when health answers a non-boolean healthy, then it is ControlPlaneUnavailable, not healthy', async () => {
    const cluster = httpCluster({ fault: { on: ['health'], status: 200, body: { healthy: 'yes', version: '3.6.0' } } });
    await rejectsWith(adapter.health({ cluster }), ControlPlaneUnavailable, /healthy/);
  });

  test('when the run stored the provider operation id, then rollback posts to that operation under <key>:rollback, never to POST /operations, and restores the version', async () => {
    const cluster = httpCluster();
    const { key, providerOperationId } = await appliedWithStoredId(cluster);
    // A fresh adapter, as after a worker restart: everything rollback needs is in the request.
    const result = await createHttpAdapter({ secrets }).rollback(
      { cluster, action: upgrade, idempotencyKey: key, fromVersion: '3.6.0', providerOperationId },
      recordingContext().ctx,
    );
    // The provider's own words about its rollback operation, as the poll answered them.
    assert.equal(result.message, 'operation succeeded');
    const calls = requestsOf(cluster).filter((r) => r.endpoint === 'rollback');
    assert.equal(calls.length, 1);
    assert.equal(calls[0]!.method, 'POST');
    assert.equal(calls[0]!.path, `/operations/${providerOperationId}/rollback`);
    assert.equal(calls[0]!.headers['idempotency-key'], `${key}:rollback`);
    assert.equal(calls[0]!.headers.authorization, `Bearer ${TOKEN}`);
    assert.deepEqual(calls[0]!.body, { clusterId: cluster.id, toVersion: '3.6.0', idempotencyKey: `${key}:rollback` });
    const creates = requestsOf(cluster).filter((r) => r.method === 'POST' && r.path === '/operations');
    assert.deepEqual(
      creates.map((r) => (r.body as { idempotencyKey?: string }).idempotencyKey),
      [key],
      'POST /operations only for the apply',
    );
    assert.equal((await adapter.health({ cluster })).version, '3.6.0');
  });

  test('when rollback is retried under the same key, then the provider answers the same rollback operation and rolls back once', async () => {
    const cluster = httpCluster();
    const { key, providerOperationId } = await appliedWithStoredId(cluster);
    const request = { cluster, action: upgrade, idempotencyKey: key, fromVersion: '3.6.0', providerOperationId };
    await adapter.rollback(request, recordingContext().ctx);
    await adapter.rollback(request, recordingContext().ctx);
    const calls = requestsOf(cluster).filter((r) => r.endpoint === 'rollback');
    assert.equal(calls.length, 2);
    assert.ok(calls.every((r) => r.headers['idempotency-key'] === `${key}:rollback`));
    const rollbacks = cp.effects.filter((e) => e.clusterId === cluster.id && e.action.type === 'rollback');
    assert.equal(rollbacks.length, 1);
    assert.equal(rollbacks[0]!.action.of, providerOperationId);
  });

  test('when no provider operation id was stored, then rollback fails permanently without calling the control plane', async () => {
    const cluster = httpCluster();
    const key = keyFor(cluster);
    await rejectsWith(
      adapter.rollback(
        { cluster, action: upgrade, idempotencyKey: key, fromVersion: '3.6.0', providerOperationId: null },
        recordingContext().ctx,
      ),
      ClusterApplyRejected,
      /never acknowledged an apply for this cluster attempt.*no provider operation to roll back/,
    );
    assert.deepEqual(requestsOf(cluster), []);
  });

  test('when the provider rollback operation ends failed, then rollback throws ClusterApplyFailed with its message', async () => {
    const cluster = httpCluster();
    const { key, providerOperationId } = await appliedWithStoredId(cluster);
    cp.script(cluster.id, { outcome: 'failed', message: 'snapshot 3.6.0 could not be restored' });
    await rejectsWith(
      adapter.rollback(
        { cluster, action: upgrade, idempotencyKey: key, fromVersion: '3.6.0', providerOperationId },
        recordingContext().ctx,
      ),
      ClusterApplyFailed,
      /snapshot 3\.6\.0 could not be restored/,
    );
    assert.equal((await adapter.health({ cluster })).version, '3.7.1');
  });

  test('when the provider does not know the stored operation, then rollback is rejected permanently (404)', async () => {
    const cluster = httpCluster();
    await rejectsWith(
      adapter.rollback(
        {
          cluster,
          action: upgrade,
          idempotencyKey: keyFor(cluster),
          fromVersion: '3.6.0',
          providerOperationId: 'op-unknown',
        },
        recordingContext().ctx,
      ),
      ClusterApplyRejected,
      /rollback \(404\).*op-unknown/,
    );
  });
});
