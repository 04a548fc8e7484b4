// Access logs: one JSON line per request (method, route, status, duration), and the request context
// the handlers (and their Temporal calls) run in.
import type { Request, RequestHandler, Response } from 'express';
import { pinoHttp } from 'pino-http';
import type { Logger } from '../../logger';
import { runInRequestContext } from '../request-context';
import { routeOf, trackRoute } from './route-pattern';

/** Probes scrape every few seconds: their access lines are debug, not noise at info. */
const PROBES = new Set(['/healthz', '/readyz', '/metrics']);

/** Access log through pino-http, reusing the id of `requestId()` (which must run first). */
export function requestLog(logger: Logger): RequestHandler {
  const line = (req: Request, res: Response, durationMs: number) => ({
    method: req.method,
    route: routeOf(req),
    // The path without its query string: ids help, cursors and page tokens are noise.
    path: req.originalUrl.split('?')[0],
    status: res.statusCode,
    durationMs,
  });
  const http = pinoHttp<Request, Response>({
    logger,
    genReqId: (_req, res) => (res.locals.requestId as string | undefined) ?? 'none',
    // Neither the request (headers: Authorization) nor the response object is bound to the logger.
    quietReqLogger: true,
    quietResLogger: true,
    serializers: { req: (r: { method?: string; url?: string }) => ({ method: r.method, url: r.url }) },
    customAttributeKeys: { reqId: 'requestId', responseTime: 'durationMs' },
    customLogLevel: (req, res, err) =>
      err || res.statusCode >= 500 ? 'error' : PROBES.has(routeOf(req)) ? 'debug' : 'info',
    customSuccessMessage: (_req, res) => (res.writableEnded ? 'request finished' : 'request aborted'),
    // One message for every access line (the level tells failures apart); the error handler's own
    // 'request failed' line carries the error.
    customErrorMessage: () => 'request finished',
    customSuccessObject: (req, res, val: { durationMs: number }) => line(req, res, val.durationMs),
    // The error itself (with its stack) is logged once, by the error handler.
    customErrorObject: (req, res, _err, val: { durationMs: number }) => line(req, res, val.durationMs),
  });
  return (req, res, next) => {
    trackRoute(req);
    http(req, res);
    const requestId = (res.locals.requestId as string | undefined) ?? 'none';
    const log = (res.locals.log as Logger | undefined) ?? logger.child({ requestId });
    runInRequestContext({ requestId, log }, next);
  };
}
