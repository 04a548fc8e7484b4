// Fault 4: the Temporal dev server (a private one, state in a SQLite file) stops mid-operation and starts again on the same port and file.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, test } from 'node:test';
import { freePort, launchTemporal, type DevServerOptions, type TemporalHandle } from '../../scripts/lib/temporal';
import { call } from '../helpers/api';
import { assertRanCleanly } from './helpers/checks';
import {
  measured,
  seed,
  startOperation,
  startStack,
  waitForState,
  waitForStatus,
  type FaultStack,
} from './helpers/stack';

let dir: string;
let server: DevServerOptions;
let temporal: TemporalHandle | undefined;
let stack: FaultStack;
before(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fleetwave-temporal-'));
  server = { port: await freePort(), dbFile: path.join(dir, 'temporal.db'), headless: true, stdio: 'ignore' };
  temporal = await launchTemporal(server, () => undefined);
  stack = await startStack({ temporalAddress: temporal.address });
});
after(async () => {
  await stack?.close();
  await temporal?.stop();
  fs.rmSync(dir, { recursive: true, force: true });
});

async function readyz(apiUrl: string, want: number, timeoutMs = 30_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const res = await call(apiUrl, 'GET', '/readyz', { token: null }).catch(() => undefined);
    if (res?.status === want) return res;
    if (Date.now() > deadline)
      throw new Error(
        `readyz never answered ${want}; last: ${res ? `${res.status} ${JSON.stringify(res.body)}` : 'no answer'}`,
      );
    await sleep(200);
  }
}

test('when the Temporal server restarts on the same state file mid-operation, then the operation resumes and completes with every cluster applied once', async (t) => {
  await measured(t, async (report) => {
    const ids = await seed(stack.api.url, 8, () => ({ type: 'simulated', config: { applyMs: 400 } }));
    const op = await startOperation(stack.api.url, {
      action: { type: 'upgrade', targetVersion: '3.7.1' },
      selector: { ids },
      defaults: { maxParallel: 2 },
    });
    const pids = { worker: stack.worker.pid, api: stack.api.pid };
    const before = await waitForStatus(
      stack.api.url,
      op.id,
      (st) => st.counts.succeeded >= 2 && st.inFlight.length > 0,
    );

    await temporal!.stop();
    temporal = undefined;
    const downAt = performance.now();
    const down = await readyz(stack.api.url, 503);
    assert.equal(down.body.checks.temporal.ok, false, 'readyz names Temporal');
    assert.equal(down.body.checks.postgres.ok, true);
    await sleep(Math.max(0, 3000 - (performance.now() - downAt)));
    temporal = await launchTemporal(server, () => undefined);
    const outageSeconds = (performance.now() - downAt) / 1000;
    await readyz(stack.api.url, 200);

    const done = await waitForState(stack.api.url, op.id, 'completed', 120_000);
    const recoverySeconds = (performance.now() - downAt) / 1000 - outageSeconds;
    assert.equal(done.counts.succeeded, ids.length);
    const interrupted = await assertRanCleanly(stack.db, op.id, ids, '3.7.1');
    // Nobody restarted the worker or the API: both rode the outage out on their own.
    assert.ok(stack.worker.running && stack.api.running, 'worker and API still run');
    assert.deepEqual({ worker: stack.worker.pid, api: stack.api.pid }, pids, 'the same processes as before the outage');
    report({
      clusters: ids.length,
      succeededBeforeOutage: before.counts.succeeded,
      outageSeconds: outageSeconds.toFixed(1),
      completedSecondsAfterRestart: recoverySeconds.toFixed(1),
      interruptedApplyRows: interrupted.length,
      processRestarts: 0,
    });
  });
});
