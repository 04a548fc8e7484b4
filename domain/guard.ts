// The fleet-wide guard: limits that hold across every running operation (clusters in flight, failures in
// the last hour) and change freezes, their request schemas, and the scope rule they share. Pure.
import { z } from 'zod';
import { ClusterInputSchema, tokenField, type Cluster } from './cluster';

/** The cluster fields a scope may name; each given one must equal the cluster's. */
export const GUARD_SCOPE_FIELDS = ['cloud', 'region', 'environment', 'tier', 'kind'] as const;
export type GuardScopeField = (typeof GUARD_SCOPE_FIELDS)[number];

export const GUARD_NAME_PATTERN = /^[a-z0-9][a-z0-9._-]{0,62}$/;
const nameField = z.string().regex(GUARD_NAME_PATTERN, 'must match ^[a-z0-9][a-z0-9._-]{0,62}$');

/** How many limits the guard holds at most: every select checks the ones matching its cluster. */
export const MAX_GUARD_LIMITS = 100;
/** How often a cluster held by the guard looks again, unless its operation says otherwise. */
export const DEFAULT_GUARD_CHECK_SECONDS = 30;
/** The rolling window of maxFailuresPerHour. */
export const FAILURE_WINDOW_SECONDS = 3600;

/** The same grammar as the inventory's fields, so a scope can only name values a cluster can have. */
export const GuardScopeSchema = z
  .object({
    cloud: ClusterInputSchema.shape.cloud,
    region: ClusterInputSchema.shape.region,
    environment: ClusterInputSchema.shape.environment,
    tier: tokenField('tier'),
    kind: ClusterInputSchema.shape.kind,
  })
  .partial()
  .strict();
export type GuardScope = z.infer<typeof GuardScopeSchema>;

const positive = z.number().int('must be a whole number').min(1, 'must be at least 1').max(1_000_000);

export const GuardLimitSchema = z
  .object({
    name: nameField,
    scope: GuardScopeSchema.default({}),
    maxInFlight: positive.optional(),
    maxFailuresPerHour: positive.optional(),
  })
  .strict()
  .refine((limit) => limit.maxInFlight !== undefined || limit.maxFailuresPerHour !== undefined, {
    message: 'a limit sets maxInFlight, maxFailuresPerHour or both',
    path: ['maxInFlight'],
  });
export type GuardLimit = z.infer<typeof GuardLimitSchema>;

/** PUT /v1/guard/limits: the whole set of limits, replacing the one stored. */
export const GuardLimitsBodySchema = z
  .object({
    limits: z
      .array(GuardLimitSchema)
      .max(MAX_GUARD_LIMITS)
      .superRefine((limits, ctx) => {
        const seen = new Set<string>();
        limits.forEach((limit, i) => {
          if (seen.has(limit.name))
            ctx.addIssue({ code: 'custom', path: [i, 'name'], message: `limit name '${limit.name}' is used twice` });
          seen.add(limit.name);
        });
      }),
  })
  .strict();
export type GuardLimitsBody = z.infer<typeof GuardLimitsBodySchema>;

/** POST /v1/guard/freezes: a named period in which no cluster in scope starts. */
export const FreezeInputSchema = z
  .object({
    name: nameField,
    from: z.iso.datetime({ offset: true }),
    to: z.iso.datetime({ offset: true }),
    scope: GuardScopeSchema.default({}),
    reason: z.string().trim().min(1, 'say why the fleet is frozen').max(500),
  })
  .strict()
  .refine((freeze) => Date.parse(freeze.to) > Date.parse(freeze.from), {
    message: 'to must be later than from',
    path: ['to'],
  });
export type FreezeInput = z.infer<typeof FreezeInputSchema>;

export const GuardNameSchema = nameField;

/** A scope matches a cluster when every field it gives equals the cluster's; an empty scope matches every cluster. */
export function scopeMatches(scope: GuardScope, cluster: Pick<Cluster, GuardScopeField>): boolean {
  return GUARD_SCOPE_FIELDS.every((field) => scope[field] === undefined || scope[field] === cluster[field]);
}

/** The scope in words, for messages: `cloud=gcp, environment=customer`, or `the whole fleet`. */
export function describeScope(scope: GuardScope): string {
  const fields = GUARD_SCOPE_FIELDS.filter((field) => scope[field] !== undefined);
  return fields.length === 0 ? 'the whole fleet' : fields.map((field) => `${field}=${scope[field]}`).join(', ');
}

/** What holds a cluster in `waiting_guard`: a limit's name, or `freeze:<name>`. */
export const freezeGuard = (name: string) => `freeze:${name}`;
/** The pause reason of an operation stopped by a limit's hourly failures. */
export const guardPauseReason = (limit: string) => `guard:${limit}` as const;
/** The limit a pause reason names, or null when the pause has another reason. */
export function limitOfPauseReason(reason: string | null | undefined): string | null {
  return reason?.startsWith('guard:') ? reason.slice('guard:'.length) : null;
}

/** Where a freeze stands now. */
export function freezeState(freeze: { from: string; to: string }, nowMs: number): 'upcoming' | 'active' | 'ended' {
  if (nowMs < Date.parse(freeze.from)) return 'upcoming';
  return nowMs < Date.parse(freeze.to) ? 'active' : 'ended';
}

/** A limit as stored, with who set it last. */
export interface StoredLimit extends GuardLimit {
  updatedBy: string;
  updatedAt: string;
}

export interface StoredFreeze {
  name: string;
  from: string;
  to: string;
  scope: GuardScope;
  reason: string;
  createdBy: string;
  createdAt: string;
}

/** One limit's use right now: leases held on clusters in its scope, failures in scope in the last hour. */
export interface LimitUsage {
  limit: string;
  inFlight: number;
  failuresLastHour: number;
}

export type ShownFreeze = StoredFreeze & { state: 'upcoming' | 'active' | 'ended' };

/** GET /v1/guard, and what PUT /v1/guard/limits answers. */
export interface GuardView {
  limits: StoredLimit[];
  freezes: ShownFreeze[];
  usage: LimitUsage[];
  /** The set of limits' version: send it as If-Match to replace the limits only if nobody changed them since. */
  version: string;
}

/** Canonical text of a set of limits, in name order: its hash is the set's version. */
export function canonicalLimits(limits: readonly GuardLimit[]): string {
  const sorted = [...limits].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  return JSON.stringify(
    sorted.map((limit) => ({
      name: limit.name,
      scope: Object.fromEntries(
        GUARD_SCOPE_FIELDS.filter((f) => limit.scope[f] !== undefined).map((f) => [f, limit.scope[f]]),
      ),
      maxInFlight: limit.maxInFlight ?? null,
      maxFailuresPerHour: limit.maxFailuresPerHour ?? null,
    })),
  );
}

/** Whether a limit's failures in the last hour are over it: one more than maxFailuresPerHour trips it. */
export function failuresExceeded(limit: { maxFailuresPerHour?: number | null }, failuresLastHour: number): boolean {
  const max = limit.maxFailuresPerHour;
  return max !== undefined && max !== null && failuresLastHour > max;
}

/** Why a resume is refused while the limit that paused the operation is still over its hourly failures. */
export function guardExceededMessage(
  operationId: string,
  limit: string,
  failures: { failuresLastHour: number; maxFailuresPerHour?: number | null },
): string {
  return (
    `operation '${operationId}' cannot resume while fleet limit '${limit}' is exceeded ` +
    `(${failures.failuresLastHour} failures in the last hour, maxFailuresPerHour ${failures.maxFailuresPerHour}): ` +
    'resume once failures have rolled out of the hour, or raise or remove the limit'
  );
}
