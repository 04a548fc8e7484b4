// API hardening over real HTTP: security headers, body limits and types, error answers that leak
// nothing, and tokens that never reach a log line.
import assert from 'node:assert/strict';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { BODY_LIMIT, createApp } from '../../api/app';
import { createApiMetrics } from '../../api/metrics';
import { createHealthService } from '../../api/services/health';
import { createGuardService } from '../../api/services/guard';
import { createInventoryService } from '../../api/services/inventory';
import { createOperationsService } from '../../api/services/operations';
import { createTemporalClient } from '../../api/temporal';
import { parseTokenList } from '../../domain/auth';
import { createPool } from '../../db/pool';
import { createLogger } from '../../logger';
import { call, startApi, TOKEN_LIST, TOKENS, type TestApi } from '../helpers/api';
import { testEnv, uid } from '../helpers/env';
import { clusterBody } from '../helpers/fixtures';

let api: TestApi;
before(async () => {
  api = await startApi();
});
after(async () => {
  await api.close();
});

/** Nothing in an error answer may look like a stack frame or an internal error text. */
function assertNoLeak(text: string): void {
  assert.doesNotMatch(text, /\bat .+:\d+:\d+/);
  assert.doesNotMatch(text, /node_modules|TypeError|SyntaxError|Unexpected token|stack/);
}

describe('security headers', () => {
  const answers: [string, () => Promise<{ status: number; headers: Headers }>][] = [
    ['a JSON answer', () => call(api.url, 'GET', '/v1/clusters?limit=1')],
    ['a 401', () => call(api.url, 'GET', '/v1/clusters', { token: null })],
    ['a 404', () => call(api.url, 'GET', '/no/such/route')],
    ['a probe', () => call(api.url, 'GET', '/healthz')],
  ];
  for (const [what, request] of answers) {
    test(`when the API sends ${what}, then it carries the hardening headers and no X-Powered-By`, async () => {
      const res = await request();
      const h = res.headers;
      assert.equal(h.get('x-content-type-options'), 'nosniff');
      assert.equal(h.get('x-frame-options'), 'DENY');
      assert.equal(h.get('referrer-policy'), 'no-referrer');
      assert.equal(h.get('cache-control'), 'no-store');
      assert.equal(h.get('cross-origin-resource-policy'), 'same-origin');
      assert.match(h.get('strict-transport-security') ?? '', /max-age=\d+/);
      assert.match(h.get('content-security-policy') ?? '', /default-src 'none'/);
      assert.match(h.get('content-security-policy') ?? '', /frame-ancestors 'none'/);
      assert.equal(h.get('x-powered-by'), null);
    });
  }

  test('when the /docs page is served, then its own CSP replaces the deny-all one', async () => {
    const res = await fetch(`${api.url}/docs`);
    await res.text();
    if (res.status === 404) return; // no docs router mounted in this build
    const csp = res.headers.get('content-security-policy') ?? '';
    assert.match(csp, /script-src 'self'/);
    assert.equal(res.headers.get('x-frame-options'), 'DENY');
  });
});

describe('request bodies', () => {
  test(`when a body exceeds ${BODY_LIMIT}, then it is 413 payload_too_large`, async () => {
    const big = JSON.stringify({ clusters: [clusterBody()], pad: 'x'.repeat(6 * 1024 * 1024) });
    const res = await call(api.url, 'POST', '/v1/clusters', {
      rawBody: big,
      headers: { 'content-type': 'application/json' },
    });
    assert.equal(res.status, 413);
    assert.equal(res.body.error.code, 'payload_too_large');
  });

  test('when a body is not declared as JSON, then it is 415 unsupported_media_type', async () => {
    const res = await call(api.url, 'POST', '/v1/clusters', {
      rawBody: JSON.stringify(clusterBody()),
      headers: { 'content-type': 'text/plain' },
    });
    assert.equal(res.status, 415);
    assert.equal(res.body.error.code, 'unsupported_media_type');
  });

  test('when a JSON body is malformed, then it is 400 invalid_json without the parser message', async () => {
    const res = await call(api.url, 'POST', '/v1/clusters', {
      rawBody: '{"clusters": [',
      headers: { 'content-type': 'application/json' },
    });
    assert.equal(res.status, 400);
    assert.equal(res.body.error.code, 'invalid_json');
    assertNoLeak(JSON.stringify(res.body));
  });
});

