// Graceful shutdown of the real processes: a worker drains in-flight activities on SIGTERM and exits 0,
// another worker on the same task queue finishes the operation, nothing is applied twice; the API
// refuses new connections on SIGTERM, finishes the request it is serving, and exits 0.
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import http from 'node:http';
import net from 'node:net';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { createPool, type Db } from '../../db/pool';
import { freePort } from '../../scripts/lib/temporal';
import { call, TOKEN_LIST, TOKENS } from '../helpers/api';
import { FAST_MONITOR } from '../helpers/engine';
import { testEnv, uid } from '../helpers/env';
import { clusterBody } from '../helpers/fixtures';

const root = path.join(__dirname, '..', '..');
// Generous: CI machines are noisy. These bound correctness (it does stop), they do not measure speed.
const START_TIMEOUT_MS = 90_000;
const EXIT_TIMEOUT_MS = 60_000;

interface Proc {
  child: ChildProcess;
  /** Every line it printed so far, stdout and stderr together. */
  output(): string;
  /** Resolves with the exit code (or the signal that killed it). */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

function launch(script: string, env: Record<string, string>): Proc {
  const child = spawn(process.execPath, ['--import', 'tsx', script], {
    cwd: root,
    env: { ...process.env, ...env, LOG_LEVEL: 'info', LOG_PRETTY: 'false', NODE_ENV: 'development' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  return { child, output: () => out, exited };
}

/** Started processes, killed at the end if a failed test left them running. */
const started: Proc[] = [];
function track(p: Proc): Proc {
  started.push(p);
  return p;
}

async function waitFor(
  check: () => boolean | Promise<boolean>,
  what: string,
  timeoutMs: number,
  proc?: Proc,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (proc && proc.child.exitCode !== null)
      assert.fail(`process exited (${proc.child.exitCode}) while waiting for ${what}:\n${proc.output().slice(-3000)}`);
    if (Date.now() > deadline)
      assert.fail(`timed out waiting for ${what}${proc ? `:\n${proc.output().slice(-3000)}` : ''}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function exitOf(p: Proc, what: string) {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`${what} did not exit within ${EXIT_TIMEOUT_MS} ms:\n${p.output().slice(-3000)}`)),
      EXIT_TIMEOUT_MS,
    );
  });
  try {
    return await Promise.race([p.exited, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

const canConnect = (port: number) =>
  new Promise<boolean>((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    socket.once('connect', () => (socket.destroy(), resolve(true)));
    socket.once('error', () => resolve(false));
  });

let db: Db;
let taskQueue: string;
let api: { proc: Proc; url: string };

function startWorker(): Proc {
  const env = testEnv();
  return track(
    launch('worker/main.ts', {
      DATABASE_URL: env.databaseUrl,
      TEMPORAL_ADDRESS: env.temporalAddress,
      TEMPORAL_TASK_QUEUE: taskQueue,
      WORKER_METRICS_PORT: '0',
      TEMPORAL_METRICS_PORT: '0',
    }),
  );
}

async function startApiProcess(): Promise<{ proc: Proc; url: string; port: number }> {
  const env = testEnv();
  const port = await freePort();
  const proc = track(
    launch('api/main.ts', {
      DATABASE_URL: env.databaseUrl,
      TEMPORAL_ADDRESS: env.temporalAddress,
      TEMPORAL_TASK_QUEUE: taskQueue,
      PORT: String(port),
      HOST: '127.0.0.1',
      FLEET_API_TOKENS: TOKEN_LIST,
    }),
  );
  const url = `http://127.0.0.1:${port}`;
  await waitFor(
    async () => (await fetch(`${url}/healthz`).catch(() => null))?.status === 200,
    'the API to answer /healthz',
    START_TIMEOUT_MS,
    proc,
  );
  return { proc, url, port };
}

before(async () => {
  db = createPool(testEnv().databaseUrl, 2);
  taskQueue = uid('tq');
  api = await startApiProcess();
});
after(async () => {
  for (const p of started) if (p.child.exitCode === null && p.child.signalCode === null) p.child.kill('SIGKILL');
  await db.end();
});

describe('worker shutdown', () => {
  test('when the worker gets SIGTERM mid-apply, then it drains and exits 0, and a new worker finishes with every cluster applied once', async () => {
    const worker = startWorker();
    await waitFor(
      () => worker.output().includes('fleetwave worker running'),
      'the worker to start',
      START_TIMEOUT_MS,
      worker,
    );

    const prefix = uid('sd');
    const clusters = Array.from({ length: 3 }, (_, i) =>
      clusterBody({ id: `${prefix}-${i}`, adapter: { type: 'simulated', config: { applyMs: 1500 } } }),
    );
    const ids = clusters.map((c) => c.id);
    assert.equal((await call(api.url, 'POST', '/v1/clusters', { body: { clusters } })).status, 201);
    const start = await call(api.url, 'POST', '/v1/operations', {
      body: {
        name: uid('op'),
        action: { type: 'restart' },
        selector: { ids },
        defaults: { maxParallel: 3 },
        monitor: FAST_MONITOR,
      },
    });
    assert.equal(start.status, 201, JSON.stringify(start.body));
    const opId = start.body.id as string;

    const applying = async () =>
      (
        await db.query(
          `SELECT count(*)::int AS n FROM sim_apply_requests WHERE cluster_id = ANY($1) AND status = 'running'`,
          [ids],
        )
      ).rows[0].n === 3;
    await waitFor(applying, 'all three applies to be in flight', START_TIMEOUT_MS, worker);

    worker.child.kill('SIGTERM');
    const exit = await exitOf(worker, 'the worker');
    assert.deepEqual(exit, { code: 0, signal: null }, worker.output().slice(-3000));
    assert.match(worker.output(), /worker drained and stopped/);
    // Drained, not abandoned: every apply that was in flight finished before the process left.
    const afterDrain = await db.query<{ status: string; message: string | null }>(
      'SELECT status, message FROM sim_apply_requests WHERE cluster_id = ANY($1)',
      [ids],
    );
    assert.deepEqual(
      afterDrain.rows.map((r) => r.status),
      ['succeeded', 'succeeded', 'succeeded'],
      `in-flight applies must finish, not be cancelled, on SIGTERM (the worker's shutdownGraceTime): ${JSON.stringify(afterDrain.rows)}`,
    );

    const next = startWorker();
    await waitFor(
      async () =>
        (await call(api.url, 'GET', `/v1/operations/${opId}`, { token: TOKENS.viewer })).body?.state === 'completed',
      'the new worker to complete the operation',
      START_TIMEOUT_MS,
      next,
    );
    const { rows } = await db.query<{ cluster_id: string; key: string; applied: number; requests: number }>(
      `SELECT cluster_id, idempotency_key AS key, count(*) FILTER (WHERE status = 'succeeded')::int AS applied, count(*)::int AS requests
         FROM sim_apply_requests WHERE cluster_id = ANY($1) GROUP BY 1, 2 ORDER BY 1`,
      [ids],
    );
    assert.deepEqual(
      rows.map((r) => [r.cluster_id, r.key, r.applied]),
      ids.map((id) => [id, `${opId}:${id}:1`, 1]),
    );
    next.child.kill('SIGTERM');
    assert.deepEqual(await exitOf(next, 'the second worker'), { code: 0, signal: null });
  });
});

describe('API shutdown', () => {
  test('when the API gets SIGTERM during a request, then it refuses new connections, answers that request, and exits 0', async () => {
    const { proc, url, port } = await startApiProcess();
    const cluster = clusterBody({ id: uid('sd-api') });
    const body = JSON.stringify(cluster);
    // `Expect: 100-continue` makes the server confirm it holds the request before the body is sent,
    // so the request is provably in flight when the signal arrives.
    const req = http.request(`${url}/v1/clusters`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${TOKENS.operator}`,
        'content-type': 'application/json',
        'content-length': Buffer.byteLength(body),
        expect: '100-continue',
      },
    });
    const answer = new Promise<{ status: number; text: string }>((resolve, reject) => {
      req.once('response', (res) => {
        let text = '';
        res.on('data', (d: Buffer) => (text += d.toString()));
        res.once('end', () => resolve({ status: res.statusCode ?? 0, text }));
      });
      req.once('error', reject);
    });
    await new Promise<void>((resolve) => req.once('continue', resolve));

    proc.child.kill('SIGTERM');
    await waitFor(async () => !(await canConnect(port)), 'new connections to be refused', EXIT_TIMEOUT_MS, proc);
    req.end(body);
    const res = await answer;
    assert.equal(res.status, 201, res.text);

    const exit = await exitOf(proc, 'the API');
    assert.deepEqual(exit, { code: 0, signal: null }, proc.output().slice(-3000));
    assert.match(proc.output(), /shutting down/);
    const stored = await db.query('SELECT id FROM clusters WHERE id = $1', [cluster.id]);
    assert.equal(stored.rowCount, 1);
  });

  test('when the API gets SIGTERM while a status stream is open, then the stream hears end: closing and the API exits 0', async () => {
    const { proc, url } = await startApiProcess();
    const cluster = clusterBody({ id: uid('sd-stream') });
    const seeded = await call(url, 'POST', '/v1/clusters', { token: TOKENS.operator, body: cluster });
    assert.equal(seeded.status, 201, JSON.stringify(seeded.body));
    // No worker polls this queue: the operation waits, so its stream would stay open for ever.
    const op = await call(url, 'POST', '/v1/operations', {
      token: TOKENS.operator,
      body: { name: uid('sd-stream'), action: { type: 'restart' }, selector: { ids: [cluster.id] } },
    });
    assert.equal(op.status, 201, JSON.stringify(op.body));
    const res = await fetch(`${url}/v1/operations/${op.body.id}/stream`, {
      headers: { authorization: `Bearer ${TOKENS.viewer}` },
      signal: AbortSignal.timeout(EXIT_TIMEOUT_MS),
    });
    assert.equal(res.status, 200);
    const reader = res.body!.getReader();
    let text = '';
    const readUntil = async (pattern: RegExp) => {
      while (!pattern.test(text)) {
        const { done, value } = await reader.read();
        if (done) break;
        text += Buffer.from(value).toString('utf8');
      }
    };
    await readUntil(/event: status\n/);
    proc.child.kill('SIGTERM');
    await readUntil(/event: end\ndata: .*\n\n/);
    assert.match(text, /event: end\ndata: \{"reason":"closing"\}/);
    const exit = await exitOf(proc, 'the API');
    // The force exit 15 s after the signal would be code 1: the open stream did not hold the shutdown.
    assert.deepEqual(exit, { code: 0, signal: null }, proc.output().slice(-3000));
  });
});
