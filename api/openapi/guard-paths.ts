// /v1/guard in the OpenAPI document: each route of routes/guard-contract.ts, with its answers' shapes.
import type { OpenAPIRegistry } from '@asteasolutions/zod-to-openapi';
import { z } from 'zod';
import {
  FreezeInputSchema,
  GuardLimitSchema,
  GuardLimitsBodySchema,
  GuardNameSchema,
  GuardScopeSchema,
} from '../../domain/guard';
import { GUARD_ROUTES, IfMatchSchema, type GuardRouteContract } from '../routes/guard-contract';
import { defineRoute, type RouteSpec } from './define';
import { int, named, timestamp } from './schemas';

const TAG = 'guard';
const MOUNT = '/v1/guard';

const limitExample = {
  name: 'gcp-customer',
  scope: { cloud: 'gcp', environment: 'customer' },
  maxInFlight: 20,
  maxFailuresPerHour: 5,
};
const freezeExample = {
  name: 'year-end',
  from: '2025-12-20T00:00:00Z',
  to: '2026-01-05T00:00:00Z',
  scope: { environment: 'customer' },
  reason: 'year-end change freeze',
};

const StoredLimitSchema = named(
  'GuardLimit',
  z.object({
    name: z.string(),
    scope: GuardScopeSchema,
    maxInFlight: int.optional().meta({ description: 'at most this many clusters in scope in flight, any operation' }),
    maxFailuresPerHour: int.optional().meta({
      description:
        'one more failure in scope within the last hour pauses every operation that would start a cluster in scope',
    }),
    updatedBy: z.string(),
    updatedAt: timestamp,
  }),
);

const FreezeSchema = named(
  'GuardFreeze',
  z.object({
    name: z.string(),
    from: timestamp,
    to: timestamp,
    scope: GuardScopeSchema,
    reason: z.string(),
    createdBy: z.string(),
    createdAt: timestamp,
    state: z
      .enum(['upcoming', 'active', 'ended'])
      .meta({ description: 'where the freeze stands now: active in [from, to)' }),
  }),
);

const GuardViewSchema = named(
  'Guard',
  z.object({
    limits: z.array(StoredLimitSchema),
    freezes: z.array(FreezeSchema).meta({ description: 'every stored freeze, earliest start first, ended ones too' }),
    usage: z
      .array(z.object({ limit: z.string(), inFlight: int, failuresLastHour: int }))
      .meta({ description: 'per limit: clusters in scope holding a lease now, failures in scope in the last hour' }),
    version: z.string().meta({ description: 'the version of the limits: send it as If-Match to PUT /v1/guard/limits' }),
  }),
);

const nameParams = z.object({ name: GuardNameSchema.meta({ description: 'freeze name', example: 'year-end' }) });

type RouteDocs = Omit<RouteSpec, 'method' | 'path' | 'tag' | 'role' | 'params' | 'body'> & {
  body?: Omit<NonNullable<RouteSpec['body']>, 'schema'>;
};

function documented(route: GuardRouteContract, { body, ...docs }: RouteDocs): RouteSpec {
  return {
    method: route.method,
    path: MOUNT + (route.path === '/' ? '' : route.path.replace(/:(\w+)/g, '{$1}')),
    tag: TAG,
    role: route.role,
    ...(route.path.includes(':name') ? { params: nameParams } : {}),
    ...(route.body ? { body: { schema: route.body, required: true, ...body } } : {}),
    ...docs,
  };
}

const routes: RouteSpec[] = [
  documented(GUARD_ROUTES.show, {
    operationId: 'getGuard',
    summary: 'The fleet-wide limits, the freezes, and what each limit counts now',
    answers: { 200: { description: 'limits, freezes, usage and the limits version', schema: GuardViewSchema } },
  }),
  documented(GUARD_ROUTES.setLimits, {
    operationId: 'setGuardLimits',
    summary: 'Replace every fleet-wide limit',
    description:
      'The body is the whole set: a limit left out is removed, `{ "limits": [] }` removes them all. Names are unique; each limit sets `maxInFlight`, `maxFailuresPerHour` or both (whole numbers from 1); a scope names any of cloud, region, environment, tier and kind, and `{}` (the default) is the whole fleet. A lower limit stops no cluster already in flight. Audited with the set before and after. With `If-Match: "<version>"` the set is replaced only if it is still that version.',
    headers: z.object({
      'If-Match': IfMatchSchema.optional().meta({ description: '`version` of GET /v1/guard, quoted or not' }),
    }),
    body: { required: true, examples: { one: { summary: 'one limit', value: { limits: [limitExample] } } } },
    answers: { 200: { description: 'the guard after the change, as GET /v1/guard', schema: GuardViewSchema } },
    errors: { 412: 'The limits are no longer the version sent in If-Match: read them again.' },
  }),
  documented(GUARD_ROUTES.freeze, {
    operationId: 'addGuardFreeze',
    summary: 'Add a change freeze',
    description:
      'While now is in [from, to) no cluster in scope starts: its run waits `waiting_guard` with `guard: "freeze:<name>"` and is selected again when the freeze ends, or within the operation\'s guardCheckSeconds once it is deleted. Clusters in flight finish. `to` must be later than `from`. Audited.',
    body: {
      required: true,
      examples: { yearEnd: { summary: 'a year-end freeze of customer clusters', value: freezeExample } },
    },
    answers: { 201: { description: 'the freeze', schema: FreezeSchema } },
    errors: { 409: '`freeze_exists`: a freeze of that name exists (ended ones too): delete it first.' },
  }),
  documented(GUARD_ROUTES.unfreeze, {
    operationId: 'deleteGuardFreeze',
    summary: 'Delete a change freeze (ends it early)',
    answers: { 204: { description: 'deleted' } },
    errors: { 404: 'No freeze of that name.' },
  }),
];

export function registerGuardPaths(registry: OpenAPIRegistry): void {
  named('GuardLimitsBody', GuardLimitsBodySchema);
  named('GuardLimitInput', GuardLimitSchema);
  named('GuardScope', GuardScopeSchema);
  named('FreezeInput', FreezeInputSchema);
  for (const route of routes) defineRoute(registry, route);
}
