// Cluster selectors: the schema operators write and the predicate the planner and activities apply.
import { z } from 'zod';
import { LabelsSchema, SemverSchema, type Cluster } from './cluster';
import { isBelow } from './semver';

/** The fields a selector can look at; the planner needs nothing else of a cluster. */
export type PlannableCluster = Pick<
  Cluster,
  'id' | 'kind' | 'cloud' | 'region' | 'environment' | 'tier' | 'version' | 'labels'
>;

/** One value or a non-empty list of values, any of which matches. */
const anyOf = z.union([z.string().min(1), z.array(z.string().min(1)).min(1)]);

export const SelectorSchema = z
  .object({
    ids: anyOf,
    excludeIds: anyOf,
    kind: anyOf,
    cloud: anyOf,
    region: anyOf,
    environment: anyOf,
    tier: anyOf,
    labels: LabelsSchema,
    versionBelow: SemverSchema,
  })
  .partial()
  .strict();
export type Selector = z.infer<typeof SelectorSchema>;

const toSet = (value: string | string[]) => new Set(Array.isArray(value) ? value : [value]);

/**
 * Turns a selector into a predicate once, so that a plan over 10,000 clusters with a long `ids`
 * list does set look-ups instead of scanning the list per cluster. Fields are ANDed; an empty
 * selector matches every cluster.
 */
export function compileSelector(selector: Selector): (cluster: PlannableCluster) => boolean {
  const checks: ((c: PlannableCluster) => boolean)[] = [];
  const oneOf = (value: string | string[] | undefined, field: (c: PlannableCluster) => string | null) => {
    if (value === undefined) return;
    const allowed = toSet(value);
    checks.push((c) => {
      const v = field(c);
      // A cluster without a tier never matches a tier filter.
      return v !== null && allowed.has(v);
    });
  };
  oneOf(selector.ids, (c) => c.id);
  oneOf(selector.kind, (c) => c.kind);
  oneOf(selector.cloud, (c) => c.cloud);
  oneOf(selector.region, (c) => c.region);
  oneOf(selector.environment, (c) => c.environment);
  oneOf(selector.tier, (c) => c.tier ?? null);
  if (selector.excludeIds !== undefined) {
    const excluded = toSet(selector.excludeIds);
    checks.push((c) => !excluded.has(c.id));
  }
  if (selector.labels !== undefined) {
    const wanted = Object.entries(selector.labels);
    // hasOwn: a label named like an Object.prototype member must not match by accident.
    checks.push((c) => wanted.every(([k, v]) => Object.hasOwn(c.labels, k) && c.labels[k] === v));
  }
  if (selector.versionBelow !== undefined) {
    const target = selector.versionBelow;
    checks.push((c) => isBelow(c.version, target));
  }
  return (cluster) => checks.every((check) => check(cluster));
}

/** True when `cluster` satisfies every field of `selector`. */
export function matchesSelector(cluster: PlannableCluster, selector: Selector): boolean {
  return compileSelector(selector)(cluster);
}
