// Refuses input PostgreSQL cannot store or that would exhaust the stack later (NUL, unpaired UTF-16
// surrogates, absurd nesting) as a 400, before any route sees it: bad input is never a 500.
import type { RequestHandler } from 'express';
import { ValidationFailed } from '../../domain/errors';

const MAX_DEPTH = 32;
// NUL, or a surrogate half without its partner (matching NUL is the point of this pattern).
// eslint-disable-next-line no-control-regex
const UNSTORABLE = /\u0000|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

/** The path of the first unstorable string or over-deep value in `value`, if any. */
export function findUnstorable(value: unknown, path = '', depth = 0): { path: string; message: string } | undefined {
  if (depth > MAX_DEPTH) return { path, message: `nested deeper than ${MAX_DEPTH} levels` };
  if (typeof value === 'string') {
    return UNSTORABLE.test(value) ? { path, message: 'contains a NUL character or an unpaired surrogate' } : undefined;
  }
  if (value === null || typeof value !== 'object') return undefined;
  const entries: [string, unknown][] = Array.isArray(value)
    ? value.map((v, i) => [String(i), v])
    : Object.entries(value);
  for (const [key, child] of entries) {
    const at = path ? `${path}.${key}` : key;
    if (UNSTORABLE.test(key)) return { path: at, message: 'a key contains a NUL character or an unpaired surrogate' };
    const found = findUnstorable(child, at, depth + 1);
    if (found) return found;
  }
  return undefined;
}

export const requireStorableInput: RequestHandler = (req, _res, next) => {
  const found =
    findUnstorable(req.query, 'query') ??
    findUnstorable(req.params, 'params') ??
    (req.body === undefined ? undefined : findUnstorable(req.body));
  if (found) {
    next(
      new ValidationFailed(`the request is not valid: ${found.path || 'body'} ${found.message}`, [
        { path: found.path, message: found.message },
      ]),
    );
    return;
  }
  next();
};
