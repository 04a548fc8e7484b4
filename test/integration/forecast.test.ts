// Forecasts over real HTTP, a real worker, Temporal and PostgreSQL: a kind with no history is forecast from
// the defaults; after one run of a plan, the same plan is forecast from that history and run again (the
// error between forecast and actual is printed, never asserted: it is a measurement); a running operation's
// forecast changes as it progresses and is gone once it ends; an approval wave is an unknown wait, in the
// status and in its stream; a closed maintenance window is waited for.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { call, TOKENS } from '../helpers/api';
import { uid } from '../helpers/env';
import {
  FAST_MONITOR,
  seedFleet,
  startEngine,
  startOperation,
  status,
  waitForState,
  type EngineStack,
} from '../helpers/engine';

let stack: EngineStack;
before(async () => {
  // Statistics reused for a tenth of a second: a dry run right after a run sees its durations.
  stack = await startEngine({ forecastCacheMs: 100 });
});
after(async () => {
  await stack.close();
});

/** A fleet of one kind of its own, so no other test's runs are in its history. */
async function kindFleet(count: number, extra: (i: number) => Record<string, unknown> = () => ({})) {
  const kind = uid('fk');
  const ids = await seedFleet(stack, count, (i) => ({ kind, ...extra(i) }));
  return { kind, ids };
}

async function dryRun(body: Record<string, unknown>) {
  const res = await call(stack.api.url, 'POST', '/v1/operations?dryRun=true', {
    body: { name: uid('plan'), monitor: FAST_MONITOR, ...body },
  });
  assert.equal(res.status, 200, JSON.stringify(res.body));
  return res.body.forecast;
}

