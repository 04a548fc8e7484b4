// Cluster bodies for tests: valid by default, each field overridable.
import type { ClusterInput } from '../../domain/cluster';
import { uid } from './env';

export function clusterBody(overrides: Partial<ClusterInput> & Record<string, unknown> = {}): ClusterInput {
  return {
    id: uid('c'),
    name: 'test cluster',
    kind: 'kafka',
    cloud: 'aws',
    region: 'us-east-1',
    environment: 'customer',
    tier: 'standard',
    version: '3.6.0',
    labels: { team: 'core' },
    adapter: { type: 'simulated', config: { applyMs: 10 } },
    maintenanceWindows: [],
    ...overrides,
  };
}
