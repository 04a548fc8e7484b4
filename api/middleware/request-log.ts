// Access logs: one JSON line per request (method, route, status, duration), and the request context
// the handlers (and their Temporal calls) run in.
import type { Request, RequestHandler, Response } from 'express';
import type { Logger } from '../../logger';
import { runInRequestContext } from '../request-context';
import { lazyRequestLogger } from './request-id';
import { routeOf, trackRoute } from './route-pattern';

/** Probes scrape every few seconds: their access lines are debug, not noise at info. */
const PROBES = new Set(['/healthz', '/readyz', '/metrics']);

/**
 * The access line, written once when the answer is sent ('request finished') or the client went away
 * first ('request aborted'): at error for a 5xx, debug for a probe, info otherwise. It carries the
 * request id, never the request's headers (Authorization) nor its query string (cursors and page tokens
 * are noise). `requestId()` must run first.
 */
export function requestLog(logger: Logger): RequestHandler {
  return (req, res, next) => {
    const started = Date.now();
    trackRoute(req);
    const requestId = (res.locals.requestId as string | undefined) ?? 'none';
    const log = lazyRequestLogger(logger, requestId);
    const done = () => {
      res.off('finish', done);
      res.off('close', done);
      accessLine(logger, req, res, requestId, Date.now() - started);
    };
    res.on('finish', done);
    res.on('close', done);
    runInRequestContext(
      {
        requestId,
        get log() {
          return (res.locals.log as Logger | undefined) ?? log();
        },
      },
      next,
    );
  };
}

function accessLine(logger: Logger, req: Request, res: Response, requestId: string, durationMs: number): void {
  const route = routeOf(req);
  const line = {
    requestId,
    method: req.method,
    route,
    path: req.originalUrl.split('?')[0]!,
    status: res.statusCode,
    durationMs,
  };
  logAccess(logger, line, res.writableEnded);
}

export interface AccessLine {
  requestId: string;
  method: string;
  /** The route pattern (`/v1/operations/:id`), `unmatched` when none served the request. */
  route: string;
  /** The path without its query string. */
  path: string;
  status: number;
  durationMs: number;
}

/** Writes one access line; `finished` says whether the answer was sent or the client went away first. */
export function logAccess(logger: Logger, line: AccessLine, finished: boolean): void {
  const level = line.status >= 500 ? 'error' : PROBES.has(line.route) ? 'debug' : 'info';
  if (!logger.isLevelEnabled(level)) return;
  logger[level](line, finished ? 'request finished' : 'request aborted');
}
