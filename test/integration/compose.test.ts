// The production compose file: valid for docker-compose, and shaped as docs/production.md says (private
// ports, healthchecks, start order, the worker's metrics reachable in-network only). Skipped without docker-compose.
// Its Temporal server runs on the config `npm run temporal:server` uses: rendered here by the pinned server
// binary with compose's environment (skipped when that binary is not built).
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { describe, test } from 'node:test';
import { parse } from 'yaml';
import { findBinary, SERVER_BINARY, TEMPORAL_SERVER_VERSION } from '../../scripts/lib/temporal-server';

const root = path.join(__dirname, '..', '..');
const installed = !spawnSync('docker-compose', ['version'], { stdio: 'ignore' }).error;

/** `docker-compose config`: the file as compose understands it, variables interpolated. */
function composeConfig(env: Record<string, string | undefined>) {
  const vars = { ...process.env, ...env };
  for (const [k, v] of Object.entries(env)) if (v === undefined) delete vars[k];
  return spawnSync('docker-compose', ['-f', 'docker-compose.yml', 'config'], {
    cwd: root,
    env: vars,
    encoding: 'utf8',
    timeout: 60_000,
  });
}

/** Ports in either syntax compose prints: "127.0.0.1:8080:8080/tcp" or { host_ip, published, target }. */
function published(ports: unknown[] = []): { hostIp: string; published: string }[] {
  return ports.map((p) => {
    if (typeof p === 'object' && p !== null) {
      const o = p as { host_ip?: string; published?: unknown };
      return { hostIp: o.host_ip ?? '0.0.0.0', published: String(o.published) };
    }
    const parts = String(p)
      .replace(/\/\w+$/, '')
      .split(':');
    return parts.length === 3
      ? { hostIp: parts[0]!, published: parts[1]! }
      : { hostIp: '0.0.0.0', published: parts[0]! };
  });
}

describe('docker-compose.yml', () => {
  test('when FLEET_API_TOKENS is set, then docker-compose accepts the file and it has the production shape', (t) => {
    if (!installed) return t.skip('docker-compose not installed');
    const res = composeConfig({
      FLEET_API_TOKENS: 'compose-test-token=alice:admin',
      POSTGRES_PASSWORD: undefined,
      FLEETWAVE_API_PUBLISH: undefined,
    });
    assert.equal(res.status, 0, res.stderr);
    const { services } = parse(res.stdout) as { services: Record<string, any> };

    for (const name of [
      'postgres',
      'temporal-schema',
      'temporal',
      'temporal-setup',
      'temporal-ui',
      'migrate',
      'api',
      'worker',
    ]) {
      assert.ok(services[name], `service ${name} missing`);
    }
    for (const name of ['migrate', 'api', 'worker']) {
      assert.equal(services[name].environment.NODE_ENV, 'production', name);
      assert.equal(services[name].environment.FLEET_API_TOKENS, 'compose-test-token=alice:admin', name);
      assert.equal(services[name].environment.TEMPORAL_ADDRESS, 'temporal:7233', name);
    }
    for (const name of ['api', 'worker']) {
      assert.deepEqual(services[name].depends_on, {
        migrate: { condition: 'service_completed_successfully' },
        'temporal-setup': { condition: 'service_completed_successfully' },
      });
      assert.ok(services[name].healthcheck?.test, `${name} has no healthcheck`);
      assert.equal(services[name].init, true, `${name} needs an init so SIGTERM reaches node`);
    }
    assert.ok(services.postgres.healthcheck?.test && services.temporal.healthcheck?.test);
    assert.equal(services.temporal.environment.DB, 'postgres12');

    // One Temporal configuration: the server starts on deploy/temporal/config like `npm run temporal:server`,
    // at the version that command builds, and the schema job fills the databases the server reads.
    assert.deepEqual(services.temporal.entrypoint, ['sh', '/deploy/temporal-server.sh']);
    assert.equal(services.temporal.image, `temporalio/server:${TEMPORAL_SERVER_VERSION}`);
    for (const name of ['temporal-schema', 'temporal-setup'])
      assert.match(services[name].image, new RegExp(`^temporalio/admin-tools:${TEMPORAL_SERVER_VERSION}\\b`), name);
    assert.equal(services.temporal.environment.DYNAMIC_CONFIG_FILE_PATH, '/deploy/temporal/dynamicconfig.yaml');
    assert.equal(services.temporal.environment.NUM_HISTORY_SHARDS, '4');
    for (const key of ['DBNAME', 'VISIBILITY_DBNAME'])
      assert.equal(services['temporal-schema'].environment[key], services.temporal.environment[key], key);

    // The worker's metrics: on the compose network, never on the host (replicas would collide).
    assert.equal(services.worker.environment.WORKER_METRICS_PORT, '9464');
    assert.equal(services.worker.environment.TEMPORAL_METRICS_PORT, '9465');
    assert.deepEqual(services.worker.expose.map(String).sort(), ['9464', '9465']);
    assert.equal(services.worker.ports, undefined);
    assert.ok(services.worker.stop_grace_period, 'the worker needs time to drain');

    // Nothing unauthenticated is reachable from other machines by default.
    for (const [name, service] of Object.entries(services)) {
      for (const port of published(service.ports))
        assert.equal(port.hostIp, '127.0.0.1', `${name} publishes ${port.published} beyond this host`);
    }
    assert.deepEqual(
      published(services.api.ports).map((p) => p.published),
      ['8080'],
    );
  });

  test('when FLEET_API_TOKENS is missing, then docker-compose refuses the file and names the variable', (t) => {
    if (!installed) return t.skip('docker-compose not installed');
    const res = composeConfig({ FLEET_API_TOKENS: undefined });
    assert.notEqual(res.status, 0);
    assert.match(res.stderr, /FLEET_API_TOKENS/);
  });

  test('when POSTGRES_PASSWORD is set, then the app, Temporal and its schema job all use it', (t) => {
    if (!installed) return t.skip('docker-compose not installed');
    const res = composeConfig({ FLEET_API_TOKENS: 'compose-test-token=alice:admin', POSTGRES_PASSWORD: 's3cret' });
    assert.equal(res.status, 0, res.stderr);
    const { services } = parse(res.stdout) as { services: Record<string, any> };
    assert.equal(services.postgres.environment.POSTGRES_PASSWORD, 's3cret');
    assert.equal(services.temporal.environment.POSTGRES_PWD, 's3cret');
    assert.equal(services['temporal-schema'].environment.SQL_PASSWORD, 's3cret');
    for (const name of ['migrate', 'api', 'worker']) {
      assert.equal(services[name].environment.DATABASE_URL, 'postgres://postgres:s3cret@postgres:5432/fleetwave', name);
    }
  });
});

