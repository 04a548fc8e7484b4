// Shared route helpers: schema parsing into our error shape, and who is asking.
import type { Response } from 'express';
import type { z } from 'zod';
import type { Actor, Principal } from '../../domain/auth';
import { ValidationFailed } from '../../domain/errors';
import { zodDetails } from '../middleware/errors';

export function parseOrThrow<S extends z.ZodType>(schema: S, value: unknown, where?: string): z.output<S> {
  const result = schema.safeParse(value === undefined && where === undefined ? {} : value);
  if (!result.success) {
    const details = zodDetails(result.error).map((d) => ({ ...d, path: [where, d.path].filter(Boolean).join('.') }));
    throw new ValidationFailed(
      where ? `'${where}' is not valid: ${details[0]?.message ?? 'invalid'}` : 'the request is not valid',
      details,
    );
  }
  return result.data;
}

export function actorOf(res: Response): Actor {
  const principal = res.locals.principal as Principal;
  return { identity: principal.identity, role: principal.role, requestId: res.locals.requestId as string };
}
