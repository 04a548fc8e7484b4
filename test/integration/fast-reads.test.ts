// An operation's status and runs pages, answered before Express, answer as the Express routes do: two
// servers over one operations service, the API server and the Express app alone, asked the same requests
// over real HTTP and compared header by header (ETag and 304, errors, 401, whatever the fast path leaves
// to Express), with their access lines and request metrics.
import assert from 'node:assert/strict';
import http, { type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { createApp, type AppDeps } from '../../api/app';
import { createApiMetrics } from '../../api/metrics';
import { createFastReads } from '../../api/fast-reads';
import { createAuthenticator } from '../../api/middleware/auth';
import { createApiServer } from '../../api/server';
import { createGuardService } from '../../api/services/guard';
import { createHealthService } from '../../api/services/health';
import { createInventoryService } from '../../api/services/inventory';
import { createOperationsService, type OperationsService } from '../../api/services/operations';
import { createTemporalClient } from '../../api/temporal';
import { parseTokenList } from '../../domain/auth';
import { createPool } from '../../db/pool';
import { createLogger } from '../../logger';
import { TOKEN_LIST, TOKENS } from '../helpers/api';
import { seedFleet, startEngine, startOperation, waitForState, type EngineStack } from '../helpers/engine';
import { testEnv, uid } from '../helpers/env';

interface Side {
  url: string;
  lines: string[];
  metrics: ReturnType<typeof createApiMetrics>;
}

interface Answer {
  status: number;
  /** Every header as sent, in order, but Date (the second it was sent). */
  headers: string[];
  body: string;
}

let stack: EngineStack;
let operationId: string;
let fast: Side;
let plain: Side;
/** The fast path alone: what it leaves to Express is answered 599 here. */
let fastOnly: string;
const servers: Server[] = [];
let closeShared: () => Promise<void>;

/** An id whose status read fails unexpectedly (at the service seam), to compare 500 answers. */
const BROKEN_ID = 'broken-status-read';

async function listen(server: Server): Promise<string> {
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

before(async () => {
  stack = await startEngine();
  const ids = await seedFleet(stack, 2);
  const op = await startOperation(stack, {
    action: { type: 'restart' },
    selector: { ids },
    waves: [{ name: 'gated', selector: { ids }, approval: 'manual' }],
  });
  operationId = op.id;
  await waitForState(stack, op.id, 'awaiting_approval');

  const env = testEnv();
  const db = createPool(env.databaseUrl, 4);
  const { connection, client } = createTemporalClient({
    temporal: { address: env.temporalAddress, namespace: 'default', taskQueue: stack.taskQueue, uiUrl: '' },
  });
  const health = createHealthService({ db, temporalAddress: env.temporalAddress, timeoutMs: 1000 });
  // One service for both servers, its answer kept while the snapshot is unchanged: both send the same bytes.
  const operations = createOperationsService({
    db,
    client,
    taskQueue: stack.taskQueue,
    allowSelfApproval: false,
    statusCacheMs: 600_000,
  });
  const withBrokenRead: OperationsService = {
    ...operations,
    status: (id) =>
      id === BROKEN_ID
        ? Promise.reject(new TypeError("Cannot read properties of undefined (reading 'secretColumn')"))
        : operations.status(id),
  };
  const side = (name: string): { lines: string[]; deps: AppDeps } => {
    const lines: string[] = [];
    const logger = createLogger({ level: 'debug', pretty: false, name, destination: { write: (l) => lines.push(l) } });
    const deps: AppDeps = {
      config: { tokens: parseTokenList(TOKEN_LIST) },
      logger,
      inventory: createInventoryService(db),
      operations: withBrokenRead,
      guard: createGuardService(db),
      health,
      metrics: createApiMetrics({ db, client, logger, timeoutMs: 1000 }),
    };
    return { lines, deps };
  };
  const a = side('fast');
  const b = side('plain');
  fast = { url: await listen(createApiServer(a.deps)), lines: a.lines, metrics: a.deps.metrics };
  plain = { url: await listen(http.createServer(createApp(b.deps))), lines: b.lines, metrics: b.deps.metrics };
  const alone = side('alone');
  const fastPath = createFastReads({
    ...alone.deps,
    authenticate: createAuthenticator(alone.deps.config.tokens),
    etagOf: createApp(alone.deps).get('etag fn') as (body: Buffer) => string,
  });
  fastOnly = await listen(
    http.createServer((req, res) => {
      if (!fastPath(req, res)) res.writeHead(599).end();
    }),
  );
  closeShared = async () => {
    await Promise.allSettled([db.end(), connection.close(), health.close()]);
  };
});

after(async () => {
  for (const server of servers) server.closeAllConnections();
  await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
  await closeShared();
  await stack.close();
});

function request(base: string, method: string, path: string, headers: Record<string, string>): Promise<Answer> {
  return new Promise((resolve, reject) => {
    // The path goes as written (a URL would drop its #fragment).
    const { hostname, port } = new URL(base);
    const req = http.request({ hostname, port, path, method, headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const raw = res.rawHeaders;
        const kept: string[] = [];
        for (let i = 0; i < raw.length; i += 2) if (raw[i] !== 'Date') kept.push(`${raw[i]}: ${raw[i + 1]}`);
        resolve({ status: res.statusCode!, headers: kept, body: Buffer.concat(chunks).toString() });
      });
    });
    req.on('error', reject);
    req.end();
  });
}

