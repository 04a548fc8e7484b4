// Observability over real HTTP: the API's /metrics (route patterns, fleet gauges, a database down),
// the worker's metrics endpoint, and the request id that travels into Temporal.
import assert from 'node:assert/strict';
import net from 'node:net';
import { describe, test } from 'node:test';
import { defaultPayloadConverter } from '@temporalio/client';
import { instrumentActivities } from '../../activities/instrument';
import { ClusterUnhealthy } from '../../adapters/errors';
import { createWorkerMetrics, serveMetrics, temporalMetricsTelemetry } from '../../worker/metrics';
import { call, startApi, startApiWithCleanup } from '../helpers/api';
import { uid } from '../helpers/env';
import { clusterBody } from '../helpers/fixtures';

const { api, started } = startApiWithCleanup();

async function scrape(base: string): Promise<{ status: number; type: string | null; text: string }> {
  const res = await fetch(`${base}/metrics`);
  return { status: res.status, type: res.headers.get('content-type'), text: await res.text() };
}

/** The value of one series, matched by name and every given label; undefined when absent. */
function sample(text: string, name: string, labels: Record<string, string> = {}): number | undefined {
  for (const line of text.split('\n')) {
    const m = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!m || m[1] !== name) continue;
    const have = Object.fromEntries([...(m[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].map((x) => [x[1], x[2]]));
    if (Object.entries(labels).every(([k, v]) => have[k] === v)) return Number(m[3]);
  }
  return undefined;
}

async function freeClosedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise((r) => server.close(r));
  return port;
}

async function startOperation(clusterIds: string[], requestId: string) {
  const res = await call(api.url, 'POST', '/v1/operations', {
    body: { name: uid('op'), action: { type: 'restart' }, selector: { ids: clusterIds } },
    headers: { 'x-request-id': requestId },
  });
  assert.equal(res.status, 201, JSON.stringify(res.body));
  started.push(res.body.id);
  return res.body.id as string;
}

describe('GET /metrics on the API', () => {
  test('when requests were served, then latency is labelled by route pattern, never by raw id', async () => {
    const id = uid('c');
    await call(api.url, 'GET', `/v1/clusters/${id}`);
    await call(api.url, 'GET', `/v1/operations/${uid('op')}`);
    await call(api.url, 'GET', '/definitely/not/a/route');
    const res = await scrape(api.url);
    assert.equal(res.status, 200);
    assert.match(res.type ?? '', /^text\/plain/);
    const name = 'fleetwave_http_request_duration_seconds_count';
    assert.ok(sample(res.text, name, { method: 'GET', route: '/v1/clusters/:id', status: '404' })! >= 1, res.text);
    assert.ok(sample(res.text, name, { method: 'GET', route: '/v1/operations/:id', status: '404' })! >= 1);
    assert.ok(sample(res.text, name, { method: 'GET', route: 'unmatched', status: '404' })! >= 1);
    assert.ok(!res.text.includes(id), 'a raw cluster id became a label');
  });

  test('when the fleet has clusters, leases and runs, then the fleet gauges count them', async () => {
    const cloud = `cloud-${uid('m').slice(2)}`;
    const clusters = [clusterBody({ cloud }), clusterBody({ cloud }), clusterBody({ cloud, environment: 'internal' })];
    assert.equal((await call(api.url, 'POST', '/v1/clusters', { body: { clusters } })).status, 201);
    const operationId = await startOperation(
      clusters.map((c) => c.id),
      uid('req'),
    );
    // What a worker would have written by now: one cluster applying under its lease, one failed.
    await api.db.query(`UPDATE cluster_runs SET state = 'applying' WHERE operation_id = $1 AND cluster_id = $2`, [
      operationId,
      clusters[0]!.id,
    ]);
    await api.db.query(`UPDATE cluster_runs SET state = 'failed' WHERE operation_id = $1 AND cluster_id = $2`, [
      operationId,
      clusters[1]!.id,
    ]);
    await api.db.query('INSERT INTO leases (cluster_id, operation_id, workflow_id) VALUES ($1, $2, $2)', [
      clusters[0]!.id,
      operationId,
    ]);
    try {
      let text = '';
      // Visibility is eventually consistent: the new workflow shows up in counts within moments.
      for (const deadline = Date.now() + 10_000; Date.now() < deadline; await new Promise((r) => setTimeout(r, 200))) {
        text = (await scrape(api.url)).text;
        if ((sample(text, 'fleetwave_operations', { state: 'running' }) ?? 0) >= 1) break;
      }
      assert.equal(sample(text, 'fleetwave_clusters', { cloud, environment: 'customer' }), 2);
      assert.equal(sample(text, 'fleetwave_clusters', { cloud, environment: 'internal' }), 1);
      assert.ok(sample(text, 'fleetwave_leases_held')! >= 1);
      assert.ok(sample(text, 'fleetwave_cluster_runs', { state: 'applying', action: 'restart' })! >= 1);
      assert.ok(sample(text, 'fleetwave_cluster_runs', { state: 'failed', action: 'restart' })! >= 1);
      assert.ok(sample(text, 'fleetwave_cluster_runs', { state: 'pending', action: 'restart' })! >= 1);
      assert.ok(sample(text, 'fleetwave_operations', { state: 'running' })! >= 1, text);
      assert.notEqual(sample(text, 'fleetwave_operations', { state: 'paused' }), undefined);
      assert.notEqual(sample(text, 'fleetwave_approvals_waiting'), undefined);
      assert.equal(sample(text, 'fleetwave_scrape_errors_total', { source: 'postgres' }), 0);
    } finally {
      await api.db.query('DELETE FROM leases WHERE operation_id = $1', [operationId]);
    }
  });

  test('when PostgreSQL is unreachable, then /metrics still answers 200 and counts a scrape error', async () => {
    const down = await startApi({ databaseUrl: `postgres://postgres@127.0.0.1:${await freeClosedPort()}/nowhere` });
    try {
      const res = await scrape(down.url);
      assert.equal(res.status, 200);
      assert.ok(sample(res.text, 'fleetwave_scrape_errors_total', { source: 'postgres' })! >= 1, res.text);
      assert.equal(sample(res.text, 'fleetwave_leases_held'), undefined, 'stale or zero gauges would look like data');
      assert.match(res.text, /fleetwave_http_request_duration_seconds/);
    } finally {
      await down.close();
    }
  });
});

