// /readyz follows PostgreSQL and Temporal going away and coming back, without an API restart.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { call, startApi, type TestApi } from '../helpers/api';
import { testEnv } from '../helpers/env';
import { startTcpProxy, type TcpProxy } from '../helpers/tcp-proxy';

let pgProxy: TcpProxy;
let temporalProxy: TcpProxy;
let api: TestApi;

before(async () => {
  const env = testEnv();
  const pgUrl = new URL(env.databaseUrl);
  pgProxy = await startTcpProxy({ host: pgUrl.hostname, port: Number(pgUrl.port || 5432) });
  const [host, port] = env.temporalAddress.split(':');
  temporalProxy = await startTcpProxy({ host: host!, port: Number(port) });
  pgUrl.host = `127.0.0.1:${pgProxy.port}`;
  api = await startApi({ databaseUrl: pgUrl.toString(), temporalAddress: `127.0.0.1:${temporalProxy.port}` });
});
after(async () => {
  await api.close();
  await pgProxy.close();
  await temporalProxy.close();
});

async function readyz() {
  return call(api.url, 'GET', '/readyz', { token: null });
}

/** Polls until /readyz answers `status` (reconnects take a moment), failing after 20 s. */
async function eventually(status: number) {
  const deadline = Date.now() + 20_000;
  for (;;) {
    const res = await readyz();
    if (res.status === status) return res;
    if (Date.now() > deadline) assert.fail(`readyz stayed ${res.status}: ${JSON.stringify(res.body)}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

test('when both dependencies answer, then /readyz is 200 with each check ok', async () => {
  const res = await eventually(200);
  assert.equal(res.body.status, 'ready');
  assert.equal(res.body.checks.postgres.ok, true);
  assert.equal(res.body.checks.temporal.ok, true);
});

test('when PostgreSQL goes away, then /readyz is 503 naming it, API calls are 503, and 200 once it is back', async () => {
  await pgProxy.cut();
  const down = await eventually(503);
  assert.equal(down.body.checks.postgres.ok, false);
  assert.equal(down.body.checks.temporal.ok, true);
  assert.ok(down.body.checks.postgres.error);
  const list = await call(api.url, 'GET', '/v1/clusters');
  assert.equal(list.status, 503);
  assert.equal(list.body.error.code, 'postgres_unavailable');
  await pgProxy.restore();
  await eventually(200);
  assert.equal((await call(api.url, 'GET', '/v1/clusters')).status, 200);
});

test('when Temporal goes away, then /readyz is 503 naming it, and 200 once it is back', async () => {
  await temporalProxy.cut();
  const down = await eventually(503);
  assert.equal(down.body.checks.temporal.ok, false);
  assert.equal(down.body.checks.postgres.ok, true);
  await temporalProxy.restore();
  await eventually(200);
});
