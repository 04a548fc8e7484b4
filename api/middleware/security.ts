// Security headers of a JSON API (helmet): a deny-all CSP, no framing, no referrer, no caching.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { RequestHandler } from 'express';
import helmet from 'helmet';

type HeaderEdit = { name: string; value: string | string[] } | { name: string; remove: true };

/**
 * What a helmet middleware does to a response: its headers follow from its options alone, so they are
 * read once, and each request gets them in one step instead of a dozen middleware calls.
 */
function editsOf(middleware: ReturnType<typeof helmet>): HeaderEdit[] {
  const edits: HeaderEdit[] = [];
  const res = {
    setHeader: (name: string, value: string | string[]) => void edits.push({ name, value }),
    removeHeader: (name: string) => void edits.push({ name, remove: true }),
  };
  let done = false;
  let failure: unknown;
  middleware({} as IncomingMessage, res as unknown as ServerResponse, (err?: unknown) => {
    failure = err;
    done = true;
  });
  if (!done || failure) throw new Error('the security headers could not be worked out', { cause: failure });
  return edits;
}

/** Helmet as this API configures it, read once into the edits it makes. */
function apiSecurityEdits(): HeaderEdit[] {
  return editsOf(
    helmet({
      contentSecurityPolicy: {
        useDefaults: false,
        directives: { defaultSrc: ["'none'"], frameAncestors: ["'none'"], baseUri: ["'none'"], formAction: ["'none'"] },
      },
      xFrameOptions: { action: 'deny' },
      referrerPolicy: { policy: 'no-referrer' },
      crossOriginResourcePolicy: { policy: 'same-origin' },
    }),
  );
}

// Answers carry operation state and inventory: no cache, shared or private, may keep them.
const NO_STORE = { name: 'Cache-Control', value: 'no-store' } as const;

/**
 * Mounted before every router. Answers are JSON and need no source of any kind; a route that serves
 * a page (the /docs router) runs later and replaces the Content-Security-Policy with its own.
 */
export function securityHeaders(): RequestHandler {
  const edits = apiSecurityEdits();
  return (_req, res, next) => {
    res.setHeader(NO_STORE.name, NO_STORE.value);
    for (const edit of edits) {
      if ('remove' in edit) res.removeHeader(edit.name);
      else res.setHeader(edit.name, edit.value);
    }
    next();
  };
}

/**
 * The headers `securityHeaders()` sets, in its order, as `[name, value, name, value, …]` for
 * `res.writeHead`: what a response written in one step carries (its removals concern headers such
 * a response never had).
 */
export function securityHeaderFields(): string[] {
  const fields: string[] = [NO_STORE.name, NO_STORE.value];
  for (const edit of apiSecurityEdits()) {
    if ('remove' in edit) continue;
    for (const value of Array.isArray(edit.value) ? edit.value : [edit.value]) fields.push(edit.name, value);
  }
  return fields;
}
