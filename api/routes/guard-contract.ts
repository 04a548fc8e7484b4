// Each /v1/guard route once: method, path, the role it needs and the schemas it parses.
// routes/guard.ts serves this table and openapi/guard-paths.ts documents it, so they cannot drift.
import { z } from 'zod';
import type { Role } from '../../domain/auth';
import { FreezeInputSchema, GuardLimitsBodySchema } from '../../domain/guard';

export interface GuardRouteContract {
  method: 'get' | 'put' | 'post' | 'delete';
  /** Express path below /v1/guard; `:name` is a freeze's name. */
  path: string;
  role: Role;
  body?: z.ZodType;
}

/** The version GET /v1/guard answered, to replace the limits only if nobody changed them since. */
export const IfMatchSchema = z.string().min(1).max(200);

export const GUARD_ROUTES = {
  show: { method: 'get', path: '/', role: 'viewer' },
  setLimits: { method: 'put', path: '/limits', role: 'admin', body: GuardLimitsBodySchema },
  freeze: { method: 'post', path: '/freezes', role: 'admin', body: FreezeInputSchema },
  unfreeze: { method: 'delete', path: '/freezes/:name', role: 'admin' },
} as const satisfies Record<string, GuardRouteContract>;
