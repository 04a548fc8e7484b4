// GET /v1/operations/:id (the status) and GET /v1/operations/:id/clusters (a page of its runs), answered
// by the HTTP server before Express. Every dashboard and script polls them, and under load Express's
// router and middleware chain were a large part of the API's CPU. The answers are the Express routes',
// built from the same helpers: the same token check, request id, security headers, ETag and 304, access
// line, metrics and error body. A request it does not take (another method or path, a malformed id or
// query, no valid token) reaches Express untouched, which answers it, or its 4xx, as always.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { parse as parseQuery } from 'node:querystring';
import { roleAllows, type Principal } from '../domain/auth';
import { OperationIdSchema } from '../domain/operation-requests';
import type { Logger } from '../logger';
import { notModified, serializeShared } from './cached-json';
import type { ApiMetrics } from './metrics';
import { errorAnswer } from './middleware/errors';
import { lazyRequestLogger, requestIdOf } from './middleware/request-id';
import { logAccess } from './middleware/request-log';
import { securityHeaderFields } from './middleware/security';
import { findUnstorable } from './middleware/storable-input';
import { runInRequestContext } from './request-context';
import { OPERATION_ROUTES } from './routes/operation-contract';
import type { OperationsService } from './services/operations';

const PREFIX = '/v1/operations/';
const JSON_TYPE = 'application/json; charset=utf-8';
/** The route patterns the access line and the metrics name, as the Express routes report them. */
const STATUS = { route: `/v1/operations${OPERATION_ROUTES.status.path}`, role: OPERATION_ROUTES.status.role };
const RUNS = { route: `/v1/operations${OPERATION_ROUTES.runs.path}`, role: OPERATION_ROUTES.runs.role };
const RUNS_SUFFIX = '/clusters';

export interface FastReadsDeps {
  /** The authenticator the Express app checks tokens with (`createAuthenticator`). */
  authenticate: (header: string | undefined) => Principal;
  logger: Logger;
  operations: Pick<OperationsService, 'status' | 'clusters'>;
  metrics: Pick<ApiMetrics, 'timeRequest'>;
  /** Express's ETag function (`app.get('etag fn')`): error answers are tagged as res.json tags them. */
  etagOf: (body: Buffer) => string;
}

/** Serves a request and returns true, or returns false having touched neither req nor res. */
export type FastPath = (req: IncomingMessage, res: ServerResponse) => boolean;

interface Read {
  route: string;
  role: typeof STATUS.role;
  /** The answer, shared by the callers who asked at the same time and never mutated. */
  load: () => Promise<object>;
}

export function createFastReads(deps: FastReadsDeps): FastPath {
  const { authenticate, logger, operations, metrics, etagOf } = deps;
  const security = securityHeaderFields();

  /** The read a URL asks for, when it is exactly one of these routes with valid input. */
  function readOf(url: string): Read | undefined {
    if (!url.startsWith(PREFIX) || url.includes('#')) return undefined;
    const q = url.indexOf('?');
    const path = q < 0 ? url.slice(PREFIX.length) : url.slice(PREFIX.length, q);
    if (q < 0 && OperationIdSchema.safeParse(path).success) {
      return { ...STATUS, load: () => operations.status(path) };
    }
    if (!path.endsWith(RUNS_SUFFIX)) return undefined;
    const id = path.slice(0, -RUNS_SUFFIX.length);
    // As Express reads it ('simple' query parser); input Express would refuse is left to Express.
    const query = parseQuery(q < 0 ? '' : url.slice(q + 1));
    const parsed = OPERATION_ROUTES.runs.query.safeParse(query);
    if (!parsed.success || !OperationIdSchema.safeParse(id).success || findUnstorable(query, 'query')) return undefined;
    return { ...RUNS, load: () => operations.clusters(id, parsed.data) };
  }

  /** The headers every answer starts with, in the order the Express middleware sets them. */
  const headOf = (requestId: string) => ['X-Request-Id', requestId, ...security];

  function send(req: IncomingMessage, res: ServerResponse, requestId: string, answer: object): void {
    const { bytes, etag } = serializeShared(answer);
    const head = headOf(requestId);
    if (notModified(req.headers, etag)) {
      head.push('ETag', etag);
      res.writeHead(304, head);
      res.end();
      return;
    }
    head.push('ETag', etag, 'Content-Type', JSON_TYPE, 'Content-Length', String(bytes.length));
    res.writeHead(200, head);
    res.end(bytes);
  }

  function sendError(res: ServerResponse, requestId: string, log: Logger, err: unknown): void {
    const { status, body } = errorAnswer(err, log, requestId);
    if (res.headersSent) return;
    const bytes = Buffer.from(JSON.stringify(body));
    const head = headOf(requestId);
    head.push('Content-Type', JSON_TYPE, 'Content-Length', String(bytes.length), 'ETag', etagOf(bytes));
    res.writeHead(status, head);
    res.end(bytes);
  }

  function serve(req: IncomingMessage, res: ServerResponse, url: string, read: Read): void {
    const started = Date.now();
    const recorded = metrics.timeRequest();
    const incoming = req.headers['x-request-id'];
    const requestId = requestIdOf(typeof incoming === 'string' ? incoming : undefined);
    const log = lazyRequestLogger(logger, requestId);
    res.once('close', () => {
      const q = url.indexOf('?');
      const line = { requestId, method: 'GET', route: read.route, path: q < 0 ? url : url.slice(0, q) };
      logAccess(logger, { ...line, status: res.statusCode, durationMs: Date.now() - started }, res.writableEnded);
      recorded('GET', read.route, res);
    });
    const context = {
      requestId,
      get log() {
        return log();
      },
    };
    runInRequestContext(context, () => {
      void read
        .load()
        .then((answer) => send(req, res, requestId, answer))
        .catch((err: unknown) => sendError(res, requestId, log(), err));
    });
  }

  return (req, res) => {
    const url = req.url;
    if (req.method !== 'GET' || url === undefined) return false;
    const read = readOf(url);
    if (!read) return false;
    let principal: Principal;
    try {
      principal = authenticate(req.headers.authorization);
    } catch {
      // Express answers the 401 itself, as for any other route.
      return false;
    }
    if (!roleAllows(principal.role, read.role)) return false;
    serve(req, res, url, read);
    return true;
  };
}
