// Fault 3: PostgreSQL (a private server, never the shared one) stops for a few seconds mid-operation and comes back.
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, test } from 'node:test';
import { migrate } from '../../db/migrate';
import { call } from '../helpers/api';
import { assertRanCleanly } from './helpers/checks';
import { privatePostgresUnavailable, startPrivatePostgres, type PrivatePostgres } from './helpers/postgres';
import {
  measured,
  seed,
  startOperation,
  startStack,
  waitForState,
  waitForStatus,
  type FaultStack,
} from './helpers/stack';

const unavailable = privatePostgresUnavailable();
let pg: PrivatePostgres | undefined;
let stack: FaultStack | undefined;
before(async () => {
  if (unavailable) return;
  pg = await startPrivatePostgres();
  const url = pg.url('fleetwave_faults');
  await migrate(url);
  stack = await startStack({ databaseUrl: url });
});
after(async () => {
  await stack?.close();
  pg?.destroy();
});

/** Polls /readyz until `accept` holds; returns the answers seen, the last one matching. */
async function readyzUntil(apiUrl: string, accept: (status: number, body: any) => boolean, timeoutMs = 30_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const res = await call(apiUrl, 'GET', '/readyz', { token: null }).catch(() => undefined);
    if (res && accept(res.status, res.body)) return res;
    if (Date.now() > deadline)
      throw new Error(`readyz never matched; last: ${res ? `${res.status} ${JSON.stringify(res.body)}` : 'no answer'}`);
    await sleep(200);
  }
}

test(
  'when PostgreSQL restarts mid-operation, then /readyz names it while down, activities retry, and the operation completes with one succeeded run per cluster',
  { skip: unavailable },
  async (t) => {
    const s = stack!;
    await measured(t, async (report) => {
      const ids = await seed(s.api.url, 8, () => ({ type: 'simulated', config: { applyMs: 400 } }));
      const op = await startOperation(s.api.url, {
        action: { type: 'upgrade', targetVersion: '3.7.1' },
        selector: { ids },
        defaults: { maxParallel: 2 },
      });
      const before = await waitForStatus(s.api.url, op.id, (st) => st.counts.succeeded >= 2 && st.inFlight.length > 0);

      pg!.stop();
      const downAt = performance.now();
      const down = await readyzUntil(s.api.url, (status) => status === 503);
      assert.equal(down.body.checks.postgres.ok, false, 'readyz names PostgreSQL');
      assert.ok(down.body.checks.postgres.error, 'with the error');
      assert.equal(down.body.checks.temporal.ok, true);
      const statusWhileDown = await call(s.api.url, 'GET', `/v1/operations/${op.id}`);
      assert.equal(statusWhileDown.status, 503);
      assert.equal(statusWhileDown.body.error.code, 'postgres_unavailable');
      await sleep(Math.max(0, 3000 - (performance.now() - downAt)));
      pg!.start();
      const outageSeconds = (performance.now() - downAt) / 1000;
      await readyzUntil(s.api.url, (status, body) => status === 200 && body.checks.postgres.ok === true);

      await waitForState(s.api.url, op.id, 'completed', 120_000);
      const recoverySeconds = (performance.now() - downAt) / 1000 - outageSeconds;
      const interrupted = await assertRanCleanly(s.db, op.id, ids, '3.7.1');

      // The outage reached the engine: activities failed and were retried, not given up on.
      const failures = s.worker.logLines().filter((l) => typeof l.msg === 'string' && /activity failed/i.test(l.msg));
      assert.ok(failures.length >= 1, 'the outage reached at least one activity');
      const retried = failures.length;
      const maxAttempt = Math.max(...failures.map((l) => Number(l.attempt) || 0));
      report({
        clusters: ids.length,
        succeededBeforeOutage: before.counts.succeeded,
        outageSeconds: outageSeconds.toFixed(1),
        completedSecondsAfterRestart: recoverySeconds.toFixed(1),
        failedActivityAttempts: retried,
        highestAttemptThatFailed: maxAttempt,
        interruptedApplyRows: interrupted.length,
      });
    });
  },
);
