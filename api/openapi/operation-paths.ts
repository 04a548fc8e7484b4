// /v1/operations in the OpenAPI document: each route of routes/operation-contract.ts, with what a reader needs to know.
import type { OpenAPIRegistry } from '@asteasolutions/zod-to-openapi';
import { z } from 'zod';
import { ClusterIdSchema } from '../../domain/cluster';
import {
  CLUSTER_CONTROLS,
  IdempotencyKeySchema,
  OPERATION_CONTROLS,
  OperationIdSchema,
  type ClusterControl,
  type OperationControl,
} from '../../domain/operation-requests';
import { OPERATION_ROUTES, type RouteContract } from '../routes/operation-contract';
import { defineRoute, type RouteSpec } from './define';
import { approveExample, operationPolicyExample, operationRequestExample } from './examples';
import { OPERATOR_ACTIONS } from '../../domain/workflow-contracts';
import { named, DryRunSchema, OperationStartedSchema, OperationStatusSchema } from './schemas';
import {
  EventPageSchema,
  OperationListSchema,
  PlanEditedSchema,
  RunPageSchema,
  WavesEditedSchema,
} from './page-schemas';

const TAG = 'operations';
const MOUNT = '/v1/operations';
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
const reasonBody = { required: false, description: 'optional; the reason is kept in the audit log' };
const actionFields = {
  name: z.enum(OPERATOR_ACTIONS).meta({ example: 'pause' }),
  actionId: z.string().meta({ description: 'the action, as its audit rows name it (payload.actionId / action key)' }),
  message: z.string().meta({ description: 'what the workflow did, in words' }),
};
const ActionAppliedSchema = named(
  'ActionApplied',
  OperationStatusSchema.extend({
    actionResult: z.object({ ...actionFields, outcome: z.literal('applied') }),
  }).meta({ description: 'the workflow applied the action: the operation status after it, and what it did' }),
);
const ActionDeliveredSchema = named(
  'ActionDelivered',
  z.object({ id: z.string(), ...actionFields, outcome: z.literal('delivered') }).meta({
    description:
      'no worker answered in time: the action was delivered as its signal; the workflow applies or rejects it when a worker runs, and its audit row says which',
  }),
);
const accepted = {
  200: { description: 'applied by the workflow', schema: ActionAppliedSchema },
  202: { description: 'delivered; the workflow decides when a worker runs', schema: ActionDeliveredSchema },
};

/** What only the document says about a route; the contract gives its method, path, role and schemas. */
type RouteDocs = Omit<RouteSpec, 'method' | 'path' | 'tag' | 'role' | 'params' | 'query' | 'body'> & {
  body?: Omit<NonNullable<RouteSpec['body']>, 'schema'>;
};

function documented(route: RouteContract, { body, ...docs }: RouteDocs): RouteSpec {
  const params = route.path.includes(':clusterId') ? clusterParams : route.path.includes(':id') ? idParams : undefined;
  return {
    method: route.method,
    path: MOUNT + (route.path === '/' ? '' : route.path.replace(/:(\w+)/g, '{$1}')),
    tag: TAG,
    role: route.role,
    ...(params ? { params } : {}),
    ...(route.query ? { query: route.query } : {}),
    ...(route.body ? { body: { schema: route.body, required: true, ...body } } : {}),
    ...docs,
  };
}

// The controls read alike on purpose: one entry of words each; their routes are generated below.
const CONTROL_DOCS: Record<
  OperationControl | ClusterControl,
  { summary: string; description: string; conflict: string }
> = {
  pause: {
    summary: 'Pause: start no new clusters',
    description: 'In-flight clusters finish their apply and monitor; nothing new starts until resume.',
    conflict: "The workflow's reason: `already_paused`, `cancel_requested` (being cancelled), `operation_finished`.",
  },
  resume: {
    summary: 'Resume a paused operation',
    description:
      "A wave stopped by its failure budget gets a fresh budget; failed clusters stay failed unless retried first. An operation paused by an alarm resumes only once that alarm no longer fires (status `alarms`); one paused by a fleet limit (`guard:<limit>`) only once that limit's failures in the last hour are no longer over it.",
    conflict:
      "The workflow's reason: `not_paused`, `alarm_firing` (an alarm still fires), `guard_exceeded` (the fleet limit that paused it is still exceeded), `cancel_requested`, `operation_finished`.",
  },
  cancel: {
    summary: 'Cancel: stop new work and end cancelled',
    description: 'In-flight clusters finish, leases are released, the operation ends `cancelled`.',
    conflict: "The workflow's reason: `cancel_requested` (a cancel is already under way), `operation_finished`.",
  },
  retry: {
    summary: 'Run a failed cluster again',
    description:
      'Re-queues a failed or rolled back cluster while the operation runs, waits for approval or is paused; its apply carries a new attempt in the idempotency key.',
    conflict:
      "The workflow's reason: `not_failed` (the cluster has not failed), `cancel_requested`, `operation_finished`.",
  },
  skip: {
    summary: 'Skip a pending cluster',
    description:
      'Marks a cluster that has not started (pending, or parked for its window or a lease) as skipped (`skipped_by:<identity>`).',
    conflict: "The workflow's reason: `not_pending` (the cluster has started or ended), `operation_finished`.",
  },
};