/** The access line each server wrote for a request id, without its duration. */
async function accessLine(side: Side, requestId: string) {
  // The line is written when the response closes, which may be a tick after the client has the answer.
  await new Promise((r) => setTimeout(r, 20));
  const line = side.lines
    .map((l) => JSON.parse(l))
    .find((l) => l.requestId === requestId && /^request (finished|aborted)$/.test(l.msg));
  assert.ok(line, `no access line for ${requestId} in:\n${side.lines.join('')}`);
  const { time: _time, pid: _pid, hostname: _host, name: _name, durationMs, ...rest } = line;
  assert.equal(typeof durationMs, 'number');
  return rest;
}

/** Asks both servers; asserts the answers and access lines are the same; returns the fast server's answer. */
async function same(method: string, path: string, headers: Record<string, string> = {}): Promise<Answer> {
  const requestId = headers['x-request-id'] ?? uid('req');
  const withId = { ...headers, 'x-request-id': requestId };
  const answers = [await request(fast.url, method, path, withId), await request(plain.url, method, path, withId)];
  assert.deepEqual(answers[0], answers[1], `${method} ${path} ${JSON.stringify(headers)}`);
  assert.deepEqual(await accessLine(fast, requestId), await accessLine(plain, requestId));
  return answers[0]!;
}

const viewer = { authorization: `Bearer ${TOKENS.viewer}` };
const header = (answer: Answer, name: string) =>
  answer.headers.find((h) => h.toLowerCase().startsWith(`${name.toLowerCase()}: `))?.replace(/^[^:]+: /, '');

