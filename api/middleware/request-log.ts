// Access logs and request correlation: one JSON line per request (method, route, status, duration),
// the matched route pattern for metrics, and the request id carried into every Temporal call.
import { AsyncLocalStorage } from 'node:async_hooks';
import type { Request, RequestHandler, Response } from 'express';
import { defaultPayloadConverter, type WorkflowClientInterceptor } from '@temporalio/client';
import type { Headers } from '@temporalio/common';
import { pinoHttp } from 'pino-http';
import type { Logger } from '../../logger';
import { REQUEST_ID_HEADER } from '../../domain/ids';

const ROUTE = Symbol('fleetwave.route');
type Tracked = Request & { [ROUTE]?: string };

/** Probes scrape every few seconds: their access lines are debug, not noise at info. */
const PROBES = new Set(['/healthz', '/readyz', '/metrics']);

function joinRoute(baseUrl: string, path: unknown): string {
  const tail = typeof path === 'string' ? path : String(path);
  if (tail === '/' && baseUrl) return baseUrl;
  return `${baseUrl}${tail}`;
}

/**
 * Records the route pattern (`/v1/operations/:id`) when the router matches it. Express resets
 * `req.baseUrl` as an error leaves a router, so reading it when the response ends would be wrong;
 * watching the router's own `req.route` assignment captures the pattern while it is exact.
 */
function trackRoute(req: Request): void {
  let route: unknown;
  Object.defineProperty(req, 'route', {
    configurable: true,
    enumerable: true,
    get: () => route,
    set(value: unknown) {
      route = value;
      const path = (value as { path?: unknown } | undefined)?.path;
      if (path !== undefined) (req as Tracked)[ROUTE] = joinRoute(req.baseUrl, path);
    },
  });
}

/** The Express route pattern that served the request; `unmatched` when none did (404, 401 before routing). */
export function routeOf(req: Request): string {
  return (req as Tracked)[ROUTE] ?? 'unmatched';
}

interface RequestContext {
  requestId: string;
  log: Logger;
}

// Inert until a request runs in it; module-wide because the middleware (in the app) and the client
// interceptor (built with the Temporal client) are composed in different places yet must share it.
const context = new AsyncLocalStorage<RequestContext>();

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
    context.run({ requestId, log }, next);
  };
}

function withRequestId(headers: Headers, requestId: string): Headers {
  return { ...headers, [REQUEST_ID_HEADER]: defaultPayloadConverter.toPayload(requestId) };
}

/**
 * A Temporal client interceptor: starts, signals, queries and updates made while serving a request
 * carry its id as the `requestId` header (the worker logs it, see workflows/request-id-interceptor.ts), and the API logs
 * the call next to the workflow id, so the services themselves stay unaware of logging.
 */
export function requestIdInterceptor(): WorkflowClientInterceptor {
  const current = (call: string, workflowId: string, fields: Record<string, string>) => {
    const ctx = context.getStore();
    // Status reads query on every GET: those lines are debug.
    if (ctx) ctx.log[call === 'query' ? 'debug' : 'info']({ workflowId, call, ...fields }, 'temporal call');
    return ctx?.requestId;
  };
  return {
    startWithDetails(input, next) {
      const id = current('start', input.options.workflowId, { workflowType: input.workflowType });
      return next(id ? { ...input, headers: withRequestId(input.headers, id) } : input);
    },
    signalWithStart(input, next) {
      const id = current('signalWithStart', input.options.workflowId, {
        workflowType: input.workflowType,
        signal: input.signalName,
      });
      return next(id ? { ...input, headers: withRequestId(input.headers, id) } : input);
    },
    signal(input, next) {
      const id = current('signal', input.workflowExecution.workflowId, { signal: input.signalName });
      return next(id ? { ...input, headers: withRequestId(input.headers, id) } : input);
    },
    query(input, next) {
      const id = current('query', input.workflowExecution.workflowId, { query: input.queryType });
      return next(id ? { ...input, headers: withRequestId(input.headers, id) } : input);
    },
    startUpdate(input, next) {
      const id = current('update', input.workflowExecution.workflowId, { update: input.updateName });
      return next(id ? { ...input, headers: withRequestId(input.headers, id) } : input);
    },
    startUpdateWithStart(input, next) {
      const id = current('updateWithStart', input.workflowStartOptions.workflowId, {
        workflowType: input.workflowType,
        update: input.updateName,
      });
      return next(
        id
          ? {
              ...input,
              workflowStartHeaders: withRequestId(input.workflowStartHeaders, id),
              updateHeaders: withRequestId(input.updateHeaders, id),
            }
          : input,
      );
    },
  };
}
