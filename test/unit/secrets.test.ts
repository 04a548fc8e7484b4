// Secrets stay out of the inventory: which config keys are refused, and how a worker resolves a tokenRef.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import { ApplicationFailure } from '@temporalio/common';
import { ClusterApplyRejected } from '../../adapters/errors';
import { createSecretResolver } from '../../adapters/secrets';
import { ClusterInputSchema } from '../../domain/cluster';
import { demoFleet } from '../../domain/demo-fleet';
import { FleetError } from '../../domain/errors';
import { findSecretKeys, isSecretKey, refuseSecretsInInventory } from '../../domain/secrets';

const VALUE = 'zz-planted-value-9f3c';

describe('isSecretKey', () => {
  const refused = [
    'token',
    'Token',
    'authToken',
    'bearer_token',
    'password',
    'db-password',
    'passwd',
    'passphrase',
    'secret',
    'clientSecret',
    'apiKey',
    'api_key',
    'API-KEY',
    'x-api-key',
    'accessKey',
    'aws_access_key_id',
    'privateKey',
    'signingKey',
    'credential',
    'credentials',
    'bearer',
    'Authorization',
    'cookie',
    'auth',
    'AUTH',
    'pwd',
    'pass',
  ];
  const allowed = [
    'tokenRef',
    'token_ref',
    'passwordRef',
    'baseUrl',
    'timeoutMs',
    'pollMs',
    'author',
    'authority',
    'passes',
    'applyMs',
    'brokers',
    'keyspace',
    'metrics',
    'reportVersion',
  ];
  for (const key of refused)
    test(`when a key is named '${key}', then it is a secret's name`, () => assert.ok(isSecretKey(key)));
  for (const key of allowed) test(`when a key is named '${key}', then it is not`, () => assert.ok(!isSecretKey(key)));
});

describe('findSecretKeys', () => {
  test('when secrets sit at any depth, in objects and arrays, then every path is named and no value', () => {
    const config = {
      baseUrl: 'https://cp.example',
      token: VALUE,
      tokenRef: 'cp_token',
      auth: { user: 'u', password: VALUE },
      headers: [{ name: 'x' }, { 'X-Api-Key': VALUE }],
      nested: { deeper: { clientSecret: VALUE } },
    };
    assert.deepEqual(findSecretKeys(config, 'adapter.config'), [
      'adapter.config.token',
      'adapter.config.auth',
      'adapter.config.headers.1.X-Api-Key',
      'adapter.config.nested.deeper.clientSecret',
    ]);
  });

  test('when a key is secret-named, then it counts whatever its value (null, empty, an object)', () => {
    assert.deepEqual(findSecretKeys({ token: null, secret: '', password: { v: 1 } }), ['token', 'secret', 'password']);
  });

  test('when the config has no secret-named key, then nothing is found', () => {
    assert.deepEqual(findSecretKeys({ baseUrl: 'https://x', tokenRef: 'a', metrics: { lag: 1 } }), []);
    assert.deepEqual(findSecretKeys(undefined), []);
  });
});

describe('refuseSecretsInInventory', () => {
  test('when a bulk request holds secrets, then secret_in_inventory names each path and cluster, never the value', () => {
    const clusters = [
      { id: 'ok-1', adapter: { config: { baseUrl: 'https://x', tokenRef: 'a' } } },
      { id: 'bad-2', adapter: { config: { token: VALUE } } },
    ];
    const err = captureError(() => refuseSecretsInInventory(clusters, (i) => `clusters.${i}`));
    assert.ok(err instanceof FleetError);
    assert.equal(err.status, 400);
    assert.equal(err.code, 'secret_in_inventory');
    assert.deepEqual(
      err.details.map((d) => [d.path, d.clusterId]),
      [['clusters.1.adapter.config.token', 'bad-2']],
    );
    assert.match(err.message, /tokenRef/);
    assert.doesNotMatch(JSON.stringify({ message: err.message, details: err.details }), new RegExp(VALUE));
  });

  test('when no cluster holds a secret, then it passes', () => {
    refuseSecretsInInventory([{ adapter: { config: { tokenRef: 'a' } } }, {}]);
  });

  test('when the demo fleet is seeded, then it passes the same refusal', () => {
    refuseSecretsInInventory(demoFleet(), (i) => `clusters.${i}`);
  });
});

