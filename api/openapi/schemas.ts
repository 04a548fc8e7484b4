// Response shapes for /openapi.json, declared with zod beside the domain request schemas they reuse.
import { zodToOpenAPIRegistry } from '@asteasolutions/zod-to-openapi';
import { z } from 'zod';
import {
  AdapterSchema,
  ClusterBulkInputSchema,
  ClusterInputSchema,
  ClusterPatchSchema,
  LabelsSchema,
  MaintenanceWindowSchema,
} from '../../domain/cluster';
import { OPERATION_STATES, RUN_STATES } from '../../domain/states';
import { ActionSchema, OperationRequestSchema, PolicySchema, WaveOverrideSchema } from '../../domain/operation';
import { ActionBodySchema, ApproveBodySchema, PatchOperationBodySchema } from '../../domain/operation-requests';
import { AppendWaveBodySchema, MoveClusterBodySchema } from '../../domain/plan-edit-requests';
import { SelectorSchema } from '../../domain/selector';
import { clusterExample } from './examples';
import { ForecastSchema as ForecastShape } from './forecast-schema';

/**
 * Gives a schema a component name. This is metadata in zod-to-openapi's own registry, keyed by the
 * schema instance: validation is untouched, and every place that uses the same instance (a route, a
 * nested field) becomes a $ref to one component.
 */
export function named<T extends z.ZodType>(refId: string, schema: T): T {
  zodToOpenAPIRegistry.add(schema, { ...zodToOpenAPIRegistry.get(schema), _internal: { refId } });
  return schema;
}

/** Gives a request field its description in the document, the same way `named` gives a schema its name. */
function described<T extends z.ZodType>(schema: T, description: string): T {
  zodToOpenAPIRegistry.add(schema, { ...zodToOpenAPIRegistry.get(schema), description });
  return schema;
}

/** The request schemas the routes validate with, named so the document shows them once. */
export function nameRequestSchemas(): void {
  named('Selector', SelectorSchema);
  named('Action', ActionSchema);
  named('Policy', PolicySchema);
  named('Adapter', AdapterSchema);
  named('MaintenanceWindow', MaintenanceWindowSchema);
  named('ClusterInput', ClusterInputSchema);
  named('ClusterBulkInput', ClusterBulkInputSchema);
  named('ClusterPatch', ClusterPatchSchema);
  named('OperationRequest', OperationRequestSchema);
  named('ActionBody', ActionBodySchema);
  named('ApproveBody', ApproveBodySchema);
  named('PatchOperationBody', PatchOperationBodySchema);
  named('MoveClusterBody', MoveClusterBodySchema);
  named('AppendWaveBody', AppendWaveBodySchema);
  named('WaveOverride', WaveOverrideSchema);
  described(
    OperationRequestSchema.shape.waveOverrides,
    "Per wave, by name: knobs that replace what the wave would otherwise get, for waves the policy generates and declared waves alike (`remainder` and `internal` included). An override wins over the declared wave's own knob. A name the request cannot produce (its declared or generated waves, and `remainder` unless a wave takes everything left) is a 400 `validation_failed` with a detail at `waveOverrides.<name>` listing the request's waves; a wave that is only empty today is accepted.",
  );
  described(
    PatchOperationBodySchema.shape.wave,
    'the wave number whose knobs change, and that wave only (one that has not finished); without it, the running wave and every later one',
  );
}

export const timestamp = z.string().meta({ format: 'date-time', example: '2025-01-01T02:00:00.000Z' });
export const nullableTimestamp = timestamp.nullable();
export const int = z.number().int();

export const ErrorBodySchema = named(
  'ErrorBody',
  z.object({
    error: z.object({
      code: z.string().meta({ description: 'machine-readable, e.g. validation_failed, not_found, invalid_state' }),
      message: z.string().meta({ description: 'for a person; never a stack trace' }),
      details: z
        .array(z.object({ path: z.string().optional(), message: z.string() }).catchall(z.unknown()))
        .meta({ description: 'one entry per problem, e.g. the field that failed validation' }),
      requestId: z.string().optional().meta({ description: 'the X-Request-Id of this request, for the logs' }),
    }),
  }),
);

