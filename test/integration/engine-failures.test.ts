// Failure budgets, abort, retry, skip, rollback and retried applies, end to end.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { call, TOKENS } from '../helpers/api';
import {
  FAST_MONITOR,
  runsOf,
  seedFleet,
  startEngine,
  startOperation,
  waitForState,
  waitForStatus,
  type EngineStack,
} from '../helpers/engine';

let stack: EngineStack;
before(async () => {
  stack = await startEngine();
});
after(async () => {
  await stack.close();
});

const sim = (config: Record<string, unknown>) => ({
  adapter: { type: 'simulated', config: { applyMs: 50, ...config } },
});

describe('failure budget', () => {
  test('when a wave exceeds its budget with onFailure pause, then the operation pauses; resume finishes the rest', async () => {
    const ids = await seedFleet(stack, 4, (i) => sim(i === 0 ? { failApply: true } : {}));
    const op = await startOperation(stack, {
      action: { type: 'upgrade', targetVersion: '3.7.1' },
      selector: { ids },
      defaults: { maxParallel: 1, maxFailures: 0 },
      onFailure: 'pause',
    });
    const paused = await waitForState(stack, op.id, 'paused');
    assert.equal(paused.pauseReason, 'failure_budget_exceeded');
    assert.equal(paused.counts.failed, 1);
    assert.equal(paused.counts.pending, 3);
    assert.equal(paused.waves[0].state, 'stopped');
    const failedRun = (await runsOf(stack.db, op.id)).find((r) => r.cluster_id === ids[0])!;
    assert.match(failedRun.error ?? '', /ClusterApplyRejected/);

    const resumed = await call(stack.api.url, 'POST', `/v1/operations/${op.id}/resume`, { token: TOKENS.operator });
    assert.equal(resumed.status, 200);
    const done = await waitForState(stack, op.id, 'completed');
    assert.equal(done.counts.succeeded, 3);
    assert.equal(done.counts.failed, 1);
  });

  test('when a wave exceeds its budget with onFailure abort, then the operation fails and nothing stays pending or leased', async () => {
    const ids = await seedFleet(stack, 4, (i) => sim(i === 0 ? { failApply: true } : {}));
    const op = await startOperation(stack, {
      action: { type: 'restart' },
      selector: { ids },
      defaults: { maxParallel: 1 },
      onFailure: 'abort',
    });
    const failed = await waitForState(stack, op.id, 'failed');
    assert.equal(failed.counts.failed, 1);
    const runs = await runsOf(stack.db, op.id);
    assert.deepEqual(
      runs.map((r) => r.state),
      ['failed', 'skipped', 'skipped', 'skipped'],
    );
    assert.ok(runs.slice(1).every((r) => r.reason === 'operation_failed'));
    const leases = await stack.db.query('SELECT count(*)::int AS n FROM leases WHERE cluster_id = ANY($1)', [ids]);
    assert.equal(leases.rows[0].n, 0);
  });

  test('when maxFailuresTotal is reached across waves, then the operation stops as onFailure says', async () => {
    const ids = await seedFleet(stack, 4, (i) => ({
      environment: i < 2 ? 'internal' : 'customer',
      ...sim(i % 2 === 0 ? { failApply: true } : {}),
    }));
    const op = await startOperation(stack, {
      action: { type: 'restart' },
      selector: { ids },
      waves: [
        { name: 'internal', selector: { environment: 'internal' }, maxFailures: 5 },
        { name: 'rest', maxFailures: 5 },
      ],
      maxFailuresTotal: 2,
      onFailure: 'pause',
    });
    const paused = await waitForState(stack, op.id, 'paused');
    assert.equal(paused.pauseReason, 'total_failure_budget_exceeded');
    assert.equal(paused.counts.failed, 2);
    await call(stack.api.url, 'POST', `/v1/operations/${op.id}/cancel`);
    await waitForState(stack, op.id, 'cancelled');
  });
});

