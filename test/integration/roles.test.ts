// The role matrix: every route × every role (and no token), over real HTTP. Allowed calls may still
// fail for other reasons (404 for an unknown id, 400 for an empty body): only 401/403 mean "refused".
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { call, startApi, TOKENS, type TestApi } from '../helpers/api';
import { uid } from '../helpers/env';
import { clusterBody } from '../helpers/fixtures';

type Role = keyof typeof TOKENS;
type Needs = Role | 'public';

let api: TestApi;
before(async () => {
  api = await startApi();
});
after(async () => {
  await api.close();
});

const unknownOp = 'no-such-operation-abc123';
const unknownCluster = 'no-such-cluster';

const routes: [method: string, path: () => string, needs: Needs, body?: () => unknown][] = [
  ['GET', () => '/healthz', 'public'],
  ['GET', () => '/v1/clusters', 'viewer'],
  ['GET', () => `/v1/clusters/${unknownCluster}`, 'viewer'],
  ['POST', () => '/v1/clusters', 'operator', () => clusterBody({ id: uid('role') })],
  ['PATCH', () => `/v1/clusters/${unknownCluster}`, 'operator', () => ({ name: 'x' })],
  ['DELETE', () => `/v1/clusters/${unknownCluster}`, 'operator'],
  ['POST', () => '/v1/operations', 'operator', () => ({})],
  ['GET', () => '/v1/operations', 'viewer'],
  ['GET', () => `/v1/operations/${unknownOp}`, 'viewer'],
  ['GET', () => `/v1/operations/${unknownOp}/clusters`, 'viewer'],
  ['GET', () => `/v1/operations/${unknownOp}/events`, 'viewer'],
  ['PATCH', () => `/v1/operations/${unknownOp}`, 'operator', () => ({ maxParallel: 2 })],
  ['POST', () => `/v1/operations/${unknownOp}/pause`, 'operator'],
  ['POST', () => `/v1/operations/${unknownOp}/resume`, 'operator'],
  ['POST', () => `/v1/operations/${unknownOp}/cancel`, 'operator'],
  ['POST', () => `/v1/operations/${unknownOp}/approve`, 'approver', () => ({ wave: 1 })],
  ['POST', () => `/v1/operations/${unknownOp}/clusters/${unknownCluster}/retry`, 'operator'],
  ['POST', () => `/v1/operations/${unknownOp}/clusters/${unknownCluster}/skip`, 'operator'],
];

function allowed(needs: Needs, role: Role | null): boolean {
  if (needs === 'public') return true;
  if (role === null) return false;
  if (role === 'admin' || role === needs) return true;
  return needs === 'viewer';
}

describe('role matrix', () => {
  for (const [method, path, needs, body] of routes) {
    for (const role of [null, 'viewer', 'operator', 'approver', 'admin'] as const) {
      const expectAllowed = allowed(needs, role);
      test(`when ${role ?? 'no token'} calls ${method} ${path()}, then it is ${expectAllowed ? 'allowed' : 'refused'}`, async () => {
        const res = await call(api.url, method, path(), { token: role === null ? null : TOKENS[role], body: body?.() });
        if (expectAllowed) {
          assert.ok(![401, 403].includes(res.status), `refused with ${res.status}: ${JSON.stringify(res.body)}`);
          assert.ok(res.status < 500, `server error ${res.status}: ${JSON.stringify(res.body)}`);
        } else {
          assert.equal(res.status, role === null ? 401 : 403, JSON.stringify(res.body));
          assert.equal(res.body.error.code, role === null ? 'unauthorized' : 'forbidden');
        }
      });
    }
  }
});
