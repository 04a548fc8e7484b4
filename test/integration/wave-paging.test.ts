// A wave larger than a page, end to end: REST → Temporal → PostgreSQL. The wave reads its plan a page at a
// time from cluster_runs (pending runs after the last cluster id it read), so what it carries across
// continue-as-new stays a page or so whatever the wave's size. A wave in lanes splits its plan between them.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { temporal } from '@temporalio/proto';
import { waveWorkflowId } from '../../domain/ids';
import type { WaveInput } from '../../domain/workflow-contracts';
import { pageSize } from '../../workflows/wave';
import { call } from '../helpers/api';
import { seedFleet, startEngine, startOperation, waitForState, type EngineStack } from '../helpers/engine';

let stack: EngineStack;
before(async () => {
  stack = await startEngine();
});
after(async () => {
  await stack.close();
});

type Payloads = temporal.api.common.v1.IPayloads | null | undefined;
const decode = <T>(payloads: Payloads): T =>
  JSON.parse(Buffer.from(payloads!.payloads![0]!.data!).toString('utf8')) as T;

/** Every page a wave's runs asked for, in order, with what PostgreSQL answered; and each run's input. */
async function pagesOf(workflowId: string) {
  const client = stack.api.client;
  const runIds: string[] = [];
  for await (const wf of client.workflow.list({ query: `WorkflowId = '${workflowId}'` })) runIds.push(wf.runId);
  const runs: { startedAt: number; input: WaveInput; pages: { after: string; limit: number; ids: string[] }[] }[] = [];
  for (const runId of runIds) {
    const events = (await client.workflow.getHandle(workflowId, runId).fetchHistory()).events ?? [];
    const started = events[0]!;
    const asked = new Map<string, { after: string; limit: number }>();
    const pages: { after: string; limit: number; ids: string[] }[] = [];
    for (const event of events) {
      const scheduled = event.activityTaskScheduledEventAttributes;
      if (scheduled?.activityType?.name === 'loadWaveClusters') {
        asked.set(String(event.eventId), decode<{ after: string; limit: number }>(scheduled.input));
      }
      const completed = event.activityTaskCompletedEventAttributes;
      const page = completed && asked.get(String(completed.scheduledEventId));
      if (page) pages.push({ ...page, ids: decode<string[]>(completed.result) });
    }
    runs.push({
      startedAt: Number(started.eventTime?.seconds ?? 0) * 1000 + (started.eventTime?.nanos ?? 0) / 1e6,
      input: decode<WaveInput>(started.workflowExecutionStartedEventAttributes?.input),
      pages,
    });
  }
  runs.sort((a, b) => a.startedAt - b.startedAt);
  return runs;
}