describe('deploy/temporal/config/fleetwave.yaml', () => {
  const server = findBinary(SERVER_BINARY);

  test("when the pinned server renders it with compose's environment, then it is PostgreSQL persistence with SQL visibility, the shards asked for, and every service on the bind address", (t) => {
    if (!server)
      return t.skip(`the Temporal server ${TEMPORAL_SERVER_VERSION} is not built (npm run temporal:server builds it)`);
    const compose = parse(fs.readFileSync(path.join(root, 'docker-compose.yml'), 'utf8'), { merge: true }) as {
      services: Record<string, any>;
    };
    const env: Record<string, string> = { ...compose.services.temporal.environment };
    env.NUM_HISTORY_SHARDS = '8'; // ${TEMPORAL_SHARDS:-4} is for compose to fill; any count renders
    env.TEMPORAL_BROADCAST_ADDRESS = '10.0.0.7'; // deploy/temporal-server.sh sets the container's IP
    const out = spawnSync(
      server.path,
      ['--root', root, '--config', 'deploy/temporal/config', '--env', 'fleetwave', 'render-config'],
      { env: { PATH: process.env.PATH, ...env }, encoding: 'utf8' },
    );
    assert.equal(out.status, 0, out.stderr);
    const rendered = parse(out.stdout);
    assert.equal(rendered.persistence.numHistoryShards, 8);
    assert.equal(rendered.persistence.visibilityStore, 'visibility');
    const stores = rendered.persistence.datastores;
    assert.equal(stores.default.sql.pluginName, 'postgres12');
    assert.equal(stores.default.sql.connectAddr, 'postgres:5432');
    assert.equal(stores.default.sql.databaseName, 'temporal');
    assert.equal(stores.visibility.sql.databaseName, 'temporal_visibility');
    assert.equal(stores.visibility.sql.pluginName, 'postgres12');
    for (const service of ['frontend', 'history', 'matching', 'worker'])
      assert.equal(rendered.services[service].rpc.bindOnIP, '0.0.0.0', service);
    assert.equal(rendered.services.frontend.rpc.grpcPort, 7233);
    assert.equal(rendered.global.membership.broadcastAddress, '10.0.0.7');
    assert.equal(rendered.dynamicConfigClient.filepath, '/deploy/temporal/dynamicconfig.yaml');
  });
});