/** Polls the status until the operation ends; returns every status seen on the way and the last one. */
async function followToEnd(id: string) {
  const seen: any[] = [];
  const deadline = Date.now() + 60_000;
  for (;;) {
    const s = await status(stack, id);
    seen.push(s);
    if (['completed', 'failed', 'cancelled'].includes(s.state)) return { seen, last: s };
    if (Date.now() > deadline) throw new Error(`did not end: ${JSON.stringify(s).slice(0, 2000)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

const seconds = (from: string, to: string) => (Date.parse(to) - Date.parse(from)) / 1000;

describe('forecasts', () => {
  test('when a kind has no history, then the plan is forecast from the defaults; after a run, from its durations, and the status forecast follows the progress', async (t) => {
    const { kind, ids } = await kindFleet(6, () => ({ adapter: { type: 'simulated', config: { applyMs: 400 } } }));
    const spec = {
      action: { type: 'restart' },
      selector: { ids },
      waves: [
        { name: 'first', selector: { ids: ids.slice(0, 2) }, maxParallel: 1 },
        { name: 'rest', maxParallel: 2 },
      ],
    };

    const fresh = await dryRun(spec);
    assert.equal(fresh.basis.source, 'defaults');
    assert.equal(fresh.basis.samples, 0);
    // An apply of 60 s, then one passing check 0.1 s apart.
    assert.deepEqual(fresh.basis.perClusterSeconds, { p50: 60.1, p90: 300.1 });
    assert.deepEqual(
      fresh.basis.kinds.map((k: any) => [k.kind, k.clusters, k.source]),
      [[kind, 6, 'defaults']],
    );
    assert.deepEqual(
      fresh.waves.map((w: any) => w.number),
      [1, 2],
    );
    assert.deepEqual(fresh.unknownWaits, []);
    assert.equal(Date.parse(fresh.expectedEndAt) - Date.parse(fresh.asOf), fresh.expectedSeconds * 1000);

    const first = await startOperation(stack, spec);
    const run1 = await followToEnd(first.id);
    assert.equal(run1.last.state, 'completed');
    assert.equal(run1.last.forecast, null, 'an operation that has ended carries no forecast');
    const running = run1.seen.filter((s) => s.state === 'running');
    assert.ok(running.length > 0);
    for (const s of running) assert.equal(s.forecast.asOf, s.updatedAt);
    const distinct = new Set(running.map((s) => JSON.stringify(s.forecast)));
    assert.ok(distinct.size >= 2, `the forecast never changed while it ran: ${[...distinct].join('\n')}`);
    // Once wave 1 is done, the forecast counts its actual time.
    const afterWave1 = running.find((s) => s.waves[0].state === 'completed');
    if (afterWave1) {
      const w = afterWave1.waves[0];
      const actual = Math.round(seconds(w.startedAt, w.finishedAt) * 10) / 10;
      assert.equal(afterWave1.forecast.waves[0].expectedSeconds, actual);
    }

    // The same plan again: forecast from the six durations just recorded.
    const informed = await dryRun(spec);
    assert.equal(informed.basis.source, 'history');
    assert.equal(informed.basis.samples, 6);
    assert.deepEqual(
      informed.basis.kinds.map((k: any) => [k.kind, k.samples, k.source, k.sameTarget]),
      [[kind, 6, 'history', false]],
    );
    assert.ok(informed.expectedSeconds < fresh.expectedSeconds);

    const second = await startOperation(stack, spec);
    const run2 = await followToEnd(second.id);
    assert.equal(run2.last.state, 'completed');
    const sources = new Set(run2.seen.filter((s) => s.forecast).map((s) => s.forecast.basis.source));
    assert.ok(sources.has('history'), `sources seen: ${[...sources].join(', ')}`);
    const actual = seconds(run2.last.createdAt, run2.last.updatedAt);
    const error = informed.expectedSeconds - actual;
    const line = `forecast ${informed.expectedSeconds}s (p50 ${informed.basis.perClusterSeconds.p50}s, p90 ${informed.basis.perClusterSeconds.p90}s per cluster), actual ${actual.toFixed(1)}s, error ${error.toFixed(1)}s (${((100 * error) / actual).toFixed(0)} %)`;
    t.diagnostic(line);
    console.log(line);
  });

  test('when a wave needs a manual approval, then the plan and the status (and its stream) list it as an unknown wait', async () => {
    const { ids } = await kindFleet(2);
    const spec = { action: { type: 'restart' }, selector: { ids }, waves: [{ name: 'gate', approval: 'manual' }] };
    const planned = await dryRun(spec);
    assert.deepEqual(planned.unknownWaits, ['approval:wave-1']);

    const op = await startOperation(stack, spec);
    const waiting = await waitForState(stack, op.id, 'awaiting_approval');
    assert.deepEqual(waiting.forecast.unknownWaits, ['approval:wave-1']);
    assert.equal(waiting.forecast.asOf, waiting.updatedAt);

    const res = await fetch(`${stack.api.url}/v1/operations/${op.id}/stream`, {
      headers: { authorization: `Bearer ${TOKENS.viewer}` },
      signal: AbortSignal.timeout(30_000),
    });
    assert.equal(res.status, 200);
    const reader = res.body!.getReader();
    let text = '';
    while (!text.includes('\n\n')) text += new TextDecoder().decode((await reader.read()).value);
    await reader.cancel();
    const data = JSON.parse(/^data: (.*)$/m.exec(text)![1]!);
    assert.deepEqual(data.forecast.unknownWaits, ['approval:wave-1']);

    assert.equal((await call(stack.api.url, 'POST', `/v1/operations/${op.id}/cancel`)).status, 200);
    assert.equal((await waitForState(stack, op.id, 'cancelled')).forecast, null);
  });

  test("when the clusters' maintenance window is closed, then the wave is forecast to wait until it opens", async () => {
    // A window every day, opening two hours from now (to the minute) and lasting an hour.
    const hhmm = (ms: number) => new Date(ms).toISOString().slice(11, 16);
    const opens = Date.now() + 2 * 3600_000;
    const window = {
      days: ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'],
      start: hhmm(opens),
      end: hhmm(opens + 3600_000),
    };
    const { ids } = await kindFleet(3, (i) => ({ maintenanceWindows: i === 0 ? [] : [window] }));
    const forecast = await dryRun({ action: { type: 'restart' }, selector: { ids } });
    const wait = forecast.waves[0].windowWaitSeconds;
    assert.ok(wait > 2 * 3600 - 120 && wait <= 2 * 3600, `windowWaitSeconds ${wait}`);
    assert.ok(forecast.expectedSeconds >= wait);
  });
});
