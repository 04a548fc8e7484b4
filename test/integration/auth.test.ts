// Authentication and roles on the inventory routes: who may read, who may change, and open dev mode.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { call, startApi, TOKENS, type TestApi } from '../helpers/api';
import { clusterBody } from '../helpers/fixtures';

let api: TestApi;
let existing: ReturnType<typeof clusterBody>;
before(async () => {
  api = await startApi();
  existing = clusterBody();
  assert.equal((await call(api.url, 'POST', '/v1/clusters', { body: existing })).status, 201);
});
after(async () => {
  await api.close();
});

type Route = { method: string; name: string; path: () => string; body?: () => unknown; write: boolean };
const routes: Route[] = [
  { method: 'GET', name: '/v1/clusters', path: () => '/v1/clusters', write: false },
  { method: 'GET', name: '/v1/clusters/:id', path: () => `/v1/clusters/${existing.id}`, write: false },
  { method: 'POST', name: '/v1/clusters', path: () => '/v1/clusters', body: () => clusterBody(), write: true },
  {
    method: 'PATCH',
    name: '/v1/clusters/:id',
    path: () => `/v1/clusters/${existing.id}`,
    body: () => ({ name: 'renamed' }),
    write: true,
  },
  { method: 'DELETE', name: '/v1/clusters/:id', path: () => `/v1/clusters/${existing.id}`, write: true },
];

/** What a request could have changed: the existing cluster, the posted one, and their audit rows. */
async function snapshot(body: unknown) {
  const ids = [existing.id, (body as { id?: string } | undefined)?.id].filter(Boolean);
  const { rows } = await api.db.query(
    `SELECT (SELECT count(*) FROM clusters WHERE id = ANY($1))::int AS clusters,
            (SELECT count(*) FROM audit_events WHERE target_id = ANY($1))::int AS audit,
            (SELECT name FROM clusters WHERE id = $2) AS name`,
    [ids, existing.id],
  );
  return rows[0];
}

describe('roles', () => {
  for (const route of routes) {
    const expected = (role: keyof typeof TOKENS) =>
      !route.write || role === 'operator' || role === 'admin' ? 'allowed' : 403;
    for (const role of ['viewer', 'approver'] as const) {
      if (expected(role) !== 403) continue;
      test(`when a ${role} calls ${route.method} ${route.name}, then it is 403 and nothing changes`, async () => {
        const body = route.body?.();
        const before = await snapshot(body);
        const res = await call(api.url, route.method, route.path(), { token: TOKENS[role], body });
        assert.equal(res.status, 403);
        assert.equal(res.body.error.code, 'forbidden');
        assert.deepEqual(await snapshot(body), before);
      });
    }
    test(`when no token is sent to ${route.method} ${route.name}, then it is 401 and nothing changes`, async () => {
      const body = route.body?.();
      const before = await snapshot(body);
      const res = await call(api.url, route.method, route.path(), { token: null, body });
      assert.equal(res.status, 401);
      assert.equal(res.body.error.code, 'unauthorized');
      assert.deepEqual(await snapshot(body), before);
    });
    test(`when a wrong token is sent to ${route.method} ${route.name}, then it is 401`, async () => {
      const res = await call(api.url, route.method, route.path(), { token: 'not-a-real-token', body: route.body?.() });
      assert.equal(res.status, 401);
    });
  }

  test('when a viewer reads, then it is allowed; operators and admins may write', async () => {
    assert.equal((await call(api.url, 'GET', '/v1/clusters', { token: TOKENS.viewer })).status, 200);
    assert.equal((await call(api.url, 'GET', '/v1/clusters', { token: TOKENS.approver })).status, 200);
    assert.equal(
      (await call(api.url, 'POST', '/v1/clusters', { token: TOKENS.operator, body: clusterBody() })).status,
      201,
    );
    assert.equal(
      (await call(api.url, 'POST', '/v1/clusters', { token: TOKENS.admin, body: clusterBody() })).status,
      201,
    );
  });

  test('when the Authorization header is not a bearer token, then it is 401', async () => {
    const res = await call(api.url, 'GET', '/v1/clusters', {
      token: null,
      headers: { authorization: `Basic ${TOKENS.admin}` },
    });
    assert.equal(res.status, 401);
  });

  test('when /healthz and /readyz are called without a token, then they answer', async () => {
    assert.equal((await call(api.url, 'GET', '/healthz', { token: null })).status, 200);
    assert.equal((await call(api.url, 'GET', '/readyz', { token: null })).status, 200);
  });
});

describe('open dev mode', () => {
  test('when no tokens are configured, then callers act as dev:admin and are audited as dev', async () => {
    const open = await startApi({ tokens: '' });
    try {
      const body = clusterBody();
      const res = await call(open.url, 'POST', '/v1/clusters', { token: null, body });
      assert.equal(res.status, 201);
      const { rows } = await open.db.query('SELECT identity, role FROM audit_events WHERE target_id = $1', [body.id]);
      assert.deepEqual(rows, [{ identity: 'dev', role: 'admin' }]);
    } finally {
      await open.close();
    }
  });
});
