// Gives every request an id (honouring a sane incoming X-Request-Id) and a child logger carrying it,
// made the first time something logs for the request: most reads log nothing but their access line.
import { randomUUID } from 'node:crypto';
import type { RequestHandler } from 'express';
import type { Logger } from '../../logger';

const SAFE_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/** A logger carrying `requestId`, made on first use. */
export function lazyRequestLogger(logger: Logger, requestId: string): () => Logger {
  let child: Logger | undefined;
  return () => (child ??= logger.child({ requestId }));
}

/** The caller's X-Request-Id when it is sane, else a fresh one. */
export function requestIdOf(incoming: string | undefined): string {
  return incoming && SAFE_ID.test(incoming) ? incoming : randomUUID();
}

export function requestId(logger: Logger): RequestHandler {
  return (req, res, next) => {
    const id = requestIdOf(req.get('x-request-id'));
    res.locals.requestId = id;
    Object.defineProperty(res.locals, 'log', {
      get: lazyRequestLogger(logger, id),
      enumerable: true,
      configurable: true,
    });
    res.setHeader('X-Request-Id', id);
    next();
  };
}
