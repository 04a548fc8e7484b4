// Examples shown in /openapi.json: the request bodies the docs use, so the reference reads like the docs.
import type { ClusterInput } from '../../domain/cluster';
import type { OperationRequestInput } from '../../domain/operation';

/**
 * The example request body of POST /v1/operations in docs/concepts.md. The near-copy in
 * test/unit/operation-schema.test.ts is deliberate: the test pins the documented text, not this file's.
 */
export const operationRequestExample: OperationRequestInput = {
  name: 'kafka-3.7.1',
  requestId: 'optional idempotency key',
  action: { type: 'upgrade', targetVersion: '3.7.1' },
  selector: { kind: 'kafka', versionBelow: '3.7.1' },
  waves: [
    { name: 'internal', selector: { environment: 'internal' }, maxParallel: 5 },
    {
      name: 'gcp-canary',
      selector: { environment: 'customer', cloud: 'gcp' },
      percent: 10,
      approval: 'manual',
      bakeSeconds: 600,
    },
    { name: 'rest', maxParallel: 50, maxFailures: 3 },
  ],
  defaults: { maxParallel: 1, maxFailures: 0, bakeSeconds: 0, approval: 'none' },
  monitor: { timeoutSeconds: 600, intervalSeconds: 10, stableChecks: 3 },
  maxFailuresTotal: 10,
  onFailure: 'pause',
  rollbackOnFailure: true,
};

/** A by-cloud policy instead of waves: internal first, then a 10% canary per cloud; gcp's canary waits for an approval. */
export const operationPolicyExample: OperationRequestInput = {
  name: 'kafka-restart',
  action: { type: 'restart' },
  selector: { kind: 'kafka' },
  policy: { type: 'by-cloud', order: ['azure', 'aws', 'gcp'], internalFirst: true, canaryPercent: 10 },
  waveOverrides: { 'gcp-canary': { approval: 'manual', bakeSeconds: 600 } },
};

const input: ClusterInput = {
  id: 'kafka-gcp-use1-042',
  name: 'Kafka GCP us-east1 #42',
  kind: 'kafka',
  cloud: 'gcp',
  region: 'us-east1',
  environment: 'customer',
  tier: 'dedicated',
  version: '3.6.1',
  labels: { team: 'core', pci: 'true' },
  adapter: { type: 'simulated', config: { applyMs: 200 } },
  maintenanceWindows: [{ days: ['sat', 'sun'], start: '02:00', end: '06:00' }],
};

export const clusterExample = {
  input,
  response: { ...input, createdAt: '2025-01-01T02:00:00.000Z', updatedAt: '2025-01-01T02:00:00.000Z' },
};

export const approveExample = { wave: 2, comment: 'canary looks healthy' };
