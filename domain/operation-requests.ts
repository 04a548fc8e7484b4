// The /v1/operations request contract: zod schemas of ids, queries and bodies, and the control actions a route sends on.
import { z } from 'zod';
import { OPERATION_STATES, RUN_STATES } from './states';
import { OPERATION_NAME_PATTERN, WaveOverrideSchema } from './operation';

/** An operation id is `<name ≤ 48>-<6 hex>` (domain/ids.ts); anything else cannot exist. */
export const OperationIdSchema = z.string().regex(/^[a-z0-9][a-z0-9._-]{0,62}$/, 'is not an operation id');

/** Idempotency-Key header: printable ASCII, so it is safe to store, log and compare. */
export const IdempotencyKeySchema = z
  .string()
  .min(1)
  .max(200)
  .regex(/^[\x21-\x7e]+$/, 'must be printable ASCII without spaces');

const booleanFlag = z.enum(['true', 'false']).transform((v) => v === 'true');

const intParam = (min: number, max: number, what: string) =>
  z
    .string()
    .regex(/^\d+$/, `${what} must be an integer`)
    .transform(Number)
    .pipe(z.number().int().min(min, `${what} must be at least ${min}`).max(max, `${what} must be at most ${max}`));

const cursorParam = z
  .string()
  .min(1)
  .max(400)
  .regex(/^[A-Za-z0-9_-]+$/, 'use the value returned as the next cursor');

export const StartQuerySchema = z.object({ dryRun: booleanFlag.default(false) }).strict();

export const OperationListQuerySchema = z
  .object({
    state: z.enum(OPERATION_STATES).optional(),
    name: z.string().regex(OPERATION_NAME_PATTERN, 'must be an operation name').optional(),
    limit: intParam(1, 1000, 'limit').default(50),
    pageToken: cursorParam.optional(),
  })
  .strict();
export type OperationListQuery = z.output<typeof OperationListQuerySchema>;

/** `state` takes one run state or a comma-separated list (state=failed,rolled_back). */
export const RunListQuerySchema = z
  .object({
    state: z
      .string()
      .transform((s) =>
        s
          .split(',')
          .map((v) => v.trim())
          .filter((v) => v.length > 0),
      )
      .pipe(z.array(z.enum(RUN_STATES)).min(1))
      .optional(),
    // 0 is where the planner puts clusters it skipped (already at target).
    wave: intParam(0, 10_000, 'wave').optional(),
    limit: intParam(1, 1000, 'limit').default(100),
    cursor: cursorParam.optional(),
  })
  .strict();
export type RunListQuery = z.output<typeof RunListQuerySchema>;

export const EventListQuerySchema = z
  .object({ limit: intParam(1, 1000, 'limit').default(100), cursor: cursorParam.optional() })
  .strict();
export type EventListQuery = z.output<typeof EventListQuerySchema>;

/** pause, resume, cancel, retry, skip: no body, or an optional reason kept in the audit log. */
export const ActionBodySchema = z.object({ reason: z.string().min(1).max(500).optional() }).strict();
export type ActionBody = z.output<typeof ActionBodySchema>;

export const ApproveBodySchema = z
  .object({
    wave: z.number().int().min(1),
    comment: z.string().max(1000).optional(),
  })
  .strict();
export type ApproveBody = z.output<typeof ApproveBodySchema>;

/**
 * A live edit of wave knobs: `wave` narrows it to that wave; without it the running wave and every later
 * one take it. At least one knob.
 */
export const PatchOperationBodySchema = WaveOverrideSchema.omit({ approval: true })
  .extend({ wave: z.number().int().min(1).optional() })
  .refine(
    (body) => body.maxParallel !== undefined || body.maxFailures !== undefined || body.bakeSeconds !== undefined,
    {
      message: 'give at least one of maxParallel, maxFailures, bakeSeconds',
    },
  );
export type PatchOperationBody = z.output<typeof PatchOperationBodySchema>;

/** Controls of a whole operation: POST /v1/operations/{id}/<control>, each a signal to its workflow. */
export const OPERATION_CONTROLS = ['pause', 'resume', 'cancel'] as const;
export type OperationControl = (typeof OPERATION_CONTROLS)[number];

/** Controls of one cluster of an operation: POST /v1/operations/{id}/clusters/{clusterId}/<control>. */
export const CLUSTER_CONTROLS = ['retry', 'skip'] as const;
export type ClusterControl = (typeof CLUSTER_CONTROLS)[number];
