// `fleetwave clusters import|list|get|patch|delete`: the fleet inventory over /v1/clusters.
import type { Command } from 'commander';
import { seg } from '../client';
import { contextOf, intOption, labelOption } from '../context';
import { readPages } from '../pages';
import { clusterDetail, clustersTable } from '../render';
import { readClusterFile } from '../spec-file';
import type { Cluster, ClusterRunView } from '../types';
import { registerClusterEdits } from './cluster-edits';

/** Below the API's bulk limit (5000), and small enough that one request stays quick. */
const IMPORT_CHUNK = 1000;

interface ListOptions {
  cloud?: string;
  environment?: string;
  kind?: string;
  region?: string;
  tier?: string;
  label?: Record<string, string>;
  limit?: number;
  cursor?: string;
  all?: boolean;
}

/** The query GET /v1/clusters takes: fields as given (commas mean any of), labels as label.<key>. */
export function clusterQuery(opts: ListOptions): Record<string, string | number | undefined> {
  const query: Record<string, string | number | undefined> = {
    cloud: opts.cloud,
    environment: opts.environment,
    kind: opts.kind,
    region: opts.region,
    tier: opts.tier,
    limit: opts.limit,
    cursor: opts.cursor,
  };
  for (const [k, v] of Object.entries(opts.label ?? {})) query[`label.${k}`] = v;
  return query;
}

export function registerClusters(program: Command): void {
  const clusters = program
    .command('clusters')
    .description('import, list, inspect, change and remove clusters of the fleet inventory')
    .addHelpText(
      'after',
      `
Examples:
  fleetwave clusters import fleet.yaml
  fleetwave clusters list --cloud gcp --label team=core --all
  fleetwave clusters get cust-gcp-us-east1-001
  fleetwave clusters patch cust-gcp-us-east1-001 --set labels.team=core
  fleetwave clusters delete cust-gcp-us-east1-001 --yes`,
    );

  clusters
    .command('import <file>')
    .description(
      `create or replace the clusters listed in a YAML or JSON file (a list, or { clusters: [...] }; '-' reads stdin); sent in chunks of ${IMPORT_CHUNK}`,
    )
    .addHelpText(
      'after',
      `
Each cluster is checked locally before anything is sent:
  - id: kafka-aws-001
    name: Kafka 001
    kind: kafka
    cloud: aws
    region: us-east-1
    environment: customer
    version: 3.6.0
    labels: { team: core }
    adapter: { type: simulated, config: { applyMs: 200 } }

Example:
  fleetwave clusters import fleet.yaml`,
    )
    .action(async (file: string, _opts: unknown, cmd: Command) => {
      const ctx = contextOf(cmd);
      const list = await readClusterFile(file);
      const saved: Cluster[] = [];
      for (let i = 0; i < list.length; i += IMPORT_CHUNK) {
        const answer = await ctx.client.post<{ clusters: Cluster[]; count: number }>('/v1/clusters', {
          clusters: list.slice(i, i + IMPORT_CHUNK),
        });
        saved.push(...answer.clusters);
        if (!ctx.json && list.length > IMPORT_CHUNK) process.stderr.write(`imported ${saved.length}/${list.length}\n`);
      }
      ctx.emit(
        { clusters: saved, count: saved.length },
        () => `imported ${saved.length} cluster${saved.length === 1 ? '' : 's'} from ${file}`,
      );
    });

  clusters
    .command('list')
    .description('list clusters; filters are ANDed, a comma-separated value means any of')
    .option('--cloud <cloud>', 'e.g. gcp, or aws,azure')
    .option('--environment <env>', 'e.g. customer')
    .option('--kind <kind>', 'e.g. kafka')
    .option('--region <region>', 'e.g. us-east-1')
    .option('--tier <tier>', 'e.g. dedicated')
    .option('--label <key=value>', 'label that must match; repeat for more', labelOption)
    .option('--limit <n>', 'clusters per page (1-1000)', intOption(1, 1000))
    .option('--cursor <cursor>', 'start after this page (the nextCursor of a previous page)')
    .option('--all', 'follow nextCursor until every matching cluster is listed')
    .addHelpText(
      'after',
      `
Examples:
  fleetwave clusters list --environment customer --cloud gcp
  fleetwave clusters list --label team=core --label tier=gold --all
  fleetwave clusters list --kind kafka --all -o json | jq -r '.clusters[].id'`,
    )
    .action(async (opts: ListOptions, cmd: Command) => {
      const ctx = contextOf(cmd);
      const { items: found, next } = await readPages(
        async (cursor) => {
          const page = await ctx.client.get<{ clusters: Cluster[]; nextCursor: string | null }>(
            '/v1/clusters',
            clusterQuery({ ...opts, cursor }),
          );
          return { items: page.clusters, next: page.nextCursor };
        },
        { from: opts.cursor, all: opts.all },
      );
      ctx.emit({ clusters: found, nextCursor: next }, () => {
        if (found.length === 0) return 'no clusters match';
        const more = next ? `\nmore clusters match: add --all, or --cursor ${next}` : '';
        return `${clustersTable(found)}\n\n${found.length} cluster${found.length === 1 ? '' : 's'}${more}`;
      });
    });

  clusters
    .command('get <id>')
    .description('show one cluster, its lease and its recent runs')
    .action(async (id: string, _opts: unknown, cmd: Command) => {
      const ctx = contextOf(cmd);
      const cluster = await ctx.client.get<Cluster & { lease: { operationId: string } | null; runs: ClusterRunView[] }>(
        `/v1/clusters/${seg(id)}`,
      );
      ctx.emit(cluster, () => clusterDetail(cluster));
    });

  registerClusterEdits(clusters);
}
