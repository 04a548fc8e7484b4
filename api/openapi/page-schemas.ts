// Response shapes of lists, pages and the small answers (wave knobs edited, readiness) for /openapi.json.
import { z } from 'zod';
import { OPERATION_STATES } from '../../domain/states';
import { ClusterRunSchema, int, named, nullableTimestamp, OperationStatusSchema, timestamp } from './schemas';

export const OperationListSchema = named(
  'OperationList',
  z.object({
    operations: z.array(
      z.object({
        id: z.string(),
        name: z.string().nullable(),
        state: z.enum(OPERATION_STATES),
        action: z.string().nullable(),
        targetVersion: z.string().nullable(),
        workflowStatus: z.string(),
        startedAt: nullableTimestamp,
        closedAt: nullableTimestamp,
      }),
    ),
    nextPageToken: z.string().nullable(),
  }),
);

export const RunPageSchema = named(
  'RunPage',
  z.object({ runs: z.array(ClusterRunSchema), nextCursor: z.string().nullable() }),
);

export const EventPageSchema = named(
  'EventPage',
  z.object({
    events: z.array(
      z.object({
        id: int,
        at: timestamp,
        identity: z.string(),
        role: z.string(),
        action: z.string().meta({ example: 'operation.pause' }),
        targetType: z.enum(['cluster', 'operation', 'system']),
        targetId: z.string(),
        operationId: z.string().nullable(),
        requestId: z.string().nullable(),
        payload: z.unknown(),
      }),
    ),
    nextCursor: z.string().nullable(),
  }),
);

export const WavesEditedSchema = named(
  'WavesEdited',
  z.object({
    id: z.string(),
    wave: int.optional().meta({ description: 'the one wave changed, when the request named it' }),
    maxParallel: int.optional(),
    maxFailures: int.optional(),
    bakeSeconds: z.number().optional(),
    waves: z.array(int).meta({ description: 'the waves that took the change' }),
  }),
);

const waveSummary = z.object({
  number: int,
  name: z.string(),
  size: int,
  maxParallel: int,
  maxFailures: int,
  bakeSeconds: z.number(),
  approval: z.enum(['none', 'manual']),
});
export const PlanEditedSchema = named(
  'PlanEdited',
  OperationStatusSchema.extend({
    editResult: z.union([
      z.object({
        name: z.literal('move'),
        editId: z.string(),
        clusterId: z.string(),
        fromWave: int,
        toWave: int,
        message: z.string(),
      }),
      z.object({ name: z.literal('append'), editId: z.string(), wave: waveSummary, message: z.string() }),
    ]),
  }).meta({ description: 'the workflow applied the edit: the operation status after it, and what it did' }),
);

const dependency = z.object({ ok: z.boolean(), latencyMs: int, error: z.string().optional() });
export const ReadinessSchema = named(
  'Readiness',
  z.object({
    status: z.enum(['ready', 'not_ready']),
    ready: z.boolean(),
    checks: z.object({ postgres: dependency, temporal: dependency }),
  }),
);
