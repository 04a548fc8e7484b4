// The measurements: one operation end to end, the same work on raw Temporal, history sizes, status
// cost and API latency under load.
import type { Client } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import autocannon from 'autocannon';
import { upsertClusters } from '../../db/clusters';
import type { Db } from '../../db/pool';
import type { ClusterInput } from '../../domain/cluster';
import { baselineOperationWorkflow } from './baseline-workflows';

const CLOUDS = ['aws', 'gcp', 'azure'];

/** N zero-latency simulated clusters labelled `bench=<tag>`, 10% internal, spread over three clouds. */
export async function seedBenchFleet(db: Db, tag: string, n: number, applyMs = 0): Promise<void> {
  const fleet: ClusterInput[] = Array.from({ length: n }, (_, i) => ({
    id: `${tag}-${String(i).padStart(6, '0')}`,
    name: `bench ${i}`,
    kind: 'kafka',
    cloud: CLOUDS[i % 3]!,
    region: 'us-east-1',
    environment: i % 10 === 0 ? 'internal' : 'customer',
    tier: 'standard',
    version: '3.6.0',
    labels: { bench: tag },
    adapter: { type: 'simulated', config: { applyMs, healthyAfterMs: 0 } },
    maintenanceWindows: [],
  }));
  for (let i = 0; i < fleet.length; i += 2000) await upsertClusters(db, fleet.slice(i, i + 2000));
}

/** How the bench's operation is shaped: one wave of every cluster or the policy's four; lanes per wave. */
export interface OperationShape {
  singleWave?: boolean;
  waveLanes?: number;
}

/** The bench's operation: the by-cloud policy's four waves, or (singleWave) one wave of every cluster. */
export function operationBody(tag: string, maxParallel: number, { singleWave, waveLanes }: OperationShape = {}) {
  return {
    name: `bench-${tag}`,
    action: { type: 'upgrade', targetVersion: '3.7.1' },
    selector: { labels: { bench: tag } },
    ...(singleWave
      ? { waves: [{ name: 'all' }] }
      : { policy: { type: 'by-cloud', order: CLOUDS, internalFirst: true } }),
    defaults: { maxParallel, maxFailures: 0 },
    monitor: { timeoutSeconds: 60, intervalSeconds: 0.05, stableChecks: 1 },
    ...(waveLanes && waveLanes > 1 ? { limits: { waveLanes } } : {}),
  };
}

async function http<T>(url: string, method = 'GET', body?: unknown): Promise<T> {
  const res = await fetch(url, {
    method,
    headers: body ? { 'content-type': 'application/json' } : {},
    body: body ? JSON.stringify(body) : undefined,
  });
  const json: unknown = await res.json();
  if (!res.ok) throw new Error(`${method} ${url}: ${res.status} ${JSON.stringify(json)}`);
  return json as T;
}

/** The counts of an operation's status answer that the bench checks. */
interface OperationCounts {
  total: number;
  succeeded: number;
}

export interface EngineRun {
  id: string;
  seconds: number;
  waveSizes: number[];
}

export async function runEngine(
  apiUrl: string,
  tag: string,
  maxParallel: number,
  shape: OperationShape = {},
): Promise<EngineRun> {
  const started = performance.now();
  const op = await http<{ id: string; plan: { waves: { clusterIds?: string[]; size?: number }[] } }>(
    `${apiUrl}/v1/operations`,
    'POST',
    operationBody(tag, maxParallel, shape),
  );
  let counts: OperationCounts | undefined;
  for (;;) {
    const status = await http<{ state: string; counts?: OperationCounts }>(`${apiUrl}/v1/operations/${op.id}`);
    if (status.state === 'completed') {
      counts = status.counts;
      break;
    }
    if (['failed', 'cancelled', 'paused'].includes(status.state))
      throw new Error(`operation ${op.id} ended ${status.state}`);
    await new Promise((r) => setTimeout(r, 250));
  }
  const seconds = (performance.now() - started) / 1000;
  const waveSizes = op.plan.waves.map((w) => w.clusterIds?.length ?? w.size ?? 0);
  // A figure is only worth recording for an operation that did all its work: every cluster succeeded.
  const planned = waveSizes.reduce((a, b) => a + b, 0);
  if (!counts || counts.total !== planned || counts.succeeded !== planned)
    throw new Error(`operation ${op.id} completed with ${JSON.stringify(counts)}, not ${planned} succeeded`);
  return { id: op.id, seconds, waveSizes };
}

