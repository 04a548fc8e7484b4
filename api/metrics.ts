// The API's Prometheus registry: request latency by route pattern, and fleet gauges read at scrape time
// from PostgreSQL and Temporal visibility — bounded in time; a dependency down is counted, never a 500.
import type { ServerResponse } from 'node:http';
import type { Client } from '@temporalio/client';
import type { RequestHandler } from 'express';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import { readFleetGauges } from '../db/fleet-gauges';
import type { Db } from '../db/pool';
import { OPERATION_WORKFLOW_TYPE } from '../domain/ids';
import { FINAL_OPERATION_STATES, FINAL_RUN_STATES, OPERATION_STATES, RUN_STATES } from '../domain/states';
import type { Logger } from '../logger';
import { routeOf } from './middleware/route-pattern';
import { operationListQuery } from './temporal-visibility';
import { withinTimeout } from './timeout';

export interface ApiMetricsDeps {
  db: Db;
  client: Client;
  logger?: Logger;
  /** Longest wait per source (PostgreSQL, Temporal); both are read at once. */
  timeoutMs?: number;
  /** Node process metrics (CPU, memory, event loop, GC). */
  processMetrics?: boolean;
}

/** The FleetState values of a workflow that still runs (planning happens before Temporal). */
const OPEN_STATES = OPERATION_STATES.filter((state) => state !== 'planning' && !FINAL_OPERATION_STATES.includes(state));
const METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']);
/** Runs not finished yet: pending ones count too, as the operation still has work. */
const UNFINISHED_RUN_STATES = RUN_STATES.filter((state) => !FINAL_RUN_STATES.includes(state));

export function createApiMetrics(deps: ApiMetricsDeps) {
  const timeoutMs = deps.timeoutMs ?? 2000;
  const bounded = <T>(source: string, read: () => Promise<T>) =>
    withinTimeout(read, timeoutMs, `${source} did not answer within ${timeoutMs} ms`);
  const registry = new Registry();
  if (deps.processMetrics) collectDefaultMetrics({ register: registry });
  const registers = [registry];

  const httpDuration = new Histogram({
    name: 'fleetwave_http_request_duration_seconds',
    help: 'API request latency by method, Express route pattern (`unmatched` when no route served it) and status',
    labelNames: ['method', 'route', 'status'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers,
  });
  const scrapeErrors = new Counter({
    name: 'fleetwave_scrape_errors_total',
    help: 'Scrapes whose fleet gauges could not be read, by source (postgres, temporal); those gauges are absent then',
    labelNames: ['source'] as const,
    registers,
  });
  for (const source of ['postgres', 'temporal']) scrapeErrors.inc({ source }, 0);
  // The gauges below look alike on purpose: one declaration each, as prom-client reads them.
  const clusterRuns = new Gauge({
    name: 'fleetwave_cluster_runs',
    help: 'Cluster runs of operations that still have unfinished clusters, by run state and action type',
    labelNames: ['state', 'action'] as const,
    registers,
  });
  const leasesHeld = new Gauge({
    name: 'fleetwave_leases_held',
    help: 'Clusters leased by an operation right now',
    registers,
  });
  const clusters = new Gauge({
    name: 'fleetwave_clusters',
    help: 'Clusters in the inventory, by cloud and environment',
    labelNames: ['cloud', 'environment'] as const,
    registers,
  });
  const operations = new Gauge({
    name: 'fleetwave_operations',
    help: 'Operations whose workflow is running, by state (Temporal visibility, eventually consistent)',
    labelNames: ['state'] as const,
    registers,
  });
  const approvalsWaiting = new Gauge({
    name: 'fleetwave_approvals_waiting',
    help: 'Running operations waiting for a wave approval',
    registers,
  });

  /**
   * Shows or hides a gauge without labels: prom-client always prints those (0 after a reset), and a
   * 0 read while the source is down would look like data.
   */
  function shown(gauge: Gauge, name: string, visible: boolean): void {
    const registered = registry.getSingleMetric(name) !== undefined;
    if (visible && !registered) registry.registerMetric(gauge);
    if (!visible && registered) registry.removeSingleMetric(name);
  }

  function failed(source: 'postgres' | 'temporal', err: unknown): void {
    scrapeErrors.inc({ source });
    deps.logger?.warn(
      { source, err: err instanceof Error ? err.message : String(err) },
      'metrics scrape could not read fleet gauges',
    );
  }

  async function readPostgres(): Promise<void> {
    try {
      const rows = await bounded('PostgreSQL', () => readFleetGauges(deps.db, UNFINISHED_RUN_STATES, timeoutMs));
      clusters.reset();
      clusterRuns.reset();
      leasesHeld.set(0);
      shown(leasesHeld, 'fleetwave_leases_held', true);
      for (const row of rows) {
        if (row.metric === 'clusters') clusters.set({ cloud: row.a ?? '', environment: row.b ?? '' }, row.n);
        else if (row.metric === 'leases') leasesHeld.set(row.n);
        else clusterRuns.set({ state: row.a ?? '', action: row.b ?? 'unknown' }, row.n);
      }
    } catch (err) {
      // Stale numbers would look current: drop the series until the next good read.
      clusters.reset();
      clusterRuns.reset();
      shown(leasesHeld, 'fleetwave_leases_held', false);
      failed('postgres', err);
    }
  }

  async function readTemporal(): Promise<void> {
    try {
      // Visibility cannot GROUP BY a custom search attribute, so one count per open state.
      const counts = await bounded('Temporal', () =>
        deps.client.withDeadline(Date.now() + timeoutMs, () =>
          Promise.all(
            OPEN_STATES.map((state) =>
              deps.client.workflow.count(operationListQuery(OPERATION_WORKFLOW_TYPE, { state })),
            ),
          ),
        ),
      );
      operations.reset();
      OPEN_STATES.forEach((state, i) => operations.set({ state }, counts[i]!.count));
      approvalsWaiting.set(counts[OPEN_STATES.indexOf('awaiting_approval')]!.count);
      shown(approvalsWaiting, 'fleetwave_approvals_waiting', true);
    } catch (err) {
      operations.reset();
      shown(approvalsWaiting, 'fleetwave_approvals_waiting', false);
      failed('temporal', err);
    }
  }

  // Concurrent scrapes share one read, so a burst of scrapers cannot pile queries on PostgreSQL.
  let inFlight: Promise<void> | undefined;
  function refresh(): Promise<void> {
    inFlight ??= Promise.all([readPostgres(), readTemporal()])
      .then(
        () => undefined,
        () => undefined,
      )
      .finally(() => {
        inFlight = undefined;
      });
    return inFlight;
  }

  /**
   * Times one request from now; the function returned records it under its method, route pattern and
   * status (`aborted` when the answer never finished). Called once the response has closed.
   */
  function timeRequest(): (method: string, route: string, res: ServerResponse) => void {
    const end = httpDuration.startTimer();
    return (method, route, res) =>
      end({
        method: METHODS.has(method) ? method : 'other',
        route,
        status: res.writableFinished ? String(res.statusCode) : 'aborted',
      });
  }

  const middleware: RequestHandler = (req, res, next) => {
    const recorded = timeRequest();
    res.once('close', () => recorded(req.method, routeOf(req), res));
    next();
  };

  const handler: RequestHandler = async (_req, res) => {
    await refresh();
    res.setHeader('Content-Type', registry.contentType);
    res.send(await registry.metrics());
  };

  return { registry, middleware, timeRequest, handler, refresh };
}

export type ApiMetrics = ReturnType<typeof createApiMetrics>;