describe('request id correlation', () => {
  test('when an API request starts and signals an operation, then its request id travels as a Temporal header', async () => {
    const cluster = clusterBody();
    assert.equal((await call(api.url, 'POST', '/v1/clusters', { body: cluster })).status, 201);
    const startId = uid('req-start');
    const operationId = await startOperation([cluster.id], startId);
    const pauseId = uid('req-pause');
    const paused = await call(api.url, 'POST', `/v1/operations/${operationId}/pause`, {
      headers: { 'x-request-id': pauseId },
    });
    assert.equal(paused.status, 202, JSON.stringify(paused.body));

    const history = await api.client.workflow.getHandle(operationId).fetchHistory();
    const headerOf = (fields: Record<string, unknown> | null | undefined) =>
      fields?.requestId ? defaultPayloadConverter.fromPayload(fields.requestId) : undefined;
    const startedEvent = history.events?.find((e) => e.workflowExecutionStartedEventAttributes);
    const signalled = history.events?.find((e) => e.workflowExecutionSignaledEventAttributes?.signalName === 'pause');
    assert.equal(headerOf(startedEvent?.workflowExecutionStartedEventAttributes?.header?.fields), startId);
    assert.equal(headerOf(signalled?.workflowExecutionSignaledEventAttributes?.header?.fields), pauseId);
  });
});

describe('worker metrics', () => {
  test('when instrumented activities run, then the worker endpoint shows apply and monitor durations and failures', async () => {
    const metrics = createWorkerMetrics();
    const activities = instrumentActivities(
      {
        applyToCluster: (_input: { operationId: string; action: { type: string } }) =>
          Promise.resolve({ version: '3.7.1' }),
        monitorCluster: (_input: { operationId: string }) => Promise.reject(new ClusterUnhealthy('never stable')),
      },
      { observer: metrics.observer },
    );
    const server = await serveMetrics(metrics.registry, '127.0.0.1', 0);
    try {
      assert.ok(server.port > 0);
      await activities.applyToCluster({ operationId: 'op-m', action: { type: 'upgrade' } });
      await assert.rejects(activities.monitorCluster({ operationId: 'op-m' }), ClusterUnhealthy);
      // The observer hears of a call just after it ends.
      await new Promise((r) => setImmediate(r));
      const res = await scrape(`http://127.0.0.1:${server.port}`);
      assert.equal(res.status, 200);
      assert.match(res.type ?? '', /^text\/plain/);
      assert.equal(
        sample(res.text, 'fleetwave_apply_duration_seconds_count', { action: 'upgrade', outcome: 'succeeded' }),
        1,
      );
      // monitorCluster's input has no action: it is the one apply saw for the same operation.
      assert.equal(
        sample(res.text, 'fleetwave_monitor_duration_seconds_count', { action: 'upgrade', outcome: 'failed' }),
        1,
      );
      assert.equal(
        sample(res.text, 'fleetwave_activity_failures_total', { activity: 'monitorCluster', type: 'ClusterUnhealthy' }),
        1,
      );
      assert.equal((await fetch(`http://127.0.0.1:${server.port}/other`)).status, 404);
    } finally {
      await server.close();
    }
  });

  test("when TEMPORAL_METRICS_PORT is 0, then the SDK's exporter is off; otherwise it binds host:port", () => {
    const bindAddress = (host: string, port: number) =>
      (temporalMetricsTelemetry(host, port).metrics as { prometheus?: { bindAddress: string } } | undefined)?.prometheus
        ?.bindAddress;
    assert.deepEqual(temporalMetricsTelemetry('0.0.0.0', 0), {});
    assert.equal(bindAddress('0.0.0.0', 9465), '0.0.0.0:9465');
    assert.equal(bindAddress('::', 9465), '[::]:9465');
  });
});
