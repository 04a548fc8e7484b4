// The whole engine for a test: a real worker on its own task queue and the real API pointing at it.
import { DefaultLogger, NativeConnection, Runtime, type Worker } from '@temporalio/worker';
import { createAdapters } from '../../adapters';
import { createSecretResolver, type SecretSources } from '../../adapters/secrets';
import { createPool, type Db } from '../../db/pool';
import { createLivenessCheck } from '../../worker/liveness';
import { createWorker } from '../../worker/worker';
import { call, startApi, type TestApi } from './api';
import { testEnv, uid } from './env';
import { clusterBody } from './fixtures';

let runtimeInstalled = false;

export interface RunningWorker {
  worker: Worker;
  stop(): Promise<void>;
}

export interface TestWorkerOptions {
  /** What the worker's secret resolver reads (FLEET_SECRET_* variables, FLEET_SECRETS_DIR); none by default. */
  secrets?: SecretSources;
}

export async function startWorker(taskQueue: string, opts: TestWorkerOptions = {}): Promise<RunningWorker> {
  const env = testEnv();
  if (!runtimeInstalled) {
    runtimeInstalled = true;
    Runtime.install({ logger: new DefaultLogger('WARN'), shutdownSignals: [] });
  }
  const db = createPool(env.databaseUrl, 10);
  const connection = await NativeConnection.connect({ address: env.temporalAddress });
  const liveness = createLivenessCheck(env.temporalAddress, 'default');
  const worker = await createWorker({
    db,
    connection,
    namespace: 'default',
    taskQueue,
    adapters: createAdapters({ db, secrets: createSecretResolver(opts.secrets ?? { env: {} }) }),
    holderState: liveness.holderState,
  });
  const running = worker.run();
  return {
    worker,
    async stop() {
      if (worker.getState() === 'RUNNING') worker.shutdown();
      await running;
      await Promise.allSettled([connection.close(), liveness.close(), db.end()]);
    },
  };
}

export interface EngineStack {
  api: TestApi;
  db: Db;
  taskQueue: string;
  worker: RunningWorker;
  close(): Promise<void>;
}

export async function startEngine(
  opts: { allowSelfApproval?: boolean; forecastCacheMs?: number } & TestWorkerOptions = {},
): Promise<EngineStack> {
  const taskQueue = uid('tq');
  const worker = await startWorker(taskQueue, { secrets: opts.secrets });
  const api = await startApi({
    taskQueue,
    allowSelfApproval: opts.allowSelfApproval,
    forecastCacheMs: opts.forecastCacheMs,
  });
  return {
    api,
    db: api.db,
    taskQueue,
    worker,
    async close() {
      await worker.stop();
      await api.close();
    },
  };
}

/** Creates `count` simulated clusters with a shared unique prefix; returns their ids in id order. */
export async function seedFleet(
  stack: { api: TestApi },
  count: number,
  overrides: (i: number) => Record<string, unknown> = () => ({}),
): Promise<string[]> {
  const prefix = uid('f');
  const clusters = Array.from({ length: count }, (_, i) =>
    clusterBody({
      id: `${prefix}-${String(i).padStart(3, '0')}`,
      adapter: { type: 'simulated', config: { applyMs: 50 } },
      ...overrides(i),
    }),
  );
  const res = await call(stack.api.url, 'POST', '/v1/clusters', { body: { clusters } });
  if (res.status !== 201) throw new Error(`seeding failed: ${res.status} ${JSON.stringify(res.body)}`);
  return clusters.map((c) => c.id);
}

/** Fast monitor settings so tests finish in seconds. */
export const FAST_MONITOR = { timeoutSeconds: 5, intervalSeconds: 0.1, stableChecks: 1 };

export async function startOperation(stack: { api: TestApi }, body: Record<string, unknown>, token?: string) {
  const res = await call(stack.api.url, 'POST', '/v1/operations', {
    body: { name: uid('op'), monitor: FAST_MONITOR, ...body },
    token,
  });
  if (res.status !== 201) throw new Error(`start failed: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body as { id: string; state: string; plan: any };
}

export async function status(stack: { api: TestApi }, id: string) {
  const res = await call(stack.api.url, 'GET', `/v1/operations/${id}`);
  if (res.status !== 200) throw new Error(`status failed: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body;
}

/** Polls the operation's status until `predicate` holds; fails with the last status after `timeoutMs`. */
export async function waitForStatus(
  stack: { api: TestApi },
  id: string,
  predicate: (s: any) => boolean,
  timeoutMs = 30_000,
): Promise<any> {
  const deadline = Date.now() + timeoutMs;
  let last: any;
  for (;;) {
    last = await status(stack, id);
    if (predicate(last)) return last;
    if (Date.now() > deadline)
      throw new Error(`timed out waiting; last status: ${JSON.stringify(last, null, 1).slice(0, 3000)}`);
    await new Promise((r) => setTimeout(r, 150));
  }
}

export const waitForState = (stack: { api: TestApi }, id: string, state: string, timeoutMs?: number) =>
  waitForStatus(stack, id, (s) => s.state === state, timeoutMs);

export async function runsOf(db: Db, operationId: string) {
  const { rows } = await db.query<{
    cluster_id: string;
    state: string;
    wave: number;
    attempts: number;
    error: string | null;
    reason: string | null;
  }>(
    'SELECT cluster_id, state, wave, attempts, error, reason FROM cluster_runs WHERE operation_id = $1 ORDER BY cluster_id',
    [operationId],
  );
  return rows;
}
