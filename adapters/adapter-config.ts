// Reading a cluster's `adapter.config` with an adapter's zod schema: one wording for every invalid config.
import type { z } from 'zod';
import type { Cluster } from '../domain/cluster';
import { ClusterApplyRejected } from './errors';

/** `path: message; …` for each issue, `root` standing for an issue about the whole value. */
export function describeIssues(error: z.ZodError, root: string): string {
  return error.issues.map((issue) => `${issue.path.join('.') || root}: ${issue.message}`).join('; ');
}

/** The parsed config, or ClusterApplyRejected (permanent: an operator fixes the inventory) naming what is wrong. */
export function parseAdapterConfig<Schema extends z.ZodType>(
  schema: Schema,
  cluster: Cluster,
  adapterName: string,
): z.output<Schema> {
  const parsed = schema.safeParse(cluster.adapter.config ?? {});
  if (parsed.success) return parsed.data;
  const issues = describeIssues(parsed.error, '(config)');
  throw new ClusterApplyRejected(`${adapterName} adapter config of cluster '${cluster.id}' is invalid: ${issues}`);
}
