// Waves, parallelism, approvals and continue-as-new, end to end: REST → Temporal → PostgreSQL.
import assert from 'node:assert/strict';
import { Client, Connection } from '@temporalio/client';
import { after, before, describe, test } from 'node:test';
import { maxConcurrentApplies } from '../../db/simulated-control-plane';
import { waveWorkflowId } from '../../domain/ids';
import { call, TOKENS } from '../helpers/api';
import { testEnv } from '../helpers/env';
import { runsOf, seedFleet, startEngine, startOperation, waitForState, type EngineStack } from '../helpers/engine';

let stack: EngineStack;
before(async () => {
  stack = await startEngine();
});
after(async () => {
  await stack.close();
});

describe('an operation over waves', () => {
  test('when it runs, then waves run in order over exactly the planned clusters and versions become the target', async () => {
    const ids = await seedFleet(stack, 6, (i) => ({ environment: i < 2 ? 'internal' : 'customer' }));
    const op = await startOperation(stack, {
      action: { type: 'upgrade', targetVersion: '3.7.1' },
      selector: { ids },
      waves: [
        { name: 'internal', selector: { environment: 'internal' }, maxParallel: 2 },
        { name: 'customers', maxParallel: 2 },
      ],
    });
    assert.deepEqual(
      op.plan.waves.map((w: any) => w.clusterIds),
      [ids.slice(0, 2), ids.slice(2)],
    );
    const done = await waitForState(stack, op.id, 'completed');
    assert.equal(done.counts.succeeded, 6);
    assert.deepEqual(
      done.waves.map((w: any) => w.state),
      ['completed', 'completed'],
    );

    const { rows } = await stack.db.query<{ cluster_id: string; wave: number; started_at: Date; finished_at: Date }>(
      'SELECT cluster_id, wave, started_at, finished_at FROM cluster_runs WHERE operation_id = $1',
      [op.id],
    );
    const lastOfWave1 = Math.max(...rows.filter((r) => r.wave === 1).map((r) => r.finished_at.getTime()));
    const firstOfWave2 = Math.min(...rows.filter((r) => r.wave === 2).map((r) => r.started_at.getTime()));
    assert.ok(lastOfWave1 <= firstOfWave2, 'wave 2 started before wave 1 finished');

    const inventory = await stack.db.query('SELECT id, version FROM clusters WHERE id = ANY($1) ORDER BY id', [ids]);
    assert.ok(inventory.rows.every((r) => r.version === '3.7.1'));
    const applied = await stack.db.query(
      `SELECT cluster_id, count(*)::int AS n FROM sim_apply_requests WHERE cluster_id = ANY($1) AND status = 'succeeded' GROUP BY 1`,
      [ids],
    );
    assert.deepEqual(
      applied.rows.map((r) => r.n),
      [1, 1, 1, 1, 1, 1],
    );
    const leases = await stack.db.query('SELECT count(*)::int AS n FROM leases WHERE cluster_id = ANY($1)', [ids]);
    assert.equal(leases.rows[0].n, 0);
  });

  test('when maxParallel is 3, then never more than 3 clusters are applied at once', async () => {
    const ids = await seedFleet(stack, 9, () => ({ adapter: { type: 'simulated', config: { applyMs: 300 } } }));
    const op = await startOperation(stack, {
      action: { type: 'restart' },
      selector: { ids },
      defaults: { maxParallel: 3 },
    });
    await waitForState(stack, op.id, 'completed');
    const concurrent = await maxConcurrentApplies(stack.db, ids);
    assert.ok(concurrent <= 3, `saw ${concurrent} applies at once`);
    assert.ok(concurrent >= 1);
  });

  test('when a wave needs approval, then it waits; the starter cannot approve; an approver can', async () => {
    const ids = await seedFleet(stack, 4, (i) => ({ environment: i < 2 ? 'internal' : 'customer' }));
    const op = await startOperation(
      stack,
      {
        action: { type: 'upgrade', targetVersion: '3.7.1' },
        selector: { ids },
        waves: [
          { name: 'internal', selector: { environment: 'internal' } },
          { name: 'customers', approval: 'manual', maxParallel: 2 },
        ],
      },
      TOKENS.admin,
    );
    const waiting = await waitForState(stack, op.id, 'awaiting_approval');
    assert.deepEqual(waiting.pendingApproval, { wave: 2 });
    assert.equal(waiting.waves[0].state, 'completed');
    assert.equal(waiting.waves[1].state, 'awaiting_approval');
    const runs = await runsOf(stack.db, op.id);
    assert.deepEqual(
      runs.filter((r) => r.wave === 2).map((r) => r.state),
      ['pending', 'pending'],
    );

    const wrongWave = await call(stack.api.url, 'POST', `/v1/operations/${op.id}/approve`, {
      token: TOKENS.approver,
      body: { wave: 1 },
    });
    assert.equal(wrongWave.status, 409);
    const self = await call(stack.api.url, 'POST', `/v1/operations/${op.id}/approve`, {
      token: TOKENS.admin,
      body: { wave: 2 },
    });
    assert.equal(self.status, 403);
    const operator = await call(stack.api.url, 'POST', `/v1/operations/${op.id}/approve`, {
      token: TOKENS.operator,
      body: { wave: 2 },
    });
    assert.equal(operator.status, 403);
    const ok = await call(stack.api.url, 'POST', `/v1/operations/${op.id}/approve`, {
      token: TOKENS.approver,
      body: { wave: 2, comment: 'canary looks good' },
    });
    assert.equal(ok.status, 200);
    const done = await waitForState(stack, op.id, 'completed');
    assert.equal(done.waves[1].approvedBy, 'abe');
    assert.equal(done.counts.succeeded, 4);
    const events = await call(stack.api.url, 'GET', `/v1/operations/${op.id}/events`);
    const actions = (events.body.events ?? events.body).map((e: any) => e.action);
    assert.ok(actions.includes('operation.start') && actions.includes('operation.approve'), JSON.stringify(actions));
  });

  test('when a wave is long, then it continues as new and still finishes every cluster once', async () => {
    const ids = await seedFleet(stack, 40, () => ({ adapter: { type: 'simulated', config: { applyMs: 0 } } }));
    const op = await startOperation(stack, {
      action: { type: 'upgrade', targetVersion: '3.7.1' },
      selector: { ids },
      defaults: { maxParallel: 10 },
    });
    const done = await waitForState(stack, op.id, 'completed', 90_000);
    assert.equal(done.counts.succeeded, 40);
    const client = new Client({ connection: await Connection.connect({ address: testEnv().temporalAddress }) });
    try {
      const runIds = new Set<string>();
      for await (const wf of client.workflow.list({ query: `WorkflowId = '${waveWorkflowId(op.id, 1)}'` }))
        runIds.add(wf.runId);
      assert.ok(runIds.size >= 2, `expected continue-as-new, saw ${runIds.size} run(s)`);
    } finally {
      await client.connection.close();
    }
    const applied = await stack.db.query(
      `SELECT count(*)::int AS n, count(DISTINCT idempotency_key)::int AS keys FROM sim_apply_requests WHERE cluster_id = ANY($1) AND status = 'succeeded'`,
      [ids],
    );
    assert.deepEqual(applied.rows[0], { n: 40, keys: 40 });
  });

  test('when an operation has many waves, then the parent continues as new between waves and completes them all', async () => {
    const ids = await seedFleet(stack, 24, () => ({ adapter: { type: 'simulated', config: { applyMs: 0 } } }));
    const op = await startOperation(stack, {
      action: { type: 'restart' },
      selector: { ids },
      waves: ids.map((id, i) => ({ name: `w${i}`, selector: { ids: [id] } })),
    });
    const done = await waitForState(stack, op.id, 'completed', 120_000);
    assert.equal(done.counts.succeeded, 24);
    assert.ok(done.waves.every((w: any) => w.state === 'completed'));
    const runIds = new Set<string>();
    for await (const wf of stack.api.client.workflow.list({ query: `WorkflowId = '${op.id}'` })) runIds.add(wf.runId);
    const events = (await stack.api.client.workflow.getHandle(op.id).fetchHistory()).events?.length;
    assert.ok(
      runIds.size >= 2,
      `expected the operation to continue as new, saw ${runIds.size} run(s), last with ${events} events`,
    );
  });
});
