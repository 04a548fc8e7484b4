// Each /v1/operations route once: method, path, the role it needs and the schemas it parses.
// routes/operations.ts serves this table and openapi/operation-paths.ts documents it, so they cannot drift.
import type { z } from 'zod';
import type { Role } from '../../domain/auth';
import { OperationRequestSchema } from '../../domain/operation';
import {
  ActionBodySchema,
  ApproveBodySchema,
  EventListQuerySchema,
  OperationListQuerySchema,
  PatchOperationBodySchema,
  RunListQuerySchema,
  StartQuerySchema,
} from '../../domain/operation-requests';
import { AppendWaveBodySchema, MoveClusterBodySchema } from '../../domain/plan-edit-requests';

export interface RouteContract {
  method: 'get' | 'post' | 'patch';
  /** Express path below /v1/operations; `:id` is an operation id, `:clusterId` a cluster id. */
  path: string;
  role: Role;
  query?: z.ZodObject;
  body?: z.ZodType;
}

/** A control (OPERATION_CONTROLS, CLUSTER_CONTROLS): a POST with an optional reason, for an operator. */
const control = (path: string) => ({ method: 'post', path, role: 'operator', body: ActionBodySchema }) as const;

export const OPERATION_ROUTES = {
  start: { method: 'post', path: '/', role: 'operator', query: StartQuerySchema, body: OperationRequestSchema },
  list: { method: 'get', path: '/', role: 'viewer', query: OperationListQuerySchema },
  status: { method: 'get', path: '/:id', role: 'viewer' },
  stream: { method: 'get', path: '/:id/stream', role: 'viewer' },
  setMaxParallel: { method: 'patch', path: '/:id', role: 'operator', body: PatchOperationBodySchema },
  runs: { method: 'get', path: '/:id/clusters', role: 'viewer', query: RunListQuerySchema },
  events: { method: 'get', path: '/:id/events', role: 'viewer', query: EventListQuerySchema },
  pause: control('/:id/pause'),
  resume: control('/:id/resume'),
  cancel: control('/:id/cancel'),
  approve: { method: 'post', path: '/:id/approve', role: 'approver', body: ApproveBodySchema },
  retry: control('/:id/clusters/:clusterId/retry'),
  skip: control('/:id/clusters/:clusterId/skip'),
  // Live plan edits (PATCH /:id above edits a wave's knobs).
  moveCluster: { method: 'post', path: '/:id/clusters/:clusterId/move', role: 'operator', body: MoveClusterBodySchema },
  appendWave: { method: 'post', path: '/:id/waves', role: 'operator', body: AppendWaveBodySchema },
} as const satisfies Record<string, RouteContract>;
