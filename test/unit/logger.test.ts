// Logs as operators read them: JSON lines with the request id and route, never a token; the Temporal
// SDK's lines through the same pino logger with their attributes as fields.
import assert from 'node:assert/strict';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import express from 'express';
import { errorHandler } from '../../api/middleware/errors';
import { requestId } from '../../api/middleware/request-id';
import { requestLog } from '../../api/middleware/request-log';
import { createLogger } from '../../logger';
import { createSdkLogger, sdkLevel, writeSdkEntry } from '../../worker/logging';

const SECRET = 'tok-very-secret-123';

function capture(level = 'debug') {
  const lines: string[] = [];
  const logger = createLogger({
    level,
    pretty: false,
    name: 'test',
    destination: { write: (line: string) => void lines.push(line) },
  });
  return { logger, lines, parsed: () => lines.map((l) => JSON.parse(l) as Record<string, any>) };
}

describe('createLogger', () => {
  test('when an object with tokens or an Authorization header is logged, then the values are redacted', () => {
    const { logger, lines } = capture();
    logger.info(
      {
        req: { headers: { authorization: `Bearer ${SECRET}` } },
        token: SECRET,
        adapter: { token: SECRET },
        authorization: SECRET,
      },
      'hello',
    );
    assert.equal(lines.length, 1);
    assert.doesNotMatch(lines[0]!, new RegExp(SECRET));
    assert.match(lines[0]!, /\[redacted\]/);
  });
});

describe('requestLog', () => {
  const { logger, lines, parsed } = capture();
  let server: Server;
  let url: string;

  before(async () => {
    const app = express();
    app.use(requestId(logger));
    app.use(requestLog(logger));
    const router = express.Router();
    router.get('/:id', (_req, res) => void res.json({ ok: true }));
    router.get('/:id/boom', () => {
      throw new Error('kaboom');
    });
    app.use('/v1/things', router);
    app.get('/healthz', (_req, res) => void res.json({ status: 'ok' }));
    app.use(errorHandler(logger));
    server = await new Promise<Server>((resolve) => {
      const s = app.listen(0, '127.0.0.1', () => resolve(s));
    });
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(async () => {
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  });

  async function get(path: string, headers: Record<string, string> = {}) {
    const res = await fetch(`${url}${path}`, { headers: { authorization: `Bearer ${SECRET}`, ...headers } });
    await res.text();
    // The access line is written on 'finish'/'close', which may come a tick after the client has the answer.
    await new Promise((r) => setTimeout(r, 20));
    return res;
  }

  test('when a request with a Bearer token is logged, then the line has id, method, route, status and duration, and no token', async () => {
    lines.length = 0;
    const res = await get('/v1/things/abc-123?cursor=xyz', { 'x-request-id': 'req-unit-1' });
    assert.equal(res.status, 200);
    assert.doesNotMatch(lines.join('\n'), new RegExp(SECRET));
    const line = parsed().find((l) => l.msg === 'request finished');
    assert.ok(line, lines.join('\n'));
    assert.equal(line.requestId, 'req-unit-1');
    assert.equal(line.method, 'GET');
    assert.equal(line.route, '/v1/things/:id');
    assert.equal(line.path, '/v1/things/abc-123');
    assert.equal(line.status, 200);
    assert.equal(typeof line.durationMs, 'number');
    assert.equal(line.level, 30);
    assert.equal(line.req, undefined);
    assert.equal(line.res, undefined);
  });

  test('when a handler throws, then the access line is an error with the route pattern, and still no token', async () => {
    lines.length = 0;
    const res = await get('/v1/things/abc/boom');
    assert.equal(res.status, 500);
    assert.doesNotMatch(lines.join('\n'), new RegExp(SECRET));
    const line = parsed().find((l) => l.msg === 'request finished');
    assert.ok(line, lines.join('\n'));
    assert.equal(line.level, 50);
    assert.equal(line.route, '/v1/things/:id/boom');
    assert.equal(line.status, 500);
    assert.equal(line.requestId, res.headers.get('x-request-id'));
  });

  test('when no route matches, then the route is unmatched; when a probe is hit, then it logs at debug', async () => {
    lines.length = 0;
    await get('/nowhere/at/all');
    await get('/healthz');
    const [missing, probe] = parsed().filter((l) => l.msg === 'request finished');
    assert.equal(missing?.route, 'unmatched');
    assert.equal(missing?.status, 404);
    assert.equal(probe?.route, '/healthz');
    assert.equal(probe?.level, 20);
  });
});

describe('the Temporal SDK logger adapter', () => {
  test('when pino levels are mapped, then the SDK lets through what pino would print', () => {
    assert.deepEqual(['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'].map(sdkLevel), [
      'TRACE',
      'DEBUG',
      'INFO',
      'WARN',
      'ERROR',
      'ERROR',
      'ERROR',
    ]);
  });

  test('when an activity logs, then attributes become fields, errors keep their stack and the task token is dropped', () => {
    const { logger, parsed } = capture();
    writeSdkEntry(logger, {
      level: 'WARN',
      message: 'apply failed',
      timestampNanos: 0n,
      meta: {
        operationId: 'op-1',
        wave: 2,
        clusterId: 'c-1',
        taskToken: 'secret-capability',
        sdkComponent: 'activity',
        error: new TypeError('bad'),
      },
    });
    const [line] = parsed();
    assert.equal(line?.level, 40);
    assert.equal(line?.msg, 'apply failed');
    assert.equal(line?.operationId, 'op-1');
    assert.equal(line?.wave, 2);
    assert.equal(line?.clusterId, 'c-1');
    assert.equal(line?.taskToken, undefined);
    assert.equal(line?.error.type, 'TypeError');
    assert.match(line?.error.stack, /TypeError: bad/);
  });

  test('when the SDK logs below the configured level, then nothing is written', () => {
    const { logger, parsed } = capture('warn');
    const sdk = createSdkLogger(logger);
    sdk.info('worker started', { taskQueue: 'q' });
    sdk.error('worker failed', { taskQueue: 'q' });
    assert.deepEqual(
      parsed().map((l) => [l.msg, l.taskQueue]),
      [['worker failed', 'q']],
    );
  });
});
