// The Express route pattern that served a request (`/v1/operations/:id`), for access logs and metric labels.
import type { Request } from 'express';

const ROUTE = Symbol('fleetwave.route');
type Tracked = Request & { [ROUTE]?: string };

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
export function trackRoute(req: Request): void {
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