describe('GET /v1/operations/:id before Express', () => {
  test('when a viewer reads a status, then both answer 200 with the same headers, in order, and bytes', async () => {
    const answer = await same('GET', `/v1/operations/${operationId}`, viewer);
    assert.equal(answer.status, 200);
    assert.equal(JSON.parse(answer.body).state, 'awaiting_approval');
    assert.match(header(answer, 'etag') ?? '', /^W\//);
    assert.equal(header(answer, 'cache-control'), 'no-store');
    assert.equal(header(answer, 'content-type'), 'application/json; charset=utf-8');
    assert.ok(header(answer, 'content-security-policy'));
  });

  test('when a poller revalidates, then 304 and 200 follow the same If-None-Match rules', async () => {
    const path = `/v1/operations/${operationId}`;
    const etag = header(await same('GET', path, viewer), 'etag')!;
    const cases: [Record<string, string>, number][] = [
      [{ 'if-none-match': etag }, 304],
      [{ 'if-none-match': etag.replace(/^W\//, '') }, 304],
      [{ 'if-none-match': `"other",  ${etag} ` }, 304],
      [{ 'if-none-match': '*' }, 304],
      [{ 'if-none-match': etag, 'cache-control': 'max-age=0' }, 304],
      [{ 'if-none-match': etag, 'cache-control': 'max-age=0, no-cache' }, 200],
      [{ 'if-none-match': 'W/"other"' }, 200],
      [{ 'if-none-match': 'W/"other"', 'if-modified-since': new Date().toUTCString() }, 200],
      [{ 'if-modified-since': new Date(Date.now() + 86_400_000).toUTCString() }, 200],
    ];
    for (const [conditions, status] of cases) {
      const answer = await same('GET', path, { ...viewer, ...conditions });
      assert.equal(answer.status, status, JSON.stringify(conditions));
    }
  });

  test('when the operation is unknown or its read fails, then both answer the same 404 and 500 bodies', async () => {
    const missing = await same('GET', `/v1/operations/${uid('nope')}`, viewer);
    assert.equal(missing.status, 404);
    assert.equal(JSON.parse(missing.body).error.code, 'not_found');
    const broken = await same('GET', `/v1/operations/${BROKEN_ID}`, { ...viewer, 'x-request-id': 'req-broken' });
    assert.equal(broken.status, 500);
    assert.doesNotMatch(broken.body, /secretColumn/);
    const failed = (side: Side) =>
      side.lines.map((l) => JSON.parse(l)).find((l) => l.requestId === 'req-broken' && l.msg === 'request failed');
    for (const side of [fast, plain]) assert.match(failed(side)?.err?.message ?? '', /secretColumn/);
  });

  test('when there is no token, a bad one, a malformed id, a query, a trailing slash or another method, then Express answers alike', async () => {
    const path = `/v1/operations/${operationId}`;
    assert.equal((await same('GET', path)).status, 401);
    assert.equal((await same('GET', path, { authorization: 'Bearer not-a-token' })).status, 401);
    assert.equal((await same('GET', '/v1/operations/Not_An_Id', viewer)).status, 400);
    assert.equal((await same('GET', `${path}?verbose=1`, viewer)).status, 200);
    assert.equal((await same('GET', `${path}/`, viewer)).status, 200);
    assert.equal((await same('HEAD', path, viewer)).status, 200);
  });

  test('when requests come, then the fast path takes exactly the reads with a valid token, id and query', async () => {
    const path = `/v1/operations/${operationId}`;
    const status = async (method: string, url: string, headers: Record<string, string> = viewer) =>
      (await request(fastOnly, method, url, headers)).status;
    assert.equal(await status('GET', path), 200);
    assert.equal(await status('GET', path, { authorization: `Bearer ${TOKENS.admin}` }), 200);
    assert.equal(await status('GET', `/v1/operations/${uid('nope')}`), 404);
    assert.equal(await status('GET', `${path}/clusters`), 200);
    assert.equal(await status('GET', `${path}/clusters?limit=1&state=pending,succeeded&wave=1`), 200);
    assert.equal(await status('GET', `/v1/operations/${uid('nope')}/clusters?limit=1`), 404);
    for (const [method, url, headers] of [
      ['GET', path, {}],
      ['GET', path, { authorization: 'Bearer not-a-token' }],
      ['HEAD', path, viewer],
      ['POST', `${path}/pause`, viewer],
      ['GET', `${path}?verbose=1`, viewer],
      ['GET', `${path}/`, viewer],
      ['GET', `${path}/events`, viewer],
      ['GET', `${path}/clusters/`, viewer],
      ['GET', `${path}/clusters?limit=0`, viewer],
      ['GET', `${path}/clusters?limit=1&limit=2`, viewer],
      ['GET', `${path}/clusters?bogus=1`, viewer],
      ['GET', `${path}/clusters?state=pending%00`, viewer],
      ['GET', `${path}/clusters?limit=1#top`, viewer],
      ['GET', `/v1/operations/Not_An_Id/clusters`, viewer],
      ['GET', '/v1/operations/Not_An_Id', viewer],
      ['GET', '/v1/operations/', viewer],
      ['GET', '/V1/operations/x', viewer],
    ] as const) {
      assert.equal(await status(method, url, headers), 599, `${method} ${url} ${JSON.stringify(headers)}`);
    }
  });

  test('when no request id is sent, then each answer has a fresh one in its header, its access line and its error body', async () => {
    const answer = await request(fast.url, 'GET', `/v1/operations/${uid('nope')}`, viewer);
    const id = header(answer, 'x-request-id');
    assert.match(id ?? '', /^[0-9a-f-]{36}$/);
    assert.equal(JSON.parse(answer.body).error.requestId, id);
    await accessLine(fast, id!);
  });
});

describe('GET /v1/operations/:id/clusters before Express', () => {
  test('when pages of runs are read, filtered and walked by cursor, then both answer the same', async () => {
    const path = `/v1/operations/${operationId}/clusters`;
    const first = await same('GET', `${path}?limit=1`, viewer);
    assert.equal(first.status, 200);
    const { runs, nextCursor } = JSON.parse(first.body);
    assert.equal(runs.length, 1);
    assert.ok(nextCursor);
    assert.equal((await same('GET', `${path}?limit=1&cursor=${nextCursor}`, viewer)).status, 200);
    assert.equal((await same('GET', path, viewer)).status, 200);
    assert.equal((await same('GET', `${path}?state=pending&wave=1&limit=5`, viewer)).status, 200);
    const etag = header(first, 'etag')!;
    assert.equal((await same('GET', `${path}?limit=1`, { ...viewer, 'if-none-match': etag })).status, 304);
    assert.equal((await same('GET', `${path}?limit=1#top`, viewer)).status, 200);
    assert.equal((await same('GET', `/v1/operations/${uid('nope')}/clusters`, viewer)).status, 404);
  });

  test('when the query is one Express refuses, then Express answers it, alike', async () => {
    const path = `/v1/operations/${operationId}/clusters`;
    for (const query of ['limit=0', 'limit=1&limit=2', 'bogus=1', 'state=pending%00', 'state=unheard-of']) {
      assert.equal((await same('GET', `${path}?${query}`, viewer)).status, 400, query);
    }
    assert.equal((await same('GET', `${path}?limit=1`)).status, 401);
  });
});

describe('the request metrics of both', () => {
  test('when both served the same requests, then their request metrics are the same series and counts', async () => {
    const counts = async (side: Side) =>
      (await side.metrics.registry.getSingleMetricAsString('fleetwave_http_request_duration_seconds'))
        .split('\n')
        .filter((l) => l.startsWith('fleetwave_http_request_duration_seconds_count'));
    const fastCounts = await counts(fast);
    assert.ok(
      ['/v1/operations/:id', '/v1/operations/:id/clusters'].every((route) =>
        fastCounts.some((l) => l.includes(`route="${route}",status="304"`)),
      ),
      fastCounts.join('\n'),
    );
    // The fast server also answered one request the other never saw (the fresh request id above).
    const withoutExtra = fastCounts.map((l) =>
      l.includes('route="/v1/operations/:id",status="404"') ? l.replace(/ (\d+)$/, (_m, n) => ` ${Number(n) - 1}`) : l,
    );
    assert.deepEqual(withoutExtra, await counts(plain));
  });
});
