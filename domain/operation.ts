// The request that starts an operation (POST /v1/operations): action, selector, waves or policy, budgets.
import { z } from 'zod';
import { SemverSchema } from './cluster';
import { AlarmIntervalSecondsSchema, AlarmsSchema, DEFAULT_ALARM_INTERVAL_SECONDS } from './alarms';
import { DEFAULT_APPLY_TIMEOUT_SECONDS, MAX_APPLY_TIMEOUT_SECONDS } from './deadlines';
import { HealthRuleSchema } from './health-rules';
import { SelectorSchema } from './selector';

export const OPERATION_NAME_PATTERN = /^[a-z0-9][a-z0-9._-]{0,62}$/;
/** The wave that collects every cluster no declared wave claimed; users cannot declare it. */
export const REMAINDER_WAVE = 'remainder';
/** The environment the by-cloud policy's `internal` wave selects, and that wave's name. */
export const INTERNAL_ENVIRONMENT = 'internal';
export const INTERNAL_WAVE = 'internal';
export const canaryWaveName = (cloud: string) => `${cloud}-canary`;

// Same token grammar as a cluster's `cloud` (domain/cluster.ts), so an order entry can match a cluster.
const CLOUD_TOKEN = /^[a-z0-9][a-z0-9-]{0,62}$/;

const nameField = z.string().regex(OPERATION_NAME_PATTERN, 'must match ^[a-z0-9][a-z0-9._-]{0,62}$');

export const ActionSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('upgrade'), targetVersion: SemverSchema }).strict(),
  z.object({ type: z.literal('restart') }).strict(),
  z
    .object({
      type: z.literal('config'),
      settings: z
        .record(z.string().min(1).max(200), z.union([z.string(), z.number(), z.boolean()]))
        .refine((s) => Object.keys(s).length > 0, { message: 'settings must change at least one key' }),
    })
    .strict(),
]);
export type Action = z.infer<typeof ActionSchema>;

/** The inventory version a successful action leaves behind, when it changes one. */
export function targetVersionOf(action: Action): string | null {
  return action.type === 'upgrade' ? action.targetVersion : null;
}

const percent = z.number().int('must be a whole percentage').min(1).max(100);

/** Per-wave knobs; a wave that omits one takes it from `defaults`. */
const waveKnobs = {
  maxParallel: z.number().int().min(1).max(1000),
  maxFailures: z.number().int().min(0),
  // Fractions are allowed: tests and demos bake for a fraction of a second.
  bakeSeconds: z.number().min(0),
  approval: z.enum(['none', 'manual']),
};

export const WaveDefaultsSchema = z
  .object({
    maxParallel: waveKnobs.maxParallel.default(1),
    maxFailures: waveKnobs.maxFailures.default(0),
    bakeSeconds: waveKnobs.bakeSeconds.default(0),
    approval: waveKnobs.approval.default('none'),
  })
  .strict();
export type WaveDefaults = z.infer<typeof WaveDefaultsSchema>;

/** Knobs that replace what one wave would otherwise get (its own, or `defaults`). */
export const WaveOverrideSchema = z.object(waveKnobs).partial().strict();
export type WaveOverride = z.infer<typeof WaveOverrideSchema>;

export const WaveSpecSchema = z
  .object({
    name: nameField.refine((n) => n !== REMAINDER_WAVE, {
      message: `'${REMAINDER_WAVE}' is the name of the implicit last wave`,
    }),
    selector: SelectorSchema.optional(),
    percent: percent.optional(),
    ...z.object(waveKnobs).partial().shape,
  })
  .strict();
export type WaveSpec = z.infer<typeof WaveSpecSchema>;

/** Names the by-cloud policy would generate that collide with each other or with `remainder`. */
function policyNameClashes(policy: { order: string[]; internalFirst: boolean; canaryPercent?: number }): string[] {
  const names = [
    ...(policy.internalFirst ? [INTERNAL_WAVE] : []),
    ...policy.order.flatMap((cloud) => (policy.canaryPercent ? [canaryWaveName(cloud), cloud] : [cloud])),
  ];
  const seen = new Set<string>([REMAINDER_WAVE]);
  return names.filter((n) => (seen.has(n) ? true : (seen.add(n), false)));
}

export const PolicySchema = z.discriminatedUnion('type', [
  z
    .object({
      type: z.literal('by-cloud'),
      order: z
        .array(z.string().regex(CLOUD_TOKEN, 'must be a lowercase cloud token, e.g. aws'))
        .min(1)
        .max(100)
        .refine((o) => new Set(o).size === o.length, { message: 'each cloud may appear once' }),
      internalFirst: z.boolean().default(true),
      canaryPercent: percent.optional(),
    })
    .strict()
    .superRefine((policy, ctx) => {
      for (const clash of policyNameClashes(policy)) {
        ctx.addIssue({ code: 'custom', path: ['order'], message: `the policy would create wave '${clash}' twice` });
      }
    }),
]);
export type Policy = z.infer<typeof PolicySchema>;

