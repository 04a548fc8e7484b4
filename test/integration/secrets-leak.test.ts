// The secret search: a distinctive token is planted as the worker's FLEET_SECRET_<ref>, an operation runs through
// the http adapter (a success, a provider failure quoting the token, with its rollback, a missing secret), and then every place a
// value could surface is searched for it: each API answer, every database row, the worker's and the API's logs
// at trace level, and the Temporal histories of the operation and of every child it started.
import assert from 'node:assert/strict';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { inspect } from 'node:util';
import { after, before, test } from 'node:test';
import type { Client } from '@temporalio/client';
import { DefaultLogger, makeTelemetryFilterString, NativeConnection, Runtime, type Worker } from '@temporalio/worker';
import { createAdapters } from '../../adapters';
import { createSecretResolver } from '../../adapters/secrets';
import { createApp } from '../../api/app';
import { createApiMetrics } from '../../api/metrics';
import { createHealthService } from '../../api/services/health';
import { createGuardService } from '../../api/services/guard';
import { createInventoryService } from '../../api/services/inventory';
import { createOperationsService } from '../../api/services/operations';
import { createTemporalClient } from '../../api/temporal';
import { createPool, type Db } from '../../db/pool';
import { parseTokenList } from '../../domain/auth';
import { createLogger } from '../../logger';
import { createLivenessCheck } from '../../worker/liveness';
import { createWorker } from '../../worker/worker';
import { call, TOKEN_LIST } from '../helpers/api';
import { startControlPlane, type ControlPlane } from '../helpers/control-plane';
import { FAST_MONITOR } from '../helpers/engine';
import { testEnv, uid } from '../helpers/env';
import { clusterBody } from '../helpers/fixtures';

const SECRET = 'Zq7-leak-probe-4b9e1c0d-never-seen';
const REF = 'leak_probe';

/** Everything the worker's SDK, workflows and activities logged (core too), before any redaction. */
const workerLog: string[] = [];
/** The API's JSON log lines at trace level. */
const apiLog: string[] = [];

let cp: ControlPlane;
let db: Db;
let client: Client;
let apiUrl: string;
const closers: (() => Promise<unknown>)[] = [];

before(async () => {
  const env = testEnv();
  Runtime.install({
    logger: new DefaultLogger('TRACE', (entry) => void workerLog.push(inspect(entry, { depth: 20 }))),
    telemetryOptions: { logging: { filter: makeTelemetryFilterString({ core: 'DEBUG' }), forward: {} } },
    shutdownSignals: [],
  });
  cp = await startControlPlane({ token: SECRET });
  closers.push(() => cp.close());

  // The worker, as worker/main.ts builds it, its secrets given as the environment it would read.
  const taskQueue = uid('tq');
  const workerDb = createPool(env.databaseUrl, 10);
  const connection = await NativeConnection.connect({ address: env.temporalAddress });
  const liveness = createLivenessCheck(env.temporalAddress, 'default');
  const worker: Worker = await createWorker({
    db: workerDb,
    connection,
    namespace: 'default',
    taskQueue,
    adapters: createAdapters({
      db: workerDb,
      secrets: createSecretResolver({ env: { [`FLEET_SECRET_${REF}`]: SECRET }, dir: null }),
    }),
    holderState: liveness.holderState,
  });
  const running = worker.run();
  closers.push(async () => {
    worker.shutdown();
    await running;
    await Promise.allSettled([connection.close(), liveness.close(), workerDb.end()]);
  });

  // The API, as api/main.ts builds it, logging everything.
  db = createPool(env.databaseUrl, 5);
  const temporal = createTemporalClient({
    temporal: { address: env.temporalAddress, namespace: 'default', taskQueue, uiUrl: '' },
  });
  client = temporal.client;
  const logger = createLogger({
    level: 'trace',
    pretty: false,
    name: 'leak-api',
    destination: { write: (line: string) => void apiLog.push(line) },
  });
  const health = createHealthService({ db, temporalAddress: env.temporalAddress, timeoutMs: 1000 });
  const app = createApp({
    config: { tokens: parseTokenList(TOKEN_LIST) },
    logger,
    inventory: createInventoryService(db),
    guard: createGuardService(db),
    operations: createOperationsService({
      db,
      client,
      taskQueue,
      allowSelfApproval: false,
      queryTimeoutMs: 5000,
      rpcTimeoutMs: 5000,
    }),
    health,
    metrics: createApiMetrics({ db, client, logger, timeoutMs: 1000 }),
  });
  const server: Server = await new Promise((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
  });
  apiUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  closers.push(async () => {
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
    await Promise.allSettled([db.end(), temporal.connection.close(), health.close()]);
  });
});

after(async () => {
  for (const close of closers.reverse()) await close();
});

async function get(path: string): Promise<unknown> {
  const res = await call(apiUrl, 'GET', path);
  assert.equal(res.status, 200, `${path}: ${JSON.stringify(res.body)}`);
  return res.body;
}

/** JSON with every byte array as text, so a payload's content is searchable (not a list of numbers). */
function searchable(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) => {
    if (v instanceof Uint8Array) return Buffer.from(v).toString('utf8');
    const buffer = v as { type?: unknown; data?: unknown };
    if (buffer && buffer.type === 'Buffer' && Array.isArray(buffer.data))
      return Buffer.from(buffer.data).toString('utf8');
    return v;
  });
}