export const ClusterSchema = named(
  'Cluster',
  z
    .object({
      ...ClusterInputSchema.shape,
      tier: z.string().nullable(),
      labels: LabelsSchema,
      adapter: AdapterSchema,
      maintenanceWindows: z.array(MaintenanceWindowSchema),
      createdAt: timestamp,
      updatedAt: timestamp,
    })
    .meta({ example: clusterExample.response }),
);

export const ClusterRunSchema = named(
  'ClusterRun',
  z.object({
    operationId: z.string(),
    clusterId: z.string(),
    wave: int.meta({ description: '0 for clusters the planner skipped' }),
    state: z.enum(RUN_STATES),
    fromVersion: z.string().nullable(),
    toVersion: z.string().nullable(),
    attempts: int,
    error: z.string().nullable(),
    reason: z
      .string()
      .nullable()
      .meta({ description: 'why a cluster was skipped, e.g. already_at_target, leased_by:<operationId>' }),
    startedAt: nullableTimestamp,
    finishedAt: nullableTimestamp,
    updatedAt: timestamp,
    lastError: z.string().nullable().meta({
      description: 'the last error an adapter call of this attempt answered; shown while apply retries, kept after',
    }),
    adapterAttempts: int.meta({ description: 'attempts of the adapter call running now (or last), retries included' }),
    providerOperationId: z
      .string()
      .nullable()
      .meta({ description: "the control plane's id of the apply (http adapter); rollback names it" }),
    windowOpensAt: nullableTimestamp.meta({
      description: 'when the maintenance window of a cluster parked in waiting_window opens; null otherwise',
    }),
    heldBy: z.string().nullable().meta({
      description: 'the operation holding the lease a cluster parked in waiting_lease waits for; null otherwise',
    }),
    shadowFailed: z.array(z.string()).nullable().meta({
      description:
        'the shadow rules (monitor.shadowRequire) this cluster would have failed, as `metric op value`; [] when all held, null when none were evaluated',
    }),
    guard: z.string().nullable().meta({
      description:
        "what holds a cluster parked in waiting_guard: a fleet limit's name, or freeze:<name>; null otherwise",
    }),
  }),
);

export const ClusterDetailSchema = named(
  'ClusterDetail',
  z.object({
    ...ClusterSchema.shape,
    lease: z
      .object({ operationId: z.string() })
      .nullable()
      .meta({ description: 'the operation that holds the cluster now' }),
    runs: z.array(ClusterRunSchema).meta({ description: 'the most recent runs, newest first' }),
  }),
);

export const ClusterPageSchema = named(
  'ClusterPage',
  z.object({
    clusters: z.array(ClusterSchema),
    nextCursor: z.string().nullable().meta({ description: 'pass as cursor for the next page; null on the last' }),
  }),
);

export const ClusterBulkResultSchema = named(
  'ClusterBulkResult',
  z.object({ clusters: z.array(ClusterSchema), count: int }),
);

const waveSettings = {
  maxParallel: int,
  maxFailures: int,
  bakeSeconds: z.number(),
  approval: z.enum(['none', 'manual']),
};
const skippedCluster = z.object({ clusterId: z.string(), reason: z.string() });
const planRevision = int
  .optional()
  .meta({ description: 'moves and appended waves made while the operation runs; absent: none' });

export const PlanSchema = named(
  'Plan',
  z.object({
    total: int.meta({ description: 'clusters in waves; skipped ones are not counted' }),
    waves: z.array(z.object({ number: int, name: z.string(), clusterIds: z.array(z.string()), ...waveSettings })),
    skipped: z.array(skippedCluster),
    emptyWaves: z.array(z.string()).meta({ description: 'declared waves no cluster fell into' }),
    revision: planRevision,
  }),
);

export const OperationStartedSchema = named(
  'OperationStarted',
  z.object({ id: z.string(), state: z.enum(OPERATION_STATES), plan: PlanSchema }),
);
export const ForecastSchema = named('Forecast', ForecastShape);
export const DryRunSchema = named('DryRunPlan', z.object({ plan: PlanSchema, forecast: ForecastSchema }));