export const MonitorSpecSchema = z
  .object({
    timeoutSeconds: z.number().positive().default(600),
    intervalSeconds: z.number().positive().default(10),
    stableChecks: z.number().int().min(1).default(3),
    // A check passes only when every rule holds on the metrics health reports.
    require: z.array(HealthRuleSchema).max(50).default([]),
    // Evaluated on every check like `require` and reported per wave, but never enforced: a rule tried on a
    // live rollout before it is made a requirement.
    shadowRequire: z.array(HealthRuleSchema).max(50).default([]),
  })
  .strict()
  // A poll interval longer than the timeout would time out before the first health check.
  .refine((m) => m.intervalSeconds <= m.timeoutSeconds, {
    message: 'intervalSeconds must not exceed timeoutSeconds',
    path: ['intervalSeconds'],
  });
/** Histories recorded before health rules carry no `require` (nor, before shadow rules, `shadowRequire`): none. */
export type MonitorSpec = Omit<z.infer<typeof MonitorSpecSchema>, 'require' | 'shadowRequire'> & {
  require?: z.infer<typeof MonitorSpecSchema>['require'];
  shadowRequire?: z.infer<typeof MonitorSpecSchema>['shadowRequire'];
};

export const DEFAULT_LEASE_CHECK_SECONDS = 30;
/** At most this many lanes carry one wave. */
export const MAX_WAVE_LANES = 8;

export const LimitsSchema = z
  .object({
    // Each adapter step of a cluster (reading its state, applying, rolling back) gets this long, retries included.
    applyTimeoutSeconds: z.number().min(1).max(MAX_APPLY_TIMEOUT_SECONDS).default(DEFAULT_APPLY_TIMEOUT_SECONDS),
    // How often a cluster parked behind another operation's lease looks again (onLeased: wait).
    leaseCheckSeconds: z.number().min(0.1).max(3600).default(DEFAULT_LEASE_CHECK_SECONDS),
    // How often a cluster the fleet guard holds back (a full limit, a freeze) looks again; default 30.
    guardCheckSeconds: z.number().min(0.1).max(3600).optional(),
    // How many lanes carry each wave (default 1): each pages its share of the plan with its share of
    // maxParallel and continues as new on its own, so a large wave's rate does not dip when one does.
    waveLanes: z.number().int().min(1).max(MAX_WAVE_LANES).optional(),
  })
  .strict();
export type Limits = z.infer<typeof LimitsSchema>;

export const OperationRequestSchema = z
  .object({
    name: nameField,
    requestId: z.string().min(1).max(200).optional(),
    action: ActionSchema,
    // Required: `{}` selects the whole fleet, but it must be said, never implied by omission.
    selector: SelectorSchema,
    waves: z
      .array(WaveSpecSchema)
      .min(1)
      .max(100)
      .superRefine((waves, ctx) => {
        const seen = new Set<string>();
        waves.forEach((wave, i) => {
          if (seen.has(wave.name)) {
            ctx.addIssue({ code: 'custom', path: [i, 'name'], message: `wave name '${wave.name}' is used twice` });
          }
          seen.add(wave.name);
        });
      })
      .optional(),
    policy: PolicySchema.optional(),
    // prefault, not default: zod 4 would return a default object as-is, skipping the inner defaults.
    defaults: WaveDefaultsSchema.prefault({}),
    monitor: MonitorSpecSchema.prefault({}),
    limits: LimitsSchema.prefault({}),
    // Outside signals that pause the operation while they fire, evaluated before each wave and every interval.
    alarms: AlarmsSchema.default([]),
    alarmIntervalSeconds: AlarmIntervalSecondsSchema.default(DEFAULT_ALARM_INTERVAL_SECONDS),
    // Per generated (or declared) wave by name: its own gate, bake, parallelism and budget. Which names
    // a request may override depends on its waves or policy: the planner checks them (checkWaveOverrides).
    waveOverrides: z.record(nameField, WaveOverrideSchema).optional(),
    // A cluster another operation holds: park it until the lease is released (wait) or skip it.
    onLeased: z.enum(['wait', 'skip']).default('wait'),
    // Clusters not started by then end skipped (window_missed, or leased_by:<holder>).
    deadline: z.iso.datetime({ offset: true }).optional(),
    maxFailuresTotal: z.number().int().min(0).optional(),
    onFailure: z.enum(['pause', 'abort']).default('pause'),
    rollbackOnFailure: z.boolean().default(false),
  })
  .strict()
  .superRefine((req, ctx) => {
    if (req.waves && req.policy) {
      ctx.addIssue({ code: 'custom', path: ['policy'], message: 'give either waves or policy, not both' });
    }
  });
export type OperationRequest = z.output<typeof OperationRequestSchema>;
export type OperationRequestInput = z.input<typeof OperationRequestSchema>;
