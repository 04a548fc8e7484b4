// /v1/operations in the OpenAPI document: every route of api/routes/operations.ts with the schemas it parses with.
import type { OpenAPIRegistry } from '@asteasolutions/zod-to-openapi';
import { z } from 'zod';
import { ClusterIdSchema } from '../../domain/cluster';
import { OperationRequestSchema } from '../../domain/operation';
import {
  ActionBodySchema,
  ApproveBodySchema,
  EventListQuerySchema,
  IdempotencyKeySchema,
  OperationIdSchema,
  OperationListQuerySchema,
  PatchOperationBodySchema,
  RunListQuerySchema,
  StartQuerySchema,
} from '../../domain/operation-requests';
import { defineRoute, type RouteSpec } from './define';
import { approveExample, operationPolicyExample, operationRequestExample } from './examples';
import {
  AcceptedSchema,
  DryRunSchema,
  EventPageSchema,
  MaxParallelSetSchema,
  OperationListSchema,
  OperationStartedSchema,
  OperationStatusSchema,
  RunPageSchema,
} from './schemas';

const TAG = 'operations';
const operationId = OperationIdSchema.meta({
  description: 'operation id: its name and a short suffix',
  example: 'kafka-3.7.1-4f2a9c',
});
const idParams = z.object({ id: operationId });
const clusterParams = z.object({
  id: operationId,
  clusterId: ClusterIdSchema.meta({ description: 'cluster id', example: 'kafka-gcp-use1-042' }),
});
const unknownOperation = 'The operation does not exist.';
const reasonBody = {
  schema: ActionBodySchema,
  required: false,
  description: 'optional; the reason is kept in the audit log',
};

/** pause, resume, cancel: a signal to the operation's workflow, answered 202 once delivered. */
const controls: { action: 'pause' | 'resume' | 'cancel'; summary: string; description: string; conflict: string }[] = [
  {
    action: 'pause',
    summary: 'Pause: start no new clusters',
    description: 'In-flight clusters finish their apply and monitor; nothing new starts until resume.',
    conflict: 'The operation has finished or is already paused.',
  },
  {
    action: 'resume',
    summary: 'Resume a paused operation',
    description:
      'A wave stopped by its failure budget gets a fresh budget; failed clusters stay failed unless retried first.',
    conflict: 'The operation is not paused.',
  },
  {
    action: 'cancel',
    summary: 'Cancel: stop new work and end cancelled',
    description: 'In-flight clusters finish, leases are released, the operation ends `cancelled`.',
    conflict: 'The operation has already finished.',
  },
];

const clusterActions: { action: 'retry' | 'skip'; summary: string; description: string; conflict: string }[] = [
  {
    action: 'retry',
    summary: 'Run a failed cluster again',
    description:
      'Re-queues a failed or rolled back cluster while the operation is running or paused; its apply carries a new attempt in the idempotency key.',
    conflict: 'The cluster has not failed, or the operation is neither running nor paused.',
  },
  {
    action: 'skip',
    summary: 'Skip a pending cluster',
    description: 'Marks a cluster that has not started as skipped (`skipped_by:<identity>`).',
    conflict: 'The cluster is not pending, or the operation has finished.',
  },
];

const accepted = { 202: { description: 'accepted: the workflow acts on it', schema: AcceptedSchema } };