describe('internal errors and logs', () => {
  const lines: string[] = [];
  let server: Server;
  let url: string;
  let close: () => Promise<void>;

  // The one stub of this suite: an inventory whose list() hits a programming error, at the service seam.
  before(async () => {
    const env = testEnv();
    const db = createPool(env.databaseUrl, 2);
    const { connection, client } = createTemporalClient({
      temporal: { address: env.temporalAddress, namespace: 'default', taskQueue: uid('tq'), uiUrl: '' },
    });
    const health = createHealthService({ db, temporalAddress: env.temporalAddress, timeoutMs: 1000 });
    const inventory = createInventoryService(db);
    const app = createApp({
      config: { tokens: parseTokenList(TOKEN_LIST) },
      logger: createLogger({
        level: 'debug',
        pretty: false,
        name: 'security-test',
        destination: { write: (line: string) => void lines.push(line) },
      }),
      inventory: {
        ...inventory,
        list: () => Promise.reject(new TypeError("Cannot read properties of undefined (reading 'secretColumn')")),
      },
      operations: createOperationsService({
        db,
        client,
        taskQueue: uid('tq'),
        allowSelfApproval: false,
        queryTimeoutMs: 500,
        rpcTimeoutMs: 2000,
      }),
      guard: createGuardService(db),
      health,
      metrics: createApiMetrics({ db, client, timeoutMs: 1000 }),
    });
    server = await new Promise<Server>((resolve) => {
      const s = app.listen(0, '127.0.0.1', () => resolve(s));
    });
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    close = async () => {
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
      await Promise.allSettled([db.end(), connection.close(), health.close()]);
    };
  });
  after(async () => {
    await close();
  });

  test('when a service throws an unexpected error, then the answer is 500 internal_error with no stack or message', async () => {
    const res = await call(url, 'GET', '/v1/clusters', { headers: { 'x-request-id': 'req-sec-500' } });
    assert.equal(res.status, 500);
    assert.equal(res.body.error.code, 'internal_error');
    assert.equal(res.body.error.message, 'an internal error occurred; it has been logged');
    assert.equal(res.body.error.requestId, 'req-sec-500');
    assertNoLeak(JSON.stringify(res.body));
    assert.doesNotMatch(JSON.stringify(res.body), /secretColumn/);
    // …while the log has what an engineer needs, under the same request id.
    const logged = lines.map((l) => JSON.parse(l)).find((l) => l.requestId === 'req-sec-500' && l.err);
    assert.match(logged?.err?.message ?? '', /secretColumn/);
  });

  test('when requests carry valid, invalid and unknown tokens, then no token appears in any log line', async () => {
    const unknown = 'never-issued-token-42';
    await call(url, 'GET', '/v1/clusters', { token: TOKENS.viewer });
    await call(url, 'GET', '/v1/clusters/does-not-exist', { token: TOKENS.admin });
    await call(url, 'GET', '/v1/clusters', { token: unknown });
    await call(url, 'POST', '/v1/clusters', {
      token: TOKENS.operator,
      rawBody: '{',
      headers: { 'content-type': 'application/json' },
    });
    await new Promise((r) => setTimeout(r, 50));
    const text = lines.join('');
    assert.ok(lines.length >= 4, 'every request is logged');
    for (const token of [...Object.values(TOKENS), unknown])
      assert.ok(!text.includes(token), `token ${token} was logged`);
    assert.doesNotMatch(text, /Bearer /i);
  });
});
