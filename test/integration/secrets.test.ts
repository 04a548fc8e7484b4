// Secrets by reference, end to end over real HTTP: a secret-named key in the inventory is refused with nothing
// written; a cluster's tokenRef is resolved by the worker (environment first, then FLEET_SECRETS_DIR) and sent
// as Bearer to its control plane; a tokenRef the worker cannot resolve fails the cluster at once.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { call } from '../helpers/api';
import { startControlPlane, type ControlPlane } from '../helpers/control-plane';
import { FAST_MONITOR, startEngine, startOperation, waitForState, type EngineStack } from '../helpers/engine';
import { uid } from '../helpers/env';
import { clusterBody } from '../helpers/fixtures';

const VALUE = 'planted-secret-value-7d1e';
const ENV_TOKEN = 'env-token-for-the-control-plane';
const FILE_TOKEN = 'file-token-for-the-other-control-plane';
const UPGRADE = { type: 'upgrade', targetVersion: '3.7.1' };

const secretsDir = fs.mkdtempSync(path.join(os.tmpdir(), 'fleetwave-secrets-'));
let stack: EngineStack;
let envCp: ControlPlane;
let fileCp: ControlPlane;
before(async () => {
  fs.writeFileSync(path.join(secretsDir, 'file_token'), `${FILE_TOKEN}\n`);
  envCp = await startControlPlane({ token: ENV_TOKEN });
  fileCp = await startControlPlane({ token: FILE_TOKEN });
  stack = await startEngine({ secrets: { env: { FLEET_SECRET_env_token: ENV_TOKEN }, dir: secretsDir } });
});
after(async () => {
  await stack?.close();
  await Promise.all([envCp?.close(), fileCp?.close()]);
  fs.rmSync(secretsDir, { recursive: true, force: true });
});

const httpAdapter = (cp: ControlPlane, config: Record<string, unknown>) => ({
  type: 'http' as const,
  config: { baseUrl: cp.url, pollMs: 20, timeoutMs: 2000, ...config },
});

async function auditRowsAbout(ids: string[]): Promise<string[]> {
  const { rows } = await stack.db.query<{ row: string }>(
    `SELECT a::text AS row FROM audit_events a WHERE target_id = ANY($1::text[]) OR payload::text LIKE '%' || $2 || '%'`,
    [ids, VALUE],
  );
  return rows.map((r) => r.row);
}

async function exists(id: string): Promise<boolean> {
  const res = await call(stack.api.url, 'GET', `/v1/clusters/${id}`);
  return res.status === 200;
}

/** The 400 every refusal answers: the code, the paths of the keys, and never their value. */
function assertRefused(res: { status: number; body: any }, paths: string[]) {
  assert.equal(res.status, 400, JSON.stringify(res.body));
  assert.equal(res.body.error.code, 'secret_in_inventory');
  assert.deepEqual(
    res.body.error.details.map((d: { path: string }) => d.path),
    paths,
  );
  assert.match(res.body.error.message, /tokenRef/);
  assert.ok(!JSON.stringify(res.body).includes(VALUE), 'the answer quotes the secret');
}

describe('a secret in the inventory is refused', () => {
  test('when POST /v1/clusters carries config.token, then 400 secret_in_inventory names the key and nothing is written', async () => {
    const body = clusterBody({ adapter: httpAdapter(envCp, { token: VALUE }) });
    assertRefused(await call(stack.api.url, 'POST', '/v1/clusters', { body }), ['adapter.config.token']);
    assert.equal(await exists(body.id), false);
    assert.deepEqual(await auditRowsAbout([body.id]), []);
  });

  test('when a secret-named key is nested in any adapter config, then its path is named', async () => {
    const body = clusterBody({
      adapter: { type: 'simulated', config: { applyMs: 10, headers: [{ name: 'x' }, { 'X-Api-Key': VALUE }] } },
    });
    assertRefused(await call(stack.api.url, 'POST', '/v1/clusters', { body }), ['adapter.config.headers.1.X-Api-Key']);
    assert.equal(await exists(body.id), false);
  });

  test('when one cluster of a bulk create holds a password, then the whole request is refused and names that cluster', async () => {
    const clean = clusterBody({ adapter: httpAdapter(envCp, { tokenRef: 'env_token' }) });
    const leaky = clusterBody({ adapter: httpAdapter(envCp, { auth: { user: 'svc', Password: VALUE } }) });
    const res = await call(stack.api.url, 'POST', '/v1/clusters', { body: { clusters: [clean, leaky] } });
    assertRefused(res, ['clusters.1.adapter.config.auth']);
    assert.equal(res.body.error.details[0].clusterId, leaky.id);
    assert.equal(await exists(clean.id), false, 'nothing of the request is written');
    assert.equal(await exists(leaky.id), false);
    assert.deepEqual(await auditRowsAbout([clean.id, leaky.id]), []);
  });

  test('when PATCH /v1/clusters/:id sets an apiKey, then it is refused and the cluster stays as it was', async () => {
    const body = clusterBody({ adapter: httpAdapter(envCp, { tokenRef: 'env_token' }) });
    assert.equal((await call(stack.api.url, 'POST', '/v1/clusters', { body })).status, 201);
    const before = (await call(stack.api.url, 'GET', `/v1/clusters/${body.id}`)).body;
    const res = await call(stack.api.url, 'PATCH', `/v1/clusters/${body.id}`, {
      body: { adapter: httpAdapter(envCp, { tokenRef: 'env_token', api_key: VALUE }) },
    });
    assertRefused(res, ['adapter.config.api_key']);
    assert.deepEqual((await call(stack.api.url, 'GET', `/v1/clusters/${body.id}`)).body, before);
    const audit = await auditRowsAbout([body.id]);
    assert.equal(audit.length, 1, 'only the create is audited');
    assert.ok(!audit.some((row) => row.includes(VALUE)));
  });

  test('when tokenRef is not a plain name, then 400 validation_failed without quoting it', async () => {
    const body = clusterBody({ adapter: httpAdapter(envCp, { tokenRef: `../${VALUE}` }) });
    const res = await call(stack.api.url, 'POST', '/v1/clusters', { body });
    assert.equal(res.status, 400);
    assert.equal(res.body.error.code, 'validation_failed');
    assert.equal(res.body.error.details[0].path, 'adapter.config.tokenRef');
    assert.ok(!JSON.stringify(res.body).includes(VALUE));
    assert.equal(await exists(body.id), false);
  });
});

