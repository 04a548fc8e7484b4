// The fleet guard across worker processes: two workers on one task queue run two racing operations under one
// maxInFlight limit, and one worker is SIGKILLed mid-apply. The limit holds as the simulated control plane
// recorded it (an apply the kill cut short counts until its retry took over), and both operations complete.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { maxConcurrentAppliesCountingInterrupted, simApplyLog } from '../../db/simulated-control-plane';
import { workerProcess, type NodeProcess } from '../faults/helpers/processes';
import { startApi, type TestApi } from '../helpers/api';
import { runsOf, seedFleet, startOperation, waitForState } from '../helpers/engine';
import { testEnv, uid } from '../helpers/env';
import { dropLimits, ownKind, putLimit } from '../helpers/guard';

const LIMIT = 3;
let api: TestApi;
let workers: NodeProcess[] = [];
const limitName = uid('workers');

before(async () => {
  const env = testEnv();
  const taskQueue = uid('guard');
  api = await startApi({ taskQueue });
  const processEnv = { databaseUrl: env.databaseUrl, temporalAddress: env.temporalAddress, taskQueue };
  workers = [
    workerProcess(processEnv, { DATABASE_POOL_SIZE: '4' }),
    workerProcess(processEnv, { DATABASE_POOL_SIZE: '4' }),
  ];
  await Promise.all(workers.map((w) => w.start()));
});

after(async () => {
  await Promise.allSettled(workers.map((w) => w.stop()));
  await dropLimits(api, [limitName]).catch(() => undefined);
  await api.close();
});

/** Idempotency keys a worker's log says it started applying and has not finished. */
function applyingOn(worker: NodeProcess): Set<unknown> {
  const lines = worker.logLines();
  const finished = new Set(lines.filter((l) => l.msg === 'apply finished').map((l) => l.idempotencyKey));
  return new Set(
    lines.filter((l) => l.msg === 'apply started' && !finished.has(l.idempotencyKey)).map((l) => l.idempotencyKey),
  );
}

async function eventually<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('maxInFlight with two workers, one killed', () => {
  test('when a worker is SIGKILLed mid-apply while two operations race under a limit, then the control plane never has more than the limit applying and both complete', async () => {
    const kind = ownKind();
    await putLimit(api, { name: limitName, scope: { kind }, maxInFlight: LIMIT });
    const ids = await seedFleet({ api }, 10, () => ({
      kind,
      adapter: { type: 'simulated', config: { applyMs: 2000 } },
    }));
    const common = { action: { type: 'restart' }, defaults: { maxParallel: 5 }, limits: { guardCheckSeconds: 0.3 } };
    const [a, b] = await Promise.all([
      startOperation({ api }, { ...common, selector: { ids: ids.slice(0, 7) } }),
      startOperation({ api }, { ...common, selector: { ids: ids.slice(4) } }),
    ]);

    const victim = await eventually('a worker in the middle of an apply', async () => {
      const running = new Set(
        (await simApplyLog(api.db, { clusterIds: ids }))
          .filter((r) => r.status === 'running')
          .map((r) => r.idempotencyKey),
      );
      return workers.find((w) => [...applyingOn(w)].some((key) => running.has(key as string)));
    });
    await victim.kill();

    const [doneA, doneB] = await Promise.all([
      waitForState({ api }, a.id, 'completed', 240_000),
      waitForState({ api }, b.id, 'completed', 240_000),
    ]);
    assert.deepEqual([doneA.counts.succeeded, doneB.counts.succeeded], [7, 6]);
    for (const id of [a.id, b.id]) for (const run of await runsOf(api.db, id)) assert.equal(run.state, 'succeeded');

    const concurrent = await maxConcurrentAppliesCountingInterrupted(api.db, ids);
    assert.ok(concurrent <= LIMIT, `the control plane had ${concurrent} applies of the scope at once`);
    assert.equal(concurrent, LIMIT, 'the limit was never reached: the test proves nothing');
    const interrupted = (await simApplyLog(api.db, { clusterIds: ids })).filter((r) => r.status === 'running');
    assert.ok(interrupted.length > 0, 'the kill interrupted no apply');
    const { rows } = await api.db.query('SELECT 1 FROM leases WHERE cluster_id = ANY($1)', [ids]);
    assert.equal(rows.length, 0, 'a lease was left behind');
  });
});