const counts = named(
  'RunCounts',
  z.object({
    total: int,
    pending: int,
    running: int.meta({ description: 'applying or monitoring: holding a slot' }),
    succeeded: int,
    failed: int,
    rolled_back: int,
    skipped: int,
    waiting: int.meta({ description: 'parked for a maintenance window, a lease or the fleet guard: holding no slot' }),
  }),
);

export const OperationStatusSchema = named(
  'OperationStatus',
  z.object({
    id: z.string(),
    name: z.string(),
    state: z.enum([...OPERATION_STATES, 'unknown']),
    action: ActionSchema,
    startedBy: z.string(),
    createdAt: timestamp,
    updatedAt: timestamp,
    plan: z
      .object({
        total: int,
        waves: z.array(
          z.object({
            number: int,
            name: z.string(),
            size: int,
            clusterIds: z.array(z.string()).optional(),
            ...waveSettings,
          }),
        ),
        skipped: z.array(skippedCluster),
        skippedCount: int,
        emptyWaves: z.array(z.string()),
        clusterIdsOmitted: z.boolean().meta({ description: 'true above 1000 clusters: page GET …/clusters instead' }),
        revision: planRevision,
      })
      .meta({ description: 'the plan recorded at start, with the live plan edits made since (moves, appended waves)' }),
    currentWave: int.nullable(),
    pendingApproval: z.object({ wave: int }).nullable(),
    pauseReason: z.string().nullable().meta({
      description:
        'operator, failure_budget_exceeded, total_failure_budget_exceeded, alarm:<name> when an alarm fired, or guard:<limit> when a fleet limit tripped',
      example: 'alarm:fleet-errors',
    }),
    error: z.string().nullable(),
    maxParallelOverride: int.nullable(),
    counts,
    waves: z.array(
      z.object({
        number: int,
        name: z.string(),
        size: int,
        ...waveSettings,
        state: z.string().meta({ example: 'running' }),
        counts,
        approvedBy: z.string().nullable(),
        approvedAt: nullableTimestamp,
        approvalComment: z.string().nullable(),
        startedAt: nullableTimestamp,
        finishedAt: nullableTimestamp,
        shadow: z
          .array(z.object({ rule: z.string().meta({ example: 'consumerLag <= 100' }), wouldFail: int, evaluated: int }))
          .meta({
            description:
              'each shadow rule (monitor.shadowRequire): how many of the clusters it was evaluated on would have failed it; never enforced',
          }),
      }),
    ),
    inFlight: z
      .array(z.object({ clusterId: z.string(), wave: int, state: z.enum(RUN_STATES), startedAt: nullableTimestamp }))
      .meta({ description: 'clusters applying or monitoring now; parked ones are counted as waiting instead' }),
    alarms: z
      .array(
        z.object({
          name: z.string(),
          firing: z.boolean(),
          message: z.string().meta({ description: 'what the source said, or why it could not be read' }),
          checkedAt: nullableTimestamp,
          errorsInARow: int.meta({
            description: 'evaluations in a row whose source failed; failAfterErrors of them fire',
          }),
        }),
      )
      .meta({ description: 'each alarm the operation names, as last evaluated (empty when it names none)' }),
    frozen: z
      .object({
        freezes: z.array(z.string()).meta({ description: 'the freezes holding its clusters' }),
        until: timestamp.meta({ description: 'when the first of its clusters is free of them, as they stand now' }),
      })
      .optional()
      .meta({ description: 'present while freezes hold every cluster the operation has not finished' }),
    source: z.enum(['snapshot', 'query', 'describe', 'none']).meta({
      description:
        'snapshot: the state the workflow last wrote to PostgreSQL; query: live from the workflow (an operation whose workflow wrote no snapshot yet); describe: no worker answered; none: no workflow',
    }),
    workflowStatus: z.string().nullable(),
    note: z.string().nullable(),
    forecast: ForecastSchema.nullable().meta({ description: 'null once the operation has ended' }),
  }),
);