const routes: RouteSpec[] = [
  {
    method: 'post',
    path: '/v1/operations',
    operationId: 'startOperation',
    tag: TAG,
    role: 'operator',
    summary: 'Start an operation (or plan one with dryRun=true)',
    description:
      'Plans the waves once from the inventory, records the plan and starts the workflow. The same `requestId` (or `Idempotency-Key` header) with the same body answers the same operation (200); with another body it is a 409. `?dryRun=true` answers the plan only (200) and starts nothing.',
    query: StartQuerySchema,
    headers: z.object({
      'Idempotency-Key': IdempotencyKeySchema.optional().meta({
        description: 'idempotency key; the same as `requestId` in the body',
      }),
    }),
    body: {
      schema: OperationRequestSchema,
      required: true,
      examples: {
        waves: { summary: 'an upgrade in declared waves (the spec example)', value: operationRequestExample },
        policy: { summary: 'a rolling restart with waves from the by-cloud policy', value: operationPolicyExample },
      },
    },
    answers: {
      201: { description: 'started', schema: OperationStartedSchema },
      200: {
        description: 'the plan of a dry run, or the operation an earlier request with the same key started',
        schema: z.union([DryRunSchema, OperationStartedSchema]),
      },
    },
    errors: {
      400: '`nothing_to_do` when every selected cluster is already at the target; an empty selection is a 400 too.',
      409: '`idempotency_conflict`: the key was used with a different request.',
      503: 'When Temporal is down after the plan was recorded, `details` name the Idempotency-Key to repeat the request with.',
    },
  },
  {
    method: 'get',
    path: '/v1/operations',
    operationId: 'listOperations',
    tag: TAG,
    role: 'viewer',
    summary: 'List operations (Temporal visibility)',
    query: OperationListQuerySchema,
    answers: { 200: { description: 'one page of operations; follow `nextPageToken`', schema: OperationListSchema } },
  },
  {
    method: 'get',
    path: '/v1/operations/{id}',
    operationId: 'getOperation',
    tag: TAG,
    role: 'viewer',
    summary: 'Status: state, plan, per-wave counts, in-flight clusters, pending approval',
    params: idParams,
    answers: { 200: { description: 'the status', schema: OperationStatusSchema } },
    errors: { 404: unknownOperation },
  },
  {
    method: 'patch',
    path: '/v1/operations/{id}',
    operationId: 'setMaxParallel',
    tag: TAG,
    role: 'operator',
    summary: 'Change maxParallel of the running and later waves',
    description: 'A Temporal update: the workflow validates it before it takes effect.',
    params: idParams,
    body: {
      schema: PatchOperationBodySchema,
      required: true,
      examples: { ten: { summary: 'ten at a time', value: { maxParallel: 10 } } },
    },
    answers: { 200: { description: 'the new setting', schema: MaxParallelSetSchema } },
    errors: {
      404: unknownOperation,
      409: 'The operation has finished, or the workflow refused the value (`invalid_max_parallel`).',
      503: '`workflow_unavailable` when no worker answers.',
    },
  },
  {
    method: 'get',
    path: '/v1/operations/{id}/clusters',
    operationId: 'listOperationRuns',
    tag: TAG,
    role: 'viewer',
    summary: 'Per-cluster runs, filtered by state and wave, paged',
    params: idParams,
    query: RunListQuerySchema,
    answers: { 200: { description: 'one page of runs; follow `nextCursor`', schema: RunPageSchema } },
    errors: { 404: unknownOperation },
  },
  {
    method: 'get',
    path: '/v1/operations/{id}/events',
    operationId: 'listOperationEvents',
    tag: TAG,
    role: 'viewer',
    summary: 'Audit trail of the operation: who did what, when',
    params: idParams,
    query: EventListQuerySchema,
    answers: { 200: { description: 'one page of events, oldest first; follow `nextCursor`', schema: EventPageSchema } },
    errors: { 404: unknownOperation },
  },
  ...controls.map((c): RouteSpec => ({
    method: 'post',
    path: `/v1/operations/{id}/${c.action}`,
    operationId: `${c.action}Operation`,
    tag: TAG,
    role: 'operator',
    summary: c.summary,
    description: c.description,
    params: idParams,
    body: reasonBody,
    answers: accepted,
    errors: { 404: unknownOperation, 409: `\`invalid_state\`: ${c.conflict}` },
  })),
  {
    method: 'post',
    path: '/v1/operations/{id}/approve',
    operationId: 'approveWave',
    tag: TAG,
    role: 'approver',
    summary: 'Approve a wave that waits for a manual approval',
    description:
      'Four-eyes: the identity that started the operation cannot approve its waves (unless FLEET_ALLOW_SELF_APPROVAL=true).',
    params: idParams,
    body: {
      schema: ApproveBodySchema,
      required: true,
      examples: { canary: { summary: 'approve wave 2', value: approveExample } },
    },
    answers: accepted,
    errors: {
      403: '`self_approval_forbidden`: the caller started this operation.',
      404: unknownOperation,
      409: '`invalid_state`: that wave is not awaiting approval.',
    },
  },
  ...clusterActions.map((c): RouteSpec => ({
    method: 'post',
    path: `/v1/operations/{id}/clusters/{clusterId}/${c.action}`,
    operationId: `${c.action}Cluster`,
    tag: TAG,
    role: 'operator',
    summary: c.summary,
    description: c.description,
    params: clusterParams,
    body: reasonBody,
    answers: accepted,
    errors: {
      404: 'The operation does not exist, or the cluster is not part of it.',
      409: `\`invalid_state\`: ${c.conflict}`,
    },
  })),
];

export function registerOperationPaths(registry: OpenAPIRegistry): void {
  for (const route of routes) defineRoute(registry, route);
}