describe('tokenRef in the inventory', () => {
  const http = (config: Record<string, unknown>) => ({
    id: 'c1',
    name: 'c1',
    kind: 'kafka',
    cloud: 'aws',
    region: 'us-east-1',
    environment: 'prod',
    version: '3.7.1',
    adapter: { type: 'http', config: { baseUrl: 'https://x', ...config } },
  });

  test('when tokenRef is a plain name, then the cluster is valid', () => {
    assert.ok(ClusterInputSchema.safeParse(http({ tokenRef: 'Prod_CP_1' })).success);
  });

  for (const bad of ['../etc/passwd', 'a/b', 'a.b', 'with space', '', 'x'.repeat(129), 'sk-live-abc']) {
    test(`when tokenRef is '${bad.slice(0, 20)}', then the cluster is refused without quoting it`, () => {
      const parsed = ClusterInputSchema.safeParse(http({ tokenRef: bad }));
      assert.ok(!parsed.success);
      const issue = parsed.error.issues[0]!;
      assert.deepEqual(issue.path, ['adapter', 'config', 'tokenRef']);
      if (bad) assert.ok(!issue.message.includes(bad));
    });
  }
});

describe('createSecretResolver', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fleetwave-secrets-'));
  after(() => fs.rmSync(dir, { recursive: true, force: true }));
  fs.writeFileSync(path.join(dir, 'from_file'), `${VALUE}-file\n`);
  fs.writeFileSync(path.join(dir, 'both'), `${VALUE}-file\n`);
  fs.writeFileSync(path.join(dir, 'crlf'), `${VALUE}-crlf\r\n`);
  fs.writeFileSync(path.join(dir, 'inner'), ` ${VALUE} \n\n`);
  fs.writeFileSync(path.join(dir, 'empty'), '\n');
  fs.mkdirSync(path.join(dir, 'a_directory'));
  const env = { FLEET_SECRET_from_env: `${VALUE}-env`, FLEET_SECRET_both: `${VALUE}-env`, FLEET_SECRET_blank: '' };
  const resolve = createSecretResolver({ env, dir });

  test('when FLEET_SECRET_<ref> is set, then its value is the secret', async () => {
    assert.equal(await resolve('from_env'), `${VALUE}-env`);
  });

  test('when both the variable and the file exist, then the variable wins', async () => {
    assert.equal(await resolve('both'), `${VALUE}-env`);
  });

  test('when only the file exists, then its content without the trailing newline is the secret', async () => {
    assert.equal(await resolve('from_file'), `${VALUE}-file`);
    assert.equal(await resolve('crlf'), `${VALUE}-crlf`);
    assert.equal(await resolve('inner'), ` ${VALUE} \n`);
  });

  test('when the variable is empty, then the file is read', async () => {
    fs.writeFileSync(path.join(dir, 'blank'), 'from-the-file');
    assert.equal(await resolve('blank'), 'from-the-file');
  });

  const missing: [string, RegExp, ReturnType<typeof createSecretResolver>][] = [
    ['nowhere', /FLEET_SECRET_nowhere is not set and .*nowhere does not exist/, resolve],
    ['empty', /empty is empty/, resolve],
    ['a_directory', /cannot be read \(EISDIR\)/, resolve],
    ['from_file', /FLEET_SECRETS_DIR is not configured/, createSecretResolver({ env: {} })],
  ];
  for (const [ref, why, resolver] of missing) {
    test(`when '${ref}' cannot be resolved, then it fails secret_missing:${ref}, non-retryable`, async () => {
      const err = await resolver(ref).then(
        () => assert.fail('resolved'),
        (e: unknown) => e,
      );
      assert.ok(err instanceof ApplicationFailure);
      assert.equal(err.nonRetryable, true);
      assert.equal(err.type, 'SecretMissing');
      assert.ok(err.message.startsWith(`secret_missing:${ref}: `), err.message);
      assert.match(err.message, why);
      assert.doesNotMatch(err.message, new RegExp(VALUE));
    });
  }

  for (const bad of ['../from_file', 'a/b', '.', '', 'x'.repeat(129), 'from_file\n']) {
    test(`when the ref is ${JSON.stringify(bad.slice(0, 20))}, then it is refused before any lookup`, async () => {
      const err = await resolve(bad).then(
        () => assert.fail('resolved'),
        (e: unknown) => e,
      );
      assert.ok(err instanceof ClusterApplyRejected);
      assert.match(err.message, /tokenRef must be/);
    });
  }
});

function captureError(fn: () => void): unknown {
  try {
    fn();
  } catch (err) {
    return err;
  }
  return assert.fail('no error');
}
