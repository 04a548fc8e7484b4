// Security headers of a JSON API (helmet): a deny-all CSP, no framing, no referrer, no caching.
import type { RequestHandler } from 'express';
import helmet from 'helmet';

/**
 * Mounted before every router. Answers are JSON and need no source of any kind; a route that serves
 * a page (the /docs router) runs later and replaces the Content-Security-Policy with its own.
 */
export function securityHeaders(): RequestHandler {
  const headers = helmet({
    contentSecurityPolicy: {
      useDefaults: false,
      directives: { defaultSrc: ["'none'"], frameAncestors: ["'none'"], baseUri: ["'none'"], formAction: ["'none'"] },
    },
    xFrameOptions: { action: 'deny' },
    referrerPolicy: { policy: 'no-referrer' },
    crossOriginResourcePolicy: { policy: 'same-origin' },
  });
  return (req, res, next) => {
    // Answers carry operation state and inventory: no cache, shared or private, may keep them.
    res.setHeader('Cache-Control', 'no-store');
    headers(req, res, next);
  };
}