describe('a wave larger than a page', () => {
  test('when a wave has more clusters than a page, then it reads them page by page from PostgreSQL and runs each once', async () => {
    const maxParallel = 20;
    const limit = pageSize(maxParallel);
    const count = 2 * limit + limit / 2;
    const ids = await seedFleet(stack, count, () => ({
      adapter: { type: 'simulated', config: { applyMs: 0, healthyAfterMs: 0 } },
    }));
    const op = await startOperation(stack, {
      action: { type: 'upgrade', targetVersion: '3.7.1' },
      selector: { ids },
      waves: [{ name: 'all', maxParallel }],
    });
    const done = await waitForState(stack, op.id, 'completed', 180_000);
    assert.equal(done.counts.succeeded, count);

    const applied = await stack.db.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM sim_apply_requests WHERE cluster_id = ANY($1) AND status = 'succeeded'
        GROUP BY cluster_id HAVING count(*) <> 1`,
      [ids],
    );
    assert.deepEqual(applied.rows, [], 'a cluster was applied more than once');

    const runs = await pagesOf(waveWorkflowId(op.id, 1));
    assert.ok(runs.length >= 2, `the wave ran in ${runs.length} run(s): it never continued as new`);
    const pages = runs.flatMap((run) => run.pages);
    assert.deepEqual(
      pages.map((p) => [p.limit, p.ids.length]),
      [
        [limit, limit],
        [limit, limit],
        [limit, limit / 2],
      ],
    );
    // Each page starts after the last cluster id of the one before, and together they are the plan.
    assert.equal(pages[0]!.after, '');
    for (let i = 1; i < pages.length; i++) assert.equal(pages[i]!.after, pages[i - 1]!.ids.at(-1));
    assert.deepEqual(pages.flatMap((p) => p.ids).sort(), [...ids].sort());
    // What a continued run carried: its cursor and a bounded queue, never the plan.
    for (const run of runs.slice(1)) {
      const carried = run.input.carried!;
      assert.ok(carried.cursor, 'a continued run lost its cursor');
      assert.ok(carried.queue.length <= 2 * limit, `a run carried ${carried.queue.length} queued clusters`);
    }
    const leases = await stack.db.query('SELECT count(*)::int AS n FROM leases WHERE cluster_id = ANY($1)', [ids]);
    assert.equal(leases.rows[0].n, 0);
  });
});

describe('a wave in lanes', () => {
  test('when a wave runs in three lanes, then their pages split the plan, each cluster runs once, and their failures together spend the wave budget', async () => {
    const ids = await seedFleet(stack, 90, () => ({
      adapter: { type: 'simulated', config: { applyMs: 0, healthyAfterMs: 0 } },
    }));
    // Two failing clusters in each of two lanes: neither lane spends a budget of 3 alone, the wave does.
    const { rows } = await stack.db.query<{ id: string; lane: number }>(
      `SELECT id, ((hashtext(id)::bigint & 2147483647) % 3)::int AS lane FROM clusters WHERE id = ANY($1) ORDER BY id`,
      [ids],
    );
    const failing = [0, 1].flatMap((lane) =>
      rows
        .filter((r) => r.lane === lane)
        .slice(-2)
        .map((r) => r.id),
    );
    await stack.db.query(
      `UPDATE clusters SET adapter = jsonb_set(adapter, '{config,failApply}', 'true') WHERE id = ANY($1)`,
      [failing],
    );
    const op = await startOperation(stack, {
      action: { type: 'upgrade', targetVersion: '3.7.1' },
      selector: { ids },
      waves: [{ name: 'all', maxParallel: 6, maxFailures: 3 }],
      limits: { waveLanes: 3 },
    });
    const stopped = await waitForState(stack, op.id, 'paused', 180_000);
    assert.equal(stopped.pauseReason, 'failure_budget_exceeded');
    assert.equal(stopped.counts.failed, 4);

    const lanes = await Promise.all([1, 2, 3].map((n) => pagesOf(`${waveWorkflowId(op.id, 1)}/lane-${n}`)));
    const paged = lanes.map((runs) => runs.flatMap((run) => run.pages.flatMap((p) => p.ids)));
    for (const [index, ids] of paged.entries()) {
      assert.deepEqual(
        ids.filter((id) => rows.find((r) => r.id === id)!.lane !== index),
        [],
        `lane ${index + 1} read another lane's clusters`,
      );
    }
    assert.equal(new Set(paged.flat()).size, paged.flat().length, 'two pages held the same cluster');
    for (const runs of lanes) assert.equal(runs[0]!.input.maxParallel, 2);

    const resumed = await call(stack.api.url, 'POST', `/v1/operations/${op.id}/resume`);
    assert.equal(resumed.status, 200, JSON.stringify(resumed.body));
    const done = await waitForState(stack, op.id, 'completed', 180_000);
    assert.equal(done.counts.succeeded + done.counts.failed, ids.length);
    const twice = await stack.db.query(
      `SELECT cluster_id FROM sim_apply_requests WHERE cluster_id = ANY($1) AND status = 'succeeded'
        GROUP BY cluster_id HAVING count(*) <> 1`,
      [ids],
    );
    assert.deepEqual(twice.rows, [], 'a cluster was applied more than once');
  });
});