export async function runBaseline(
  client: Client,
  id: string,
  waveSizes: number[],
  maxParallel: number,
): Promise<number> {
  const started = performance.now();
  await client.workflow.execute(baselineOperationWorkflow, {
    taskQueue: 'fleetwave-baseline',
    workflowId: id,
    args: [{ waves: waveSizes, maxParallel, id }],
  });
  return (performance.now() - started) / 1000;
}

/** The largest history among every run of the operation and of its waves (continue-as-new included). */
export async function largestHistory(
  client: Client,
  operationId: string,
): Promise<{ events: number; bytes: number; workflowId: string }> {
  const executions: { workflowId: string; runId: string }[] = [];
  for (const query of [`WorkflowId = '${operationId}'`, `FleetOperationId = '${operationId}'`]) {
    for await (const wf of client.workflow.list({ query }))
      executions.push({ workflowId: wf.workflowId, runId: wf.runId });
  }
  let largest = { events: 0, bytes: 0, workflowId: '' };
  for (const e of executions) {
    const history = await client.workflow.getHandle(e.workflowId, e.runId).fetchHistory();
    const bytes = temporal.api.history.v1.History.encode(history).finish().length;
    const events = history.events?.length ?? 0;
    if (events > largest.events) largest = { events, bytes, workflowId: e.workflowId };
  }
  return largest;
}

/** Timing and size of the status as users get it: 20 sequential calls. */
export async function statusCost(apiUrl: string, id: string): Promise<{ p50Ms: number; maxMs: number; bytes: number }> {
  const times: number[] = [];
  let bytes = 0;
  for (let i = 0; i < 20; i++) {
    const t = performance.now();
    const res = await fetch(`${apiUrl}/v1/operations/${id}`);
    bytes = (await res.text()).length;
    times.push(performance.now() - t);
  }
  times.sort((a, b) => a - b);
  return { p50Ms: times[10]!, maxMs: times[19]!, bytes };
}

export interface LoadResult {
  path: string;
  /** API replicas the 50 clients were spread over (each replica its own share of them). */
  replicas: number;
  /** The slowest replica's percentiles (one replica: its own). */
  p50: number;
  p99: number;
  requests: number;
  errors: number;
  non2xx: number;
}

/** 50 clients for `seconds`, split evenly over the API replicas, as a balancer in front of them would. */
export async function loadTest(apiUrls: string[], path: string, seconds: number, clients = 50): Promise<LoadResult> {
  const results = await Promise.all(
    apiUrls.map((url, i) =>
      autocannon({
        url: `${url}${path}`,
        connections: Math.floor(clients / apiUrls.length) + (i < clients % apiUrls.length ? 1 : 0),
        duration: seconds,
      }),
    ),
  );
  const sum = (pick: (r: autocannon.Result) => number) => results.reduce((total, r) => total + pick(r), 0);
  return {
    path,
    replicas: apiUrls.length,
    p50: Math.max(...results.map((r) => r.latency.p50)),
    p99: Math.max(...results.map((r) => r.latency.p99)),
    requests: sum((r) => r.requests.total),
    errors: sum((r) => r.errors),
    non2xx: sum((r) => r.non2xx),
  };
}

/** The status stream of an operation, read for `seconds`: events and bytes received. */
export async function streamRate(
  apiUrl: string,
  id: string,
  seconds: number,
): Promise<{ events: number; bytesPerSecond: number; seconds: number }> {
  const started = performance.now();
  const res = await fetch(`${apiUrl}/v1/operations/${id}/stream`, { signal: AbortSignal.timeout(seconds * 1000) });
  let bytes = 0;
  let events = 0;
  try {
    for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
      bytes += chunk.length;
      events += Buffer.from(chunk).toString('utf8').split('\nevent: status\n').length - 1;
    }
  } catch {
    // the timeout ends the read
  }
  const elapsed = (performance.now() - started) / 1000;
  return { events, bytesPerSecond: bytes / elapsed, seconds: elapsed };
}
