// Starts the real API server (its status fast path, then the Express app) on port 0 against the test database and Temporal, and a tiny HTTP client.
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { after, before } from 'node:test';
import type { Client } from '@temporalio/client';
import { createApiMetrics } from '../../api/metrics';
import { createApiServer } from '../../api/server';
import { createGuardService } from '../../api/services/guard';
import { createHealthService } from '../../api/services/health';
import { createInventoryService } from '../../api/services/inventory';
import { createOperationsService } from '../../api/services/operations';
import { createTemporalClient } from '../../api/temporal';
import { parseTokenList } from '../../domain/auth';
import { createPool, type Db } from '../../db/pool';
import { createLogger } from '../../logger';
import { testEnv, uid } from './env';

export interface TestApi {
  url: string;
  db: Db;
  /** The API's own Temporal client, to inspect or terminate what a test started. */
  client: Client;
  /** Where the API starts operation workflows: a worker must poll it for them to run. */
  taskQueue: string;
  close(): Promise<void>;
}

export interface StartApiOptions {
  tokens?: string;
  databaseUrl?: string;
  temporalAddress?: string;
  /** Defaults to a fresh queue nobody polls, so started workflows just wait. */
  taskQueue?: string;
  allowSelfApproval?: boolean;
  /** Without a worker every status query waits this long before describe: short unless a worker polls `taskQueue`. */
  queryTimeoutMs?: number;
  rpcTimeoutMs?: number;
  /** How long forecasts reuse run-duration statistics (FORECAST_CACHE_MS). */
  forecastCacheMs?: number;
}

export const TOKENS = {
  viewer: 'viewer-token-1',
  operator: 'operator-token-1',
  approver: 'approver-token-1',
  admin: 'admin-token-1',
} as const;

export const TOKEN_LIST = `${TOKENS.viewer}=vera:viewer,${TOKENS.operator}=olga:operator,${TOKENS.approver}=abe:approver,${TOKENS.admin}=ada:admin`;

export async function startApi(opts: StartApiOptions = {}): Promise<TestApi> {
  const env = testEnv();
  const db = createPool(opts.databaseUrl ?? env.databaseUrl, 5);
  const taskQueue = opts.taskQueue ?? uid('tq');
  // As api/main.ts builds it: Temporal calls carry the request id.
  const { connection, client } = createTemporalClient({
    temporal: { address: opts.temporalAddress ?? env.temporalAddress, namespace: 'default', taskQueue, uiUrl: '' },
  });
  const logger = createLogger({ level: process.env.LOG_LEVEL ?? 'silent', pretty: false, name: 'test-api' });
  const health = createHealthService({
    db,
    temporalAddress: opts.temporalAddress ?? env.temporalAddress,
    timeoutMs: 1000,
  });
  const operations = createOperationsService({
    db,
    client,
    taskQueue,
    allowSelfApproval: opts.allowSelfApproval ?? false,
    queryTimeoutMs: opts.queryTimeoutMs ?? (opts.taskQueue ? 5000 : 1000),
    rpcTimeoutMs: opts.rpcTimeoutMs ?? 5000,
    streamIntervalMs: 200,
    forecastCacheMs: opts.forecastCacheMs,
  });
  const server: Server = createApiServer({
    config: { tokens: parseTokenList(opts.tokens ?? TOKEN_LIST) },
    logger,
    inventory: createInventoryService(db),
    operations,
    guard: createGuardService(db),
    health,
    metrics: createApiMetrics({ db, client, logger, timeoutMs: 1000 }),
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    db,
    client,
    taskQueue,
    async close() {
      operations.streams.closeAll();
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
      await Promise.allSettled([db.end(), connection.close(), health.close()]);
    },
  };
}

/**
 * One API for the whole test file: started before its tests, closed after them, and every operation
 * listed in `started` terminated first (no worker polls the test's task queue: they would wait forever).
 * `api` is filled in by the time the tests run. Node runs a file's top-level `before` hooks at once, not
 * in turn: set-up that needs the API goes in `whenStarted`.
 */
export function startApiWithCleanup(
  opts: StartApiOptions = {},
  whenStarted?: (api: TestApi) => Promise<void>,
): { api: TestApi; started: string[] } {
  const api = {} as TestApi;
  const started: string[] = [];
  before(async () => {
    Object.assign(api, await startApi(opts));
    await whenStarted?.(api);
  });
  after(async () => {
    await Promise.allSettled(started.map((id) => api.client.workflow.getHandle(id).terminate('test finished')));
    await api.close();
  });
  return { api, started };
}

export interface HttpAnswer<T = any> {
  status: number;
  body: T;
  headers: Headers;
}

/** fetch with JSON in and out; `token: null` sends no Authorization header. */
export async function call<T = any>(
  base: string,
  method: string,
  path: string,
  opts: { token?: string | null; body?: unknown; rawBody?: string; headers?: Record<string, string> } = {},
): Promise<HttpAnswer<T>> {
  const headers: Record<string, string> = { ...opts.headers };
  const token = opts.token === undefined ? TOKENS.admin : opts.token;
  if (token !== null) headers.authorization = `Bearer ${token}`;
  let body: string | undefined;
  if (opts.rawBody !== undefined) body = opts.rawBody;
  else if (opts.body !== undefined) {
    body = JSON.stringify(opts.body);
    headers['content-type'] ??= 'application/json';
  }
  const res = await fetch(`${base}${path}`, { method, headers, body });
  const text = await res.text();
  let parsed: unknown = text;
  try {
    parsed = text ? JSON.parse(text) : undefined;
  } catch {
    // keep the raw text: a test will say what it expected
  }
  return { status: res.status, body: parsed as T, headers: res.headers };
}
