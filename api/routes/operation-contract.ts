// Each /v1/operations route once: method, path, the role it needs and the schemas it parses.
// routes/operations.ts serves this table and openapi/operation-paths.ts documents it, so they cannot drift.
import type { z } from 'zod';
import type { Role } from '../../domain/auth';
import { OperationRequestSchema } from '../../domain/operation';
import {
  ActionBodySchema,
  ApproveBodySchema,
  CLUSTER_CONTROLS,
  EventListQuerySchema,
  OPERATION_CONTROLS,
  OperationListQuerySchema,
  PatchOperationBodySchema,
  RunListQuerySchema,
  StartQuerySchema,
} from '../../domain/operation-requests';

export interface RouteContract {
  method: 'get' | 'post' | 'patch';
  /** Express path below /v1/operations; `:id` is an operation id, `:clusterId` a cluster id. */
  path: string;
  role: Role;
  query?: z.ZodObject;
  body?: z.ZodType;
}

/** The routes of a list of controls: each a POST with an optional reason, for an operator. */
function controlRoutes<C extends string>(controls: readonly C[], path: (control: C) => string) {
  const route = (control: C) =>
    ({ method: 'post', path: path(control), role: 'operator', body: ActionBodySchema }) as const;
  return Object.fromEntries(controls.map((control) => [control, route(control)])) as Record<
    C,
    ReturnType<typeof route>
  >;
}

export const OPERATION_ROUTES = {
  start: { method: 'post', path: '/', role: 'operator', query: StartQuerySchema, body: OperationRequestSchema },
  list: { method: 'get', path: '/', role: 'viewer', query: OperationListQuerySchema },
  status: { method: 'get', path: '/:id', role: 'viewer' },
  setMaxParallel: { method: 'patch', path: '/:id', role: 'operator', body: PatchOperationBodySchema },
  runs: { method: 'get', path: '/:id/clusters', role: 'viewer', query: RunListQuerySchema },
  events: { method: 'get', path: '/:id/events', role: 'viewer', query: EventListQuerySchema },
  ...controlRoutes(OPERATION_CONTROLS, (control) => `/:id/${control}`),
  approve: { method: 'post', path: '/:id/approve', role: 'approver', body: ApproveBodySchema },
  ...controlRoutes(CLUSTER_CONTROLS, (control) => `/:id/clusters/:clusterId/${control}`),
} as const satisfies Record<string, RouteContract>;
