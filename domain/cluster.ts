// The fleet inventory's shapes: one zod schema each for a cluster, a patch and a list filter.
import { z } from 'zod';
import { TokenRefSchema } from './secrets';

export const CLUSTER_ID_PATTERN = /^[a-z0-9][a-z0-9._-]{0,62}$/;
const TOKEN_PATTERN = /^[a-z0-9][a-z0-9-]{0,62}$/;
const SEMVER_PATTERN = /^\d+\.\d+\.\d+(?:-[0-9A-Za-z.-]+)?(?:\+[0-9A-Za-z.-]+)?$/;
const DAYS = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'] as const;
const HH_MM = /^(?:[01]\d|2[0-3]):[0-5]\d$|^24:00$/;

export const ClusterIdSchema = z.string().regex(CLUSTER_ID_PATTERN, 'must match ^[a-z0-9][a-z0-9._-]{0,62}$');

export const tokenField = (what: string) =>
  z.string().regex(TOKEN_PATTERN, `${what} must be a lowercase token (a-z, 0-9, -)`);

export const SemverSchema = z.string().regex(SEMVER_PATTERN, 'must be a semantic version, e.g. 3.7.1');

export const LabelsSchema = z.record(
  z
    .string()
    .min(1)
    .max(63)
    .regex(/^[A-Za-z0-9._/-]+$/, 'label keys use A-Z, a-z, 0-9, . _ / -'),
  z.string().max(255),
);

export const AdapterSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('simulated'), config: z.record(z.string(), z.unknown()).default({}) }).strict(),
  z
    .object({
      type: z.literal('http'),
      // The rest of the config is the adapter's to check when it runs; a malformed secret name is refused here.
      config: z.object({ tokenRef: TokenRefSchema.optional() }).catchall(z.unknown()).default({}),
    })
    .strict(),
]);

export const MaintenanceWindowSchema = z
  .object({
    days: z.array(z.enum(DAYS)).min(1),
    start: z.string().regex(HH_MM, 'must be HH:MM (UTC)'),
    end: z.string().regex(HH_MM, 'must be HH:MM (UTC)'),
  })
  .strict();

const clusterFields = {
  name: z.string().min(1).max(200),
  kind: tokenField('kind'),
  cloud: tokenField('cloud'),
  region: z
    .string()
    .min(1)
    .max(64)
    .regex(/^[a-z0-9][a-z0-9-]*$/, 'region must be lowercase, e.g. us-east-1'),
  environment: tokenField('environment'),
  tier: tokenField('tier').nullish(),
  version: SemverSchema,
  labels: LabelsSchema.default({}),
  adapter: AdapterSchema.default({ type: 'simulated', config: {} }),
  maintenanceWindows: z.array(MaintenanceWindowSchema).max(50).default([]),
};

/** A cluster as a client sends it (create or replace). */
export const ClusterInputSchema = z.object({ id: ClusterIdSchema, ...clusterFields }).strict();
export type ClusterInput = z.infer<typeof ClusterInputSchema>;

/** POST /v1/clusters takes one cluster or `{ clusters: [...] }`. */
export const MAX_BULK_CLUSTERS = 5000;
export const ClusterBulkInputSchema = z
  .object({ clusters: z.array(ClusterInputSchema).min(1).max(MAX_BULK_CLUSTERS) })
  .strict();

/** PATCH /v1/clusters/:id: any field but the id; labels replace the whole map. */
export const ClusterPatchSchema = z
  .object({
    name: clusterFields.name,
    kind: clusterFields.kind,
    cloud: clusterFields.cloud,
    region: clusterFields.region,
    environment: clusterFields.environment,
    tier: clusterFields.tier,
    version: clusterFields.version,
    labels: LabelsSchema,
    adapter: AdapterSchema,
    maintenanceWindows: z.array(MaintenanceWindowSchema).max(50),
  })
  .partial()
  .strict()
  .refine((patch) => Object.keys(patch).length > 0, { message: 'a patch must change at least one field' });
export type ClusterPatch = z.infer<typeof ClusterPatchSchema>;

export interface Cluster {
  id: string;
  name: string;
  kind: string;
  cloud: string;
  region: string;
  environment: string;
  tier: string | null;
  version: string;
  labels: Record<string, string>;
  adapter: { type: 'simulated' | 'http'; config: Record<string, unknown> };
  maintenanceWindows: z.infer<typeof MaintenanceWindowSchema>[];
  createdAt: string;
  updatedAt: string;
}

/** Filters for listing the inventory; every field is any-of. */
export interface ClusterFilter {
  ids?: string[];
  kind?: string[];
  cloud?: string[];
  region?: string[];
  environment?: string[];
  tier?: string[];
  version?: string[];
  labels?: Record<string, string>;
}

export const CLUSTER_FILTER_FIELDS = ['kind', 'cloud', 'region', 'environment', 'tier', 'version'] as const;

const listValue = z.union([z.string(), z.array(z.string())]).transform((value) =>
  (Array.isArray(value) ? value : [value])
    .flatMap((v) => v.split(','))
    .map((v) => v.trim())
    .filter((v) => v.length > 0),
);

/** GET /v1/clusters query: filters, `label.<key>=<value>`, `limit`, `cursor`; nothing else. */
export const ClusterListQuerySchema = z
  .record(z.string(), z.union([z.string(), z.array(z.string())]))
  .transform((query, ctx) => {
    const filter: ClusterFilter = {};
    let limit = 100;
    let cursor: string | undefined;
    for (const [key, raw] of Object.entries(query)) {
      if ((CLUSTER_FILTER_FIELDS as readonly string[]).includes(key)) {
        filter[key as (typeof CLUSTER_FILTER_FIELDS)[number]] = listValue.parse(raw);
      } else if (key === 'id' || key === 'ids') {
        filter.ids = listValue.parse(raw);
      } else if (key.startsWith('label.') && key.length > 'label.'.length) {
        if (Array.isArray(raw)) {
          ctx.addIssue({ code: 'custom', path: [key], message: 'give a label filter once' });
          continue;
        }
        filter.labels = { ...filter.labels, [key.slice('label.'.length)]: raw };
      } else if (key === 'limit') {
        const n = Number(raw);
        if (typeof raw !== 'string' || !Number.isInteger(n) || n < 1 || n > 1000) {
          ctx.addIssue({ code: 'custom', path: ['limit'], message: 'limit must be an integer from 1 to 1000' });
          continue;
        }
        limit = n;
      } else if (key === 'cursor') {
        if (typeof raw !== 'string' || raw.length === 0 || raw.length > 200) {
          ctx.addIssue({ code: 'custom', path: ['cursor'], message: 'cursor must be a value returned as nextCursor' });
          continue;
        }
        cursor = raw;
      } else {
        ctx.addIssue({ code: 'custom', path: [key], message: `unknown query parameter '${key}'` });
      }
    }
    return { filter, limit, cursor };
  });
