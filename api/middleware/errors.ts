// The one place errors become HTTP answers: `{ error: { code, message, details } }`, never a stack.
import type { ErrorRequestHandler, RequestHandler } from 'express';
import { ZodError } from 'zod';
import { isConnectionError } from '../../db/pool';
import { FleetError, type ErrorDetail } from '../../domain/errors';
import type { Logger } from '../../logger';
import { isTemporalUnavailable } from '../temporal-errors';

export function zodDetails(err: ZodError): ErrorDetail[] {
  return err.issues.slice(0, 50).map((issue) => ({
    path: issue.path.map(String).join('.'),
    message: issue.message,
  }));
}

interface BodyParserError extends Error {
  type?: string;
  status?: number;
}

function classify(err: unknown): FleetError | undefined {
  if (err instanceof FleetError) return err;
  if (err instanceof ZodError)
    return new FleetError(400, 'validation_failed', 'the request is not valid', zodDetails(err));
  const bp = err as BodyParserError;
  switch (bp?.type) {
    case 'entity.too.large':
      return new FleetError(413, 'payload_too_large', 'the request body is too large');
    case 'entity.parse.failed':
      return new FleetError(400, 'invalid_json', 'the request body is not valid JSON');
    case 'encoding.unsupported':
    case 'charset.unsupported':
      return new FleetError(415, 'unsupported_media_type', 'send the body as UTF-8 JSON');
    case 'request.aborted':
      return new FleetError(400, 'request_aborted', 'the request was aborted');
    default:
      break;
  }
  if (typeof bp?.status === 'number' && bp.status >= 400 && bp.status < 500) {
    return new FleetError(bp.status, 'bad_request', 'the request could not be read');
  }
  if (isConnectionError(err))
    return new FleetError(503, 'postgres_unavailable', 'PostgreSQL is not reachable; try again');
  if (isTemporalUnavailable(err))
    return new FleetError(503, 'temporal_unavailable', 'Temporal is not reachable; try again');
  return undefined;
}

export interface ErrorAnswer {
  status: number;
  body: { error: { code: string; message: string; details: ErrorDetail[]; requestId: string | undefined } };
}

/** What a failed request answers; a 5xx is logged with its error, anything else at debug. */
export function errorAnswer(err: unknown, log: Logger, requestId: string | undefined): ErrorAnswer {
  const known = classify(err);
  const status = known?.status ?? 500;
  if (status >= 500) log.error({ err }, 'request failed');
  else log.debug({ code: known?.code }, 'request rejected');
  return {
    status,
    body: {
      error: {
        code: known?.code ?? 'internal_error',
        message: known?.message ?? 'an internal error occurred; it has been logged',
        details: known?.details ?? [],
        requestId,
      },
    },
  };
}

export function errorHandler(fallbackLogger: Logger): ErrorRequestHandler {
  return (err: unknown, _req, res, _next) => {
    const log = (res.locals.log as Logger | undefined) ?? fallbackLogger;
    const { status, body } = errorAnswer(err, log, res.locals.requestId as string | undefined);
    if (res.headersSent) return;
    res.status(status).json(body);
  };
}

export const notFoundRoute: RequestHandler = (req, _res, next) => {
  next(new FleetError(404, 'not_found', `no route ${req.method} ${req.path}`));
};

/** Bodies must be declared JSON; an empty body (e.g. POST …/pause) needs no type. */
export const requireJson: RequestHandler = (req, _res, next) => {
  const hasBody = Number(req.get('content-length') ?? 0) > 0 || req.get('transfer-encoding') !== undefined;
  if (['POST', 'PUT', 'PATCH'].includes(req.method) && hasBody && !req.is('application/json')) {
    next(new FleetError(415, 'unsupported_media_type', 'send the body as application/json'));
    return;
  }
  next();
};