describe('operator fixes', () => {
  test('when a failed cluster is fixed and retried during a budget pause, then it runs again with a new attempt', async () => {
    const ids = await seedFleet(stack, 3, (i) => sim(i === 0 ? { failApply: true } : {}));
    const op = await startOperation(stack, {
      action: { type: 'upgrade', targetVersion: '3.7.1' },
      selector: { ids },
      defaults: { maxParallel: 1 },
    });
    await waitForState(stack, op.id, 'paused');
    // The lease was released when the cluster failed, so the operator can fix its config.
    const fix = await call(stack.api.url, 'PATCH', `/v1/clusters/${ids[0]}`, { body: sim({}) });
    assert.equal(fix.status, 200);
    const notFailed = await call(stack.api.url, 'POST', `/v1/operations/${op.id}/clusters/${ids[1]}/retry`, {
      token: TOKENS.operator,
    });
    assert.equal(notFailed.status, 409);
    const retry = await call(stack.api.url, 'POST', `/v1/operations/${op.id}/clusters/${ids[0]}/retry`, {
      token: TOKENS.operator,
    });
    assert.equal(retry.status, 200);
    const requeued = await waitForStatus(stack, op.id, (st) => st.counts.failed === 0);
    assert.equal(requeued.state, 'paused');
    assert.equal((await call(stack.api.url, 'POST', `/v1/operations/${op.id}/clusters/${ids[0]}/retry`)).status, 409);
    await call(stack.api.url, 'POST', `/v1/operations/${op.id}/resume`);
    const done = await waitForState(stack, op.id, 'completed');
    assert.equal(done.counts.succeeded, 3);
    const run = (await runsOf(stack.db, op.id)).find((r) => r.cluster_id === ids[0])!;
    assert.equal(run.state, 'succeeded');
    assert.equal(run.attempts, 2);
    const keys = await stack.db.query(
      'SELECT idempotency_key, status FROM sim_apply_requests WHERE cluster_id = $1 ORDER BY id',
      [ids[0]],
    );
    assert.deepEqual(
      keys.rows.map((r) => [r.idempotency_key.split(':').pop(), r.status]),
      [
        ['1', 'rejected'],
        ['2', 'succeeded'],
      ],
    );
  });

  test('when a pending cluster is skipped, then it is never touched and the rest completes', async () => {
    const ids = await seedFleet(stack, 3, (i) => ({ environment: i === 0 ? 'internal' : 'customer' }));
    const op = await startOperation(stack, {
      action: { type: 'upgrade', targetVersion: '3.7.1' },
      selector: { ids },
      waves: [
        { name: 'internal', selector: { environment: 'internal' } },
        { name: 'rest', approval: 'manual' },
      ],
    });
    await waitForState(stack, op.id, 'awaiting_approval');
    const skip = await call(stack.api.url, 'POST', `/v1/operations/${op.id}/clusters/${ids[1]}/skip`, {
      token: TOKENS.operator,
    });
    assert.equal(skip.status, 200);
    const again = await waitForStatus(stack, op.id, (s) => s.counts.skipped === 1);
    assert.equal(again.state, 'awaiting_approval');
    const notPending = await call(stack.api.url, 'POST', `/v1/operations/${op.id}/clusters/${ids[0]}/skip`);
    assert.equal(notPending.status, 409);
    await call(stack.api.url, 'POST', `/v1/operations/${op.id}/approve`, { token: TOKENS.approver, body: { wave: 2 } });
    await waitForState(stack, op.id, 'completed');
    const runs = await runsOf(stack.db, op.id);
    assert.equal(runs[1]!.state, 'skipped');
    assert.equal(runs[1]!.reason, 'skipped_by:olga');
    const touched = await stack.db.query('SELECT count(*)::int AS n FROM sim_apply_requests WHERE cluster_id = $1', [
      ids[1],
    ]);
    assert.equal(touched.rows[0].n, 0);
  });
});

describe('rollback and retries', () => {
  test('when a cluster never becomes healthy and rollback is on, then it is rolled back to its version', async () => {
    const ids = await seedFleet(stack, 1, () => sim({ unhealthy: true }));
    const op = await startOperation(stack, {
      action: { type: 'upgrade', targetVersion: '3.7.1' },
      selector: { ids },
      defaults: { maxFailures: 1 },
      monitor: { ...FAST_MONITOR, timeoutSeconds: 1 },
      rollbackOnFailure: true,
    });
    const done = await waitForState(stack, op.id, 'completed');
    assert.equal(done.counts.rolled_back, 1);
    const run = (await runsOf(stack.db, op.id))[0]!;
    assert.equal(run.state, 'rolled_back');
    assert.match(run.error ?? '', /^unhealthy: unhealthy since the last apply/);
    const simState = await stack.db.query('SELECT version FROM sim_clusters WHERE cluster_id = $1', [ids[0]]);
    assert.equal(simState.rows[0].version, '3.6.0');
    const inventory = await stack.db.query('SELECT version FROM clusters WHERE id = $1', [ids[0]]);
    assert.equal(inventory.rows[0].version, '3.6.0');
  });

  test('when apply fails transiently twice, then Temporal retries it and the change is applied exactly once', async () => {
    const ids = await seedFleet(stack, 1, () => sim({ failApplyTimes: 2 }));
    const op = await startOperation(stack, { action: { type: 'upgrade', targetVersion: '3.7.1' }, selector: { ids } });
    await waitForState(stack, op.id, 'completed');
    const log = await stack.db.query(
      'SELECT attempt, status, idempotency_key FROM sim_apply_requests WHERE cluster_id = $1 ORDER BY id',
      [ids[0]],
    );
    assert.deepEqual(
      log.rows.map((r) => r.status),
      ['failed', 'failed', 'succeeded'],
    );
    assert.deepEqual(
      log.rows.map((r) => r.attempt),
      [1, 2, 3],
    );
    assert.equal(new Set(log.rows.map((r) => r.idempotency_key)).size, 1);
    assert.equal(log.rows[0].idempotency_key, `${op.id}:${ids[0]}:1`);
  });
});