/** The histories of a workflow and of every child it started, transitively, as searchable text by workflow id. */
async function histories(workflowId: string, found = new Map<string, string>()): Promise<Map<string, string>> {
  const history = await client.workflow.getHandle(workflowId).fetchHistory();
  found.set(workflowId, searchable(history));
  for (const event of history.events ?? []) {
    const child = event.startChildWorkflowExecutionInitiatedEventAttributes?.workflowId;
    if (child && !found.has(child)) await histories(child, found);
  }
  return found;
}

function assertNoSecret(where: string, text: string) {
  assert.ok(!text.includes(SECRET), `the secret appears in ${where}`);
}

test('when an operation runs through the http adapter with a secret from the worker, then no API answer, row, log line or history holds its value', async () => {
  const adapter = (tokenRef: string) => ({
    type: 'http' as const,
    config: { baseUrl: cp.url, tokenRef, pollMs: 20, timeoutMs: 2000 },
  });
  const ok = clusterBody({ id: uid('ok'), adapter: adapter(REF) });
  const failing = clusterBody({ id: uid('fail'), adapter: adapter(REF) });
  const missing = clusterBody({ id: uid('miss'), adapter: adapter('not_on_this_worker') });
  cp.script(ok.id, { version: '3.6.0', pollsUntilDone: 1 });
  // A provider that quotes the token back in its failure: the adapter must not pass it on.
  cp.script(failing.id, { version: '3.6.0', outcome: 'failed', message: `the broker refused token ${SECRET}` });
  cp.script(missing.id, { version: '3.6.0' });
  const created = await call(apiUrl, 'POST', '/v1/clusters', { body: { clusters: [ok, failing, missing] } });
  assert.equal(created.status, 201, JSON.stringify(created.body));

  const started = await call(apiUrl, 'POST', '/v1/operations', {
    body: {
      name: uid('leak'),
      action: { type: 'upgrade', targetVersion: '3.7.1' },
      selector: { ids: [ok.id, failing.id, missing.id] },
      waves: [
        { name: 'first', selector: { ids: [ok.id] } },
        { name: 'rest', maxParallel: 2 },
      ],
      defaults: { maxFailures: 2 },
      monitor: FAST_MONITOR,
      rollbackOnFailure: true,
    },
  });
  assert.equal(started.status, 201, JSON.stringify(started.body));
  const opId = (started.body as { id: string }).id;
  let status: any;
  for (;;) {
    status = await get(`/v1/operations/${opId}`);
    if (status.state === 'completed' || status.state === 'failed') break;
    await new Promise((r) => setTimeout(r, 150));
  }
  assert.equal(status.state, 'completed', JSON.stringify(status));
  assert.deepEqual(
    { succeeded: status.counts.succeeded, failed: status.counts.failed },
    { succeeded: 1, failed: 2 },
    JSON.stringify(status.counts),
  );

  // The secret was really used: every request reached the control plane with it (it answers 401 otherwise).
  assert.ok(
    cp.requests.some((r) => r.endpoint === 'rollback'),
    'the failed apply was rolled back',
  );
  assert.ok(cp.requests.length > 0 && cp.requests.every((r) => r.headers.authorization === `Bearer ${SECRET}`));

  // Every API answer about the clusters and the operation.
  const answers: [string, unknown][] = [];
  for (const path of [
    '/v1/clusters?limit=1000',
    ...[ok, failing, missing].map((c) => `/v1/clusters/${c.id}`),
    '/v1/operations',
    `/v1/operations/${opId}`,
    `/v1/operations/${opId}/clusters`,
    `/v1/operations/${opId}/events?limit=1000`,
  ]) {
    answers.push([path, await get(path)]);
  }
  for (const [path, body] of answers) assertNoSecret(`GET ${path}`, JSON.stringify(body));
  const runs = (answers.find(([p]) => p.endsWith('/clusters'))![1] as { runs: { error: string | null }[] }).runs;
  assert.equal(runs.filter((r) => r.error).length, 2, 'the failures are there to be searched');
  assert.ok(
    runs.some((r) => r.error?.includes('refused token [redacted]')),
    'the provider quoted the token back',
  );

  // Every row of every table of fleetwave's database, the audit log included.
  const tables = await db.query<{ table_name: string }>(
    "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' AND table_type = 'BASE TABLE'",
  );
  assert.ok(tables.rows.some((t) => t.table_name === 'audit_events'));
  for (const { table_name: table } of tables.rows) {
    const rows = await db.query<{ row: string }>(`SELECT t::text AS row FROM "${table}" t`);
    for (const { row } of rows.rows) assertNoSecret(`a row of ${table}`, row);
  }
  const audit = await db.query<{ row: string }>('SELECT a::text AS row FROM audit_events a');
  assert.ok(audit.rows.some((r) => r.row.includes(ok.id)));

  // The logs: the worker's (failures and their stacks included) and the API's.
  assert.ok(workerLog.some((line) => line.includes(missing.id) || line.includes('secret_missing')));
  for (const line of workerLog) assertNoSecret('the worker log', line);
  assert.ok(apiLog.length > 0);
  for (const line of apiLog) assertNoSecret('the API log', line);

  // The workflow histories: inputs, results, failures, heartbeat details, memos, search attributes.
  const found = await histories(opId);
  assert.ok(found.size >= 3, `the operation and its waves: ${[...found.keys()].join(', ')}`);
  assert.ok(
    [...found.values()].some((text) => text.includes(failing.id)),
    'payloads are searched as text',
  );
  for (const [workflowId, text] of found) assertNoSecret(`the history of ${workflowId}`, text);
});
