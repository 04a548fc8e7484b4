// A realistic demo fleet (simulated adapters): internal and customer clusters over three clouds, each
// reporting a consumerLag metric (one far behind) so health rules have something to judge.
import type { ClusterInput } from './cluster';

const REGIONS: Record<string, string[]> = {
  aws: ['us-east-1', 'us-west-2', 'eu-west-1'],
  gcp: ['us-central1', 'europe-west1', 'asia-east1'],
  azure: ['eastus', 'westeurope'],
};
const TIERS = ['basic', 'standard', 'dedicated'] as const;
const VERSIONS = ['3.6.0', '3.6.1', '3.6.2'] as const;
const TEAMS = ['core', 'payments', 'search', 'data'] as const;
/** The one demo cluster whose consumers lag far behind: a health rule on consumerLag stops at it. */
export const LAGGING_DEMO_CLUSTER = 'int-gcp-us-central1-002';

/**
 * `count` clusters, deterministic: the same call gives the same fleet. Roughly one in six is
 * internal; every cloud, region, tier and 3.6.x version appears.
 */
export function demoFleet(count = 60): ClusterInput[] {
  const clouds = Object.keys(REGIONS);
  const fleet: ClusterInput[] = [];
  for (let i = 0; i < count; i++) {
    const cloud = clouds[i % clouds.length]!;
    const regions = REGIONS[cloud]!;
    const region = regions[Math.floor(i / clouds.length) % regions.length]!;
    const internal = Math.floor(i / clouds.length) % 6 === 0;
    const environment = internal ? 'internal' : 'customer';
    const n = String(i + 1).padStart(3, '0');
    const id = `${environment === 'internal' ? 'int' : 'cust'}-${cloud}-${region}-${n}`;
    fleet.push({
      id,
      name: `${internal ? 'Internal' : 'Customer'} Kafka ${n} (${cloud} ${region})`,
      kind: i % 10 === 9 ? 'connect' : 'kafka',
      cloud,
      region,
      environment,
      tier: TIERS[i % TIERS.length]!,
      version: VERSIONS[i % VERSIONS.length]!,
      labels: { team: TEAMS[i % TEAMS.length]!, ...(internal ? {} : { customer: `acme-${(i % 17) + 1}` }) },
      adapter: {
        type: 'simulated',
        config: {
          applyMs: 1500 + (i % 5) * 500,
          healthyAfterMs: 1000,
          brokers: 3 + (i % 3),
          // What health reports for `monitor.require` rules to judge.
          metrics: { consumerLag: id === LAGGING_DEMO_CLUSTER ? 4200 : 5 + ((i * 7) % 90) },
        },
      },
      maintenanceWindows: [],
    });
  }
  return fleet;
}