/** A control: the workflow's operatorAction update, answered 200 once applied (202 when only delivered). */
function controlRoute(control: OperationControl | ClusterControl, scope: 'Operation' | 'Cluster', notFound: string) {
  const { summary, description, conflict } = CONTROL_DOCS[control];
  return documented(OPERATION_ROUTES[control], {
    operationId: `${control}${scope}`,
    summary,
    description,
    body: reasonBody,
    answers: accepted,
    errors: { 404: notFound, 409: conflict },
  });
}

// One entry of words per route, alike in shape on purpose; method, path, role and schemas come from the contract.
const routes: RouteSpec[] = [
  documented(OPERATION_ROUTES.start, {
    operationId: 'startOperation',
    summary: 'Start an operation (or plan one with dryRun=true)',
    description:
      'Plans the waves once from the inventory, records the plan and starts the workflow. The same `requestId` (or `Idempotency-Key` header) with the same body answers the same operation (200); with another body it is a 409. `?dryRun=true` answers the plan only (200) and starts nothing.',
    headers: z.object({
      'Idempotency-Key': IdempotencyKeySchema.optional().meta({
        description: 'idempotency key; the same as `requestId` in the body',
      }),
    }),
    body: {
      required: true,
      examples: {
        waves: { summary: 'an upgrade in declared waves (the documented example)', value: operationRequestExample },
        policy: {
          summary: 'a rolling restart with waves from the by-cloud policy, the gcp canary gated by an approval',
          value: operationPolicyExample,
        },
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
      400: '`nothing_to_do` when every selected cluster is already at the target; an empty selection is a 400 too, and so is a `waveOverrides` entry naming a wave the request cannot have (detail at `waveOverrides.<name>`, reason `unknown_wave`).',
      409: '`idempotency_conflict`: the key was used with a different request.',
      503: 'When Temporal is down after the plan was recorded, `details` name the Idempotency-Key to repeat the request with.',
    },
  }),
  documented(OPERATION_ROUTES.list, {
    operationId: 'listOperations',
    summary: 'List operations (Temporal visibility)',
    answers: { 200: { description: 'one page of operations; follow `nextPageToken`', schema: OperationListSchema } },
  }),
  documented(OPERATION_ROUTES.status, {
    operationId: 'getOperation',
    summary: 'Status: state, plan, per-wave counts, in-flight clusters, pending approval',
    answers: { 200: { description: 'the status', schema: OperationStatusSchema } },
    errors: { 404: unknownOperation },
  }),
  documented(OPERATION_ROUTES.stream, {
    operationId: 'streamOperation',
    summary: 'Live status: a server-sent-events stream of the status as it changes',
    description:
      'A `text/event-stream`. The first event is the status now; then one `status` event (`data` is the same JSON as GET /v1/operations/{id}) whenever the status changes, read once a second for all streams of the operation together. When the operation has ended the stream sends its last status and an `end` event (`{"reason":"finished"}`) and closes; an API process that shuts down sends `end` with `closing`, and an EventSource reconnects (to another replica) by itself. `unavailable` says one read failed (PostgreSQL or Temporal down) and the stream keeps trying. A `: keep-alive` comment comes every 15 s.',
    answers: {
      200: {
        description: 'the stream',
        mediaType: 'text/event-stream',
        schema: z.string().meta({
          example: 'retry: 3000\n\nid: 1\nevent: status\ndata: {"id":"op-…","state":"running",…}\n\n',
        }),
      },
    },
    errors: { 404: unknownOperation },
  }),
  documented(OPERATION_ROUTES.setMaxParallel, {
    operationId: 'editWaves',
    summary: "Change a wave's maxParallel, maxFailures or bakeSeconds, or those of the running and later waves",
    description:
      'A live plan edit, sent as the Temporal update `editWave`: the workflow validates it before it takes effect (a refused edit leaves no event in its history) and audits it (`operation.edit`). `wave` names one wave that has not finished; without it, the running wave and every later one. A running wave takes maxParallel and maxFailures at once (a budget lowered below its failures stops it); a bake applies when the wave bakes, and a wave baking now ends its bake that long after it began. At least one knob.',
    body: {
      required: true,
      examples: {
        ten: { summary: 'ten at a time, from the running wave on', value: { maxParallel: 10 } },
        oneWave: {
          summary: 'wave 3 only: two at a time, two failures allowed, a ten-minute bake',
          value: { wave: 3, maxParallel: 2, maxFailures: 2, bakeSeconds: 600 },
        },
      },
    },
    answers: { 200: { description: 'what changed, and in which waves', schema: WavesEditedSchema } },
    errors: {
      400: 'The plan has no such wave, or no knob is given.',
      404: unknownOperation,
      409: "`operation_finished`, or the workflow's reason: `wave_finished` (that wave has finished).",
      503: '`workflow_unavailable` when no worker answers.',
    },
  }),
  documented(OPERATION_ROUTES.runs, {
    operationId: 'listOperationRuns',
    summary: 'Per-cluster runs, filtered by state and wave, paged',
    answers: { 200: { description: 'one page of runs; follow `nextCursor`', schema: RunPageSchema } },
    errors: { 404: unknownOperation },
  }),
  documented(OPERATION_ROUTES.events, {
    operationId: 'listOperationEvents',
    summary: 'Audit trail of the operation: who did what, when',
    answers: { 200: { description: 'one page of events, oldest first; follow `nextCursor`', schema: EventPageSchema } },
    errors: { 404: unknownOperation },
  }),
  ...OPERATION_CONTROLS.map((control) => controlRoute(control, 'Operation', unknownOperation)),
  documented(OPERATION_ROUTES.approve, {
    operationId: 'approveWave',
    summary: 'Approve a wave that waits for a manual approval',
    description:
      'Four-eyes: the identity that started the operation cannot approve its waves (unless FLEET_ALLOW_SELF_APPROVAL=true).',
    body: { required: true, examples: { canary: { summary: 'approve wave 2', value: approveExample } } },
    answers: accepted,
    errors: {
      403: '`self_approval_forbidden`: the caller started this operation.',
      404: unknownOperation,
      409: "The workflow's reason: `not_awaiting_approval` (that wave does not wait for one), `operation_finished`.",
    },
  }),
  ...CLUSTER_CONTROLS.map((control) =>
    controlRoute(control, 'Cluster', 'The operation does not exist, or the cluster is not part of it.'),
  ),
  documented(OPERATION_ROUTES.moveCluster, {
    operationId: 'moveCluster',
    summary: 'Move a cluster that has not started to a later wave that has not started',
    description:
      "A live plan edit, sent as the Temporal update `moveCluster`: the workflow validates it (a refused move leaves no event in its history), moves the cluster's run and the recorded plan in one transaction, and audits it (`cluster.move`). The cluster must be pending and never started (not parked, not queued again by a retry); its wave may be running, and then never starts it.",
    body: { required: true, examples: { later: { summary: 'to wave 3', value: { toWave: 3 } } } },
    answers: { 200: { description: 'the status after the move, with `editResult`', schema: PlanEditedSchema } },
    errors: {
      404: 'The operation does not exist, or the cluster is not part of it.',
      409: "`operation_finished`, `not_pending` (the cluster has started or ended), or the workflow's reason: `unknown_wave`, `wave_started` (that wave has started), `not_later_wave`, `cancel_requested`.",
      503: '`workflow_unavailable` when no worker answers.',
    },
  }),
  documented(OPERATION_ROUTES.appendWave, {
    operationId: 'appendWave',
    summary: 'Append a wave of inventory clusters the operation does not hold yet',
    description:
      "A live plan edit, sent as the Temporal update `appendWave`. The API chooses the clusters that the wave's selector and the operation's both match and the operation does not hold (for an upgrade, below the target), stages them in PostgreSQL, and the workflow appends them as the last wave (knobs left out come from the operation's `defaults`) and audits it (`wave.append`).",
    body: {
      required: true,
      examples: {
        late: {
          summary: 'the clusters added to the fleet since the start, two at a time',
          value: { name: 'late-additions', selector: { labels: { team: 'payments' } }, maxParallel: 2 },
        },
      },
    },
    answers: { 200: { description: 'the status after the append, with `editResult`', schema: PlanEditedSchema } },
    errors: {
      404: unknownOperation,
      409: "`operation_finished`, `empty_wave` (the selector chose no cluster the operation does not hold), or the workflow's reason: `wave_name_taken`, `too_many_waves`, `cancel_requested`.",
      503: '`workflow_unavailable` when no worker answers.',
    },
  }),
];

export function registerOperationPaths(registry: OpenAPIRegistry): void {
  for (const route of routes) defineRoute(registry, route);
}
