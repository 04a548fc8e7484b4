// The production shape, run for real: the PostgreSQL-backed Temporal server of `npm run temporal:server` (the
// server config docker-compose.yml uses, 4 history shards, databases of its own), two worker processes and two
// API replicas on one task queue. One worker is SIGKILLed mid-wave; an action through one replica is read back
// through the other.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { createPool, type Db } from '../../db/pool';
import { canProvideServer, startTestTemporalServer, type ServerHandle } from '../../scripts/lib/temporal-server';
import {
  applyRows,
  type ApplyRow,
  assertAllSucceeded,
  assertAppliedOncePerKey,
  assertNoLeases,
  assertNoOverlap,
} from '../faults/helpers/checks';
import { apiProcess, workerProcess, type ApiProcess, type NodeProcess } from '../faults/helpers/processes';
import { eventually, measured, seed, startOperation, waitForState } from '../faults/helpers/stack';
import { call, TOKENS } from '../helpers/api';
import { testEnv, uid } from '../helpers/env';

const CLUSTERS = 60;
const MAX_PARALLEL = 6;
const available = canProvideServer();
const SKIP = available
  ? false
  : 'no Go to build the Temporal server 1.29.1 and no cached build (TEMPORAL_SERVER_BIN, TEMPORAL_SQL_TOOL)';

let server: ServerHandle | undefined;
let workers: NodeProcess[] = [];
let apis: ApiProcess[] = [];
let db: Db | undefined;

before(async () => {
  if (!available) return;
  const env = testEnv();
  server = await startTestTemporalServer(env.databaseUrl, { shards: 4, log: () => undefined });
  const processEnv = { databaseUrl: env.databaseUrl, temporalAddress: server.address, taskQueue: uid('shape') };
  // Small pools: four processes and the server's own pools share the test machine's PostgreSQL.
  const pool = { DATABASE_POOL_SIZE: '4' };
  workers = [workerProcess(processEnv, pool), workerProcess(processEnv, pool)];
  // The API's own default status cache: the check below is that it does not hide another replica's action.
  apis = [
    await apiProcess(processEnv, { ...pool, STATUS_CACHE_MS: '500' }),
    await apiProcess(processEnv, { ...pool, STATUS_CACHE_MS: '500' }),
  ];
  await Promise.all([...workers, ...apis].map((p) => p.start()));
  db = createPool(env.databaseUrl, 3);
});

after(async () => {
  await Promise.allSettled([...workers, ...apis].map((p) => p.stop()));
  await db?.end();
  await server?.stop();
});

async function statusVia(api: ApiProcess, id: string): Promise<any> {
  const res = await call(api.url, 'GET', `/v1/operations/${id}`, { token: TOKENS.viewer });
  assert.equal(res.status, 200, JSON.stringify(res.body));
  return res.body;
}

function logged(worker: NodeProcess, msg: string): Set<unknown> {
  return new Set(
    worker
      .logLines()
      .filter((l) => l.msg === msg)
      .map((l) => l.idempotencyKey),
  );
}

const appliesStarted = (worker: NodeProcess) => logged(worker, 'apply started').size;

/** A worker with an apply in progress (its row 'running', its log says started and not finished), and those rows. */
async function applyingWorker(ids: string[]): Promise<{ worker: NodeProcess; rows: ApplyRow[] } | undefined> {
  const running = (await applyRows(db!, ids)).filter((r) => r.status === 'running');
  for (const worker of workers) {
    const started = logged(worker, 'apply started');
    const finished = logged(worker, 'apply finished');
    const rows = running.filter((r) => started.has(r.key) && !finished.has(r.key));
    if (rows.length > 0) return { worker, rows };
  }
  return undefined;
}

describe('production shape: PostgreSQL-backed Temporal server, two workers, two API replicas', { skip: SKIP }, () => {
  test('when a worker is SIGKILLed mid-wave and an operator pauses through one replica, then the other replica shows it at once, and every cluster is applied exactly once with no overlap', async (t) => {
    await measured(t, async (report) => {
      const [a, b] = apis as [ApiProcess, ApiProcess];
      report({ server: server!.description });

      const ids = await seed(a.url, CLUSTERS, () => ({ type: 'simulated', config: { applyMs: 500 } }));
      const op = await startOperation(a.url, {
        action: { type: 'upgrade', targetVersion: '3.9.0' },
        selector: { ids },
        waves: [
          { name: 'first-half', percent: 50, maxParallel: MAX_PARALLEL },
          { name: 'second-half', maxParallel: MAX_PARALLEL },
        ],
      });
      assert.deepEqual(
        op.plan.waves.map((w: any) => w.clusterIds.length),
        [CLUSTERS / 2, CLUSTERS / 2],
      );

      // Pause through A while wave 1 applies; B, its cache warm from the read just before, must say paused.
      await eventually('an apply of wave 1 in progress', async () =>
        (await applyRows(db!, ids)).some((r) => r.status === 'running'),
      );
      assert.equal((await statusVia(b, op.id)).state, 'running');
      const paused = await call(a.url, 'POST', `/v1/operations/${op.id}/pause`, {
        token: TOKENS.operator,
        body: { reason: 'production-shape check' },
      });
      assert.equal(paused.status, 200, JSON.stringify(paused.body));
      const seenByB = await statusVia(b, op.id);
      assert.equal(seenByB.state, 'paused', `replica B right after A's 200: ${JSON.stringify(seenByB).slice(0, 500)}`);
      assert.equal(seenByB.pauseReason, 'operator');
      const resumed = await call(b.url, 'POST', `/v1/operations/${op.id}/resume`, { token: TOKENS.operator });
      assert.equal(resumed.status, 200, JSON.stringify(resumed.body));
      assert.equal((await statusVia(a, op.id)).state, 'running', "replica A right after B's resume");

      // SIGKILL the worker that runs an apply of wave 1 right now; the other retries it after the heartbeat timeout.
      const victim = await eventually('a worker in the middle of an apply of wave 1', () => applyingWorker(ids));
      assert.equal((await statusVia(a, op.id)).currentWave, 1, 'the kill lands in wave 1');
      await victim.worker.kill();
      const survivor = workers.find((w) => w !== victim.worker)!;

      const done = await waitForState(b.url, op.id, 'completed', 180_000);
      assert.equal(done.counts.succeeded, CLUSTERS);
      assert.equal(done.counts.failed, 0);
      await assertAllSucceeded(db!, op.id, ids, '3.9.0');
      const interrupted = await assertAppliedOncePerKey(db!, op.id, ids);
      for (const row of victim.rows)
        assert.ok(
          interrupted.some((r) => r.id === row.id),
          `killed attempt ${row.key} left no trace`,
        );
      const { intervals } = await assertNoOverlap(db!, ids);
      await assertNoLeases(db!, ids);
      const sim = await db!.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM sim_clusters WHERE cluster_id = ANY($1) AND version = '3.9.0'`,
        [ids],
      );
      assert.equal(sim.rows[0]!.n, CLUSTERS, 'the simulated control plane shows every cluster upgraded');
      report({
        clusters: CLUSTERS,
        killedDuringApplies: victim.rows.length,
        appliesStarted: `${appliesStarted(victim.worker)} on the killed worker, ${appliesStarted(survivor)} on the other`,
        interruptedRows: interrupted.length,
        applyIntervals: intervals,
      });
    });
  });
});
