// GET /v1/operations/:id answered by the HTTP server before Express. Every dashboard and script polls
// it, and under load Express's router and middleware chain were a large part of the API's CPU. The
// answer is the Express route's, built from the same helpers: the same token check, request id,
// security headers, ETag and 304, access line, metrics and error body. A request it does not take
// (another method or path, a query string, a malformed id, no valid token) reaches Express untouched.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { roleAllows, type Principal } from '../domain/auth';
import { OperationIdSchema } from '../domain/operation-requests';
import type { Logger } from '../logger';
import { notModified, serializeShared } from './cached-json';
import type { ApiMetrics } from './metrics';
import { errorAnswer } from './middleware/errors';
import { lazyRequestLogger, requestIdOf } from './middleware/request-id';
import { logAccess } from './middleware/request-log';
import { securityHeaderFields } from './middleware/security';
import { runInRequestContext } from './request-context';
import { OPERATION_ROUTES } from './routes/operation-contract';
import type { OperationsService } from './services/operations';

const PREFIX = '/v1/operations/';
/** The route pattern the access line and the metrics name, as the Express route reports it. */
const ROUTE = `/v1/operations${OPERATION_ROUTES.status.path}`;
const ROLE = OPERATION_ROUTES.status.role;
const JSON_TYPE = 'application/json; charset=utf-8';

export interface StatusFastPathDeps {
  /** The authenticator the Express app checks tokens with (`createAuthenticator`). */
  authenticate: (header: string | undefined) => Principal;
  logger: Logger;
  operations: Pick<OperationsService, 'status'>;
  metrics: Pick<ApiMetrics, 'timeRequest'>;
  /** Express's ETag function (`app.get('etag fn')`): error answers are tagged as res.json tags them. */
  etagOf: (body: Buffer) => string;
}

/** Serves a status request and returns true, or returns false having touched neither req nor res. */
export type FastPath = (req: IncomingMessage, res: ServerResponse) => boolean;

export function createStatusFastPath(deps: StatusFastPathDeps): FastPath {
  const { authenticate, logger, operations, metrics, etagOf } = deps;
  const security = securityHeaderFields();

  /** The headers every answer starts with, in the order the Express middleware sets them. */
  const headOf = (requestId: string) => ['X-Request-Id', requestId, ...security];

  function sendStatus(req: IncomingMessage, res: ServerResponse, requestId: string, status: object): void {
    const { bytes, etag } = serializeShared(status);
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

  function serve(req: IncomingMessage, res: ServerResponse, id: string): void {
    const started = Date.now();
    const recorded = metrics.timeRequest();
    const incoming = req.headers['x-request-id'];
    const requestId = requestIdOf(typeof incoming === 'string' ? incoming : undefined);
    const log = lazyRequestLogger(logger, requestId);
    res.once('close', () => {
      const line = { requestId, method: 'GET', route: ROUTE, path: PREFIX + id, status: res.statusCode };
      logAccess(logger, { ...line, durationMs: Date.now() - started }, res.writableEnded);
      recorded('GET', ROUTE, res);
    });
    const context = {
      requestId,
      get log() {
        return log();
      },
    };
    runInRequestContext(context, () => {
      void operations
        .status(id)
        .then((status) => sendStatus(req, res, requestId, status))
        .catch((err: unknown) => sendError(res, requestId, log(), err));
    });
  }

  return (req, res) => {
    const url = req.url;
    if (req.method !== 'GET' || url === undefined || !url.startsWith(PREFIX)) return false;
    const id = url.slice(PREFIX.length);
    if (!OperationIdSchema.safeParse(id).success) return false;
    let principal: Principal;
    try {
      principal = authenticate(req.headers.authorization);
    } catch {
      // Express answers the 401 itself, as for any other route.
      return false;
    }
    if (!roleAllows(principal.role, ROLE)) return false;
    serve(req, res, id);
    return true;
  };
}