describe('the worker resolves tokenRef', () => {
  test('when clusters name secrets in the environment and in FLEET_SECRETS_DIR, then each control plane receives its Bearer token and the operation completes', async () => {
    const fromEnv = clusterBody({ id: uid('env'), adapter: httpAdapter(envCp, { tokenRef: 'env_token' }) });
    const fromFile = clusterBody({ id: uid('file'), adapter: httpAdapter(fileCp, { tokenRef: 'file_token' }) });
    envCp.script(fromEnv.id, { version: '3.6.0', pollsUntilDone: 1 });
    fileCp.script(fromFile.id, { version: '3.6.0' });
    const created = await call(stack.api.url, 'POST', '/v1/clusters', { body: { clusters: [fromEnv, fromFile] } });
    assert.equal(created.status, 201, JSON.stringify(created.body));

    const op = await startOperation(stack, {
      action: UPGRADE,
      selector: { ids: [fromEnv.id, fromFile.id] },
      defaults: { maxParallel: 2 },
      monitor: FAST_MONITOR,
    });
    const done = await waitForState(stack, op.id, 'completed');
    assert.equal(done.counts.succeeded, 2, JSON.stringify(done.counts));

    // Each control plane serves only this test's cluster so far: every request it got carries its token.
    for (const [cp, token] of [
      [envCp, ENV_TOKEN],
      [fileCp, FILE_TOKEN],
    ] as const) {
      assert.deepEqual([...new Set(cp.requests.map((r) => r.endpoint))].sort(), ['create', 'health', 'poll']);
      assert.ok(
        cp.requests.every((r) => r.headers.authorization === `Bearer ${token}`),
        'every request carries the resolved token',
      );
      assert.ok(cp.requests.every((r) => r.answer !== undefined && r.answer.status < 300));
    }
  });

  test('when a tokenRef names no secret on the worker, then the cluster fails at once with secret_missing:<tokenRef> and nothing reaches its control plane', async () => {
    const missing = clusterBody({ id: uid('miss'), adapter: httpAdapter(envCp, { tokenRef: 'absent_ref' }) });
    envCp.script(missing.id, { version: '3.6.0' });
    assert.equal((await call(stack.api.url, 'POST', '/v1/clusters', { body: missing })).status, 201);

    const op = await startOperation(stack, {
      action: UPGRADE,
      selector: { ids: [missing.id] },
      defaults: { maxFailures: 1 },
      monitor: FAST_MONITOR,
    });
    const done = await waitForState(stack, op.id, 'completed');
    assert.equal(done.counts.failed, 1, JSON.stringify(done.counts));
    const runs = (await call(stack.api.url, 'GET', `/v1/operations/${op.id}/clusters`)).body.runs;
    const run = runs.find((r: { clusterId: string }) => r.clusterId === missing.id);
    assert.equal(run.state, 'failed');
    assert.ok(run.error.startsWith('secret_missing:absent_ref'), run.error);
    assert.match(run.error, /FLEET_SECRET_absent_ref is not set and .*absent_ref does not exist/);
    assert.equal(run.adapterAttempts, 1, 'not retried');
    const sent = envCp.requests.filter((r) => r.path.includes(`/${missing.id}/`));
    assert.deepEqual(sent, [], 'no request without its credentials');
  });
});
