// The worker's Prometheus series (apply/monitor durations, activity failures) and the small HTTP
// server that exposes them; the Temporal SDK's own worker metrics get a port of their own.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { TelemetryOptions } from '@temporalio/worker';
import { collectDefaultMetrics, Counter, Histogram, Registry } from 'prom-client';
import type { ActivityObserver } from '../activities/instrument';

// Applies and monitors last from a second to hours (rolling restarts of big clusters).
const DURATION_BUCKETS = [0.1, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800, 3600, 7200];

export function createWorkerMetrics(opts: { processMetrics?: boolean } = {}) {
  const registry = new Registry();
  if (opts.processMetrics) collectDefaultMetrics({ register: registry });
  const registers = [registry];
  const attemptDurations = (name: string, activity: string) =>
    new Histogram({
      name,
      help: `${activity} activity attempts, by action and outcome (succeeded, failed, cancelled)`,
      labelNames: ['action', 'outcome'] as const,
      buckets: DURATION_BUCKETS,
      registers,
    });
  const apply = attemptDurations('fleetwave_apply_duration_seconds', 'applyToCluster');
  const monitor = attemptDurations('fleetwave_monitor_duration_seconds', 'monitorCluster');
  // Declarative series definitions: their likeness to api/metrics.ts's is deliberate.
  const failures = new Counter({
    name: 'fleetwave_activity_failures_total',
    help: 'Failed activity attempts, by activity and failure type (retried attempts count each time)',
    labelNames: ['activity', 'type'] as const,
    registers,
  });

  const observer: ActivityObserver = {
    finished({ activity, action, outcome, seconds, errorType }) {
      if (activity === 'applyToCluster') apply.observe({ action, outcome }, seconds);
      if (activity === 'monitorCluster') monitor.observe({ action, outcome }, seconds);
      if (outcome === 'failed') failures.inc({ activity, type: errorType ?? 'unknown' });
    },
  };
  return { registry, observer };
}

export interface MetricsServer {
  port: number;
  close(): Promise<void>;
}

/** Serves `GET /metrics` from `registry` on host:port (port 0: any free port, for tests). */
export async function serveMetrics(registry: Registry, host: string, port: number): Promise<MetricsServer> {
  const server = http.createServer((req, res) => {
    if (req.method !== 'GET' || (req.url ?? '/').split('?')[0] !== '/metrics') {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found: try GET /metrics\n');
      return;
    }
    registry.metrics().then(
      (text) => res.writeHead(200, { 'content-type': registry.contentType }).end(text),
      () => res.writeHead(500, { 'content-type': 'text/plain' }).end('metrics unavailable\n'),
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  return {
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** The SDK runtime's Prometheus exporter on host:port, or nothing when the port is 0. */
export function temporalMetricsTelemetry(host: string, port: number): Pick<TelemetryOptions, 'metrics'> {
  if (port === 0) return {};
  const address = host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
  return { metrics: { prometheus: { bindAddress: address, useSecondsForDurations: true } } };
}
