// A fault scenario's engine: worker and API as child processes, plus the test's own PostgreSQL pool and Temporal client, and the REST calls a user makes.
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, type TestContext } from 'node:test';
import { Client, Connection } from '@temporalio/client';
import { createPool, type Db } from '../../../db/pool';
import { call } from '../../helpers/api';
import { testEnv, uid } from '../../helpers/env';
import { clusterBody } from '../../helpers/fixtures';
import { apiProcess, workerProcess, type ApiProcess, type NodeProcess } from './processes';

export interface FaultStack {
  api: ApiProcess;
  worker: NodeProcess;
  db: Db;
  temporal: Client;
  taskQueue: string;
  close(): Promise<void>;
}

export interface StackOptions {
  databaseUrl?: string;
  temporalAddress?: string;
  /** Where the API (only) reaches Temporal, e.g. through a proxy the test can hold. */
  apiTemporalAddress?: string;
  workerEnv?: Record<string, string>;
}

export async function startStack(opts: StackOptions = {}): Promise<FaultStack> {
  const env = testEnv();
  const databaseUrl = opts.databaseUrl ?? env.databaseUrl;
  const temporalAddress = opts.temporalAddress ?? env.temporalAddress;
  const taskQueue = uid('faults');
  const worker = workerProcess({ databaseUrl, temporalAddress, taskQueue }, opts.workerEnv);
  const api = await apiProcess({ databaseUrl, temporalAddress: opts.apiTemporalAddress ?? temporalAddress, taskQueue });
  await Promise.all([worker.start(), api.start()]);
  const db = createPool(databaseUrl, 4);
  // Lazy: the test's own client reconnects on its own when Temporal comes back after a restart.
  const connection = Connection.lazy({ address: temporalAddress });
  const temporal = new Client({ connection, namespace: 'default' });
  return {
    api,
    worker,
    db,
    temporal,
    taskQueue,
    async close() {
      await Promise.allSettled([api.stop(), worker.stop()]);
      await Promise.allSettled([db.end(), connection.close()]);
    },
  };
}

/**
 * The stack a file's scenarios share: started before them, closed after them. Its parts are read when a
 * test runs (reading one earlier throws).
 */
export function useFaultStack(opts: StackOptions = {}): FaultStack {
  let started: FaultStack | undefined;
  before(async () => {
    started = await startStack(opts);
  });
  after(async () => {
    await started?.close();
  });
  const current = (): FaultStack => {
    if (!started) throw new Error('the fault stack is read before it was started');
    return started;
  };
  return {
    get api() {
      return current().api;
    },
    get worker() {
      return current().worker;
    },
    get db() {
      return current().db;
    },
    get temporal() {
      return current().temporal;
    },
    get taskQueue() {
      return current().taskQueue;
    },
    close: () => current().close(),
  };
}

/** Creates `count` clusters on one adapter (simulated by default) under a unique prefix; returns their ids. */
export async function seed(
  apiUrl: string,
  count: number,
  adapter: (i: number, id: string) => Record<string, unknown> = () => ({ type: 'simulated', config: { applyMs: 300 } }),
): Promise<string[]> {
  const prefix = uid('fc');
  const clusters = Array.from({ length: count }, (_, i) => {
    const id = `${prefix}-${i}`;
    return clusterBody({ id, adapter: adapter(i, id) as never });
  });
  const res = await call(apiUrl, 'POST', '/v1/clusters', { body: { clusters } });
  if (res.status !== 201) throw new Error(`seeding failed: ${res.status} ${JSON.stringify(res.body)}`);
  return clusters.map((c) => c.id);
}

/** Monitor settings for seconds-long scenarios: a check every 0.1 s. */
export const QUICK_MONITOR = { timeoutSeconds: 30, intervalSeconds: 0.1, stableChecks: 1 };

export async function startOperation(
  apiUrl: string,
  body: Record<string, unknown>,
): Promise<{ id: string; plan: any }> {
  const res = await call(apiUrl, 'POST', '/v1/operations', {
    body: { name: uid('fault'), monitor: QUICK_MONITOR, ...body },
  });
  if (res.status !== 201) throw new Error(`start failed: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body;
}

/**
 * Polls GET /v1/operations/:id as a user would, through outages: connection errors and 5xx are retried
 * until `timeoutMs`; fails with the last answer.
 */
export async function waitForStatus(
  apiUrl: string,
  id: string,
  predicate: (s: any) => boolean,
  timeoutMs = 60_000,
): Promise<any> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown = 'no answer';
  for (;;) {
    try {
      const res = await call(apiUrl, 'GET', `/v1/operations/${id}`);
      last = res.status === 200 ? res.body : `${res.status} ${JSON.stringify(res.body)}`;
      if (res.status === 200 && predicate(res.body)) return res.body;
    } catch (err) {
      last = `request failed: ${String(err)}`;
    }
    if (Date.now() > deadline)
      throw new Error(`timed out after ${timeoutMs} ms; last answer: ${JSON.stringify(last).slice(0, 3000)}`);
    await sleep(200);
  }
}

export const waitForState = (apiUrl: string, id: string, state: string, timeoutMs?: number) =>
  waitForStatus(apiUrl, id, (s) => s.state === state, timeoutMs);

/** Polls a condition (e.g. a SQL count) every 50 ms; fails with `what` after timeoutMs. */
export async function eventually<T>(
  what: string,
  probe: () => Promise<T | undefined | false>,
  timeoutMs = 30_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe().catch(() => undefined);
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(50);
  }
}

/** Measures a scenario and reports its duration and counts as test diagnostics (shown by the spec reporter). */
export async function measured(
  t: TestContext,
  fn: (report: (facts: Record<string, unknown>) => void) => Promise<void>,
): Promise<void> {
  const started = performance.now();
  const facts: Record<string, unknown> = {};
  try {
    await fn((more) => Object.assign(facts, more));
  } finally {
    const seconds = ((performance.now() - started) / 1000).toFixed(1);
    t.diagnostic(
      `scenario: ${seconds} s; ${Object.entries(facts)
        .map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`)
        .join(', ')}`,
    );
  }
}
