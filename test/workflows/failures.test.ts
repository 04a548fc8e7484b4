// Failure budgets (per wave and in total), onFailure abort and rollback, with stub activities (no database).
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, test } from 'node:test';
import { WorkflowFailedError } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { cancelSignal, resumeSignal } from '../../workflows/messages';
import { workflowTestEnv, SIDE_BY_SIDE } from './harness';
import { FROM_VERSION } from './stubs';

const env = workflowTestEnv();

describe('wave failure budget', SIDE_BY_SIDE, () => {
  test('when failures exceed maxFailures, then the operation pauses; resume runs the rest with a fresh budget', async () => {
    await env.run(
      {
        waves: [{ clusters: ['a', 'b', 'c', 'd'], maxFailures: 1 }, { clusters: ['e'] }],
        stubs: { failApply: ['a', 'b'] },
      },
      async (op) => {
        const paused = await op.waitForStatus((s) => s.state === 'paused', 'a budget pause');
        assert.equal(paused.pauseReason, 'failure_budget_exceeded');
        assert.equal(paused.paused, true);
        assert.equal(paused.failuresTotal, 2);
        assert.equal(paused.waves[0]!.state, 'stopped');
        assert.deepEqual(paused.notStarted, [
          { clusterId: 'c', attempt: 1 },
          { clusterId: 'd', attempt: 1 },
        ]);
        const failures = op.stubs.callsOf('finishCluster');
        assert.deepEqual(
          failures.map((f) => [f.clusterId, f.outcome]),
          [
            ['a', 'failed'],
            ['b', 'failed'],
          ],
        );
        assert.match(failures[0]!.error ?? '', /ClusterApplyFailed: apply of a failed/);
        await sleep(300);
        assert.deepEqual(op.stubs.appliedIds(), ['a', 'b'], 'a cluster started after the budget was spent');

        // One more failure after resume stays within the fresh budget of 1.
        op.stubs.failApply.add('d');
        await op.handle.signal(resumeSignal, { by: 'bob' });
        const done = await op.result();
        assert.equal(done.state, 'completed');
        assert.equal(done.pauseReason, null);
        assert.deepEqual(
          done.waves.map((w) => [w.state, w.runs]),
          [
            ['completed', 2],
            ['completed', 1],
          ],
        );
        assert.equal(done.failuresTotal, 3);
        assert.deepEqual(done.notStarted, []);
        assert.deepEqual(op.stubs.appliedIds(1), ['a', 'b', 'c', 'd']);
        assert.ok(op.stubs.applied.every((a) => a.attempt === 1));
        // The second run of the wave takes what never started; it does not load the plan again.
        assert.deepEqual(
          op.stubs.callsOf('loadWaveClusters').map((c) => c.wave),
          [1, 2],
        );
        assert.deepEqual(op.stubs.callsOf('rollbackCluster'), []);
      },
    );
  });

  test('when the budget is spent and onFailure is abort, then the workflow fails and nothing else starts', async () => {
    await env.run(
      {
        waves: [{ clusters: ['a', 'b', 'c'] }, { clusters: ['d'] }],
        onFailure: 'abort',
        stubs: { failApply: ['a'] },
      },
      async (op) => {
        const err = await op.result().then(
          () => assert.fail('the operation completed'),
          (e: unknown) => e,
        );
        assert.ok(err instanceof WorkflowFailedError);
        assert.ok(err.cause instanceof ApplicationFailure);
        assert.equal(err.cause.type, 'OperationFailed');
        assert.match(err.cause.message, /wave 1 'wave-1' stopped: failure_budget_exceeded/);
        const failed = await op.status();
        assert.equal(failed.state, 'failed');
        assert.equal(failed.error, err.cause.message);
        assert.equal(failed.waves[0]!.state, 'failed');
        assert.ok(failed.waves[0]!.finishedAt);
        assert.deepEqual(op.stubs.appliedIds(), ['a']);
        assert.deepEqual(op.stubs.callsOf('closeOperation'), [{ operationId: op.id, outcome: 'failed' }]);
      },
    );
  });

  test('when cancelled while paused by the budget, then the operation is cancelled without running the rest', async () => {
    await env.run(
      { waves: [{ clusters: ['a', 'b'] }, { clusters: ['c'] }], stubs: { failApply: ['a'] } },
      async (op) => {
        await op.waitForStatus((s) => s.pauseReason === 'failure_budget_exceeded', 'a budget pause');
        await op.handle.signal(cancelSignal, { by: 'carol' });
        const done = await op.result();
        assert.equal(done.state, 'cancelled');
        assert.deepEqual(
          done.waves.map((w) => w.state),
          ['stopped', 'cancelled'],
        );
        assert.deepEqual(op.stubs.appliedIds(), ['a']);
        assert.deepEqual(op.stubs.callsOf('closeOperation'), [{ operationId: op.id, outcome: 'cancelled' }]);
      },
    );
  });
});

describe('total failure budget', SIDE_BY_SIDE, () => {
  test('when maxFailuresTotal is reached across waves, then the operation pauses; resume gives a fresh total budget', async () => {
    await env.run(
      {
        waves: [
          { clusters: ['a1', 'a2'], maxFailures: 5 },
          { clusters: ['b1', 'b2', 'b3'], maxFailures: 5 },
        ],
        maxFailuresTotal: 2,
        stubs: { failApply: ['a1', 'b1'] },
      },
      async (op) => {
        const paused = await op.waitForStatus((s) => s.state === 'paused', 'a total budget pause');
        assert.equal(paused.pauseReason, 'total_failure_budget_exceeded');
        assert.equal(paused.failuresTotal, 2);
        assert.deepEqual(
          paused.waves.map((w) => w.state),
          ['completed', 'stopped'],
        );
        assert.deepEqual(
          paused.notStarted.map((w) => w.clusterId),
          ['b2', 'b3'],
        );
        assert.deepEqual(op.stubs.appliedIds(), ['a1', 'a2', 'b1']);

        // A fresh total budget of 2: one more failure does not stop the operation again.
        op.stubs.failApply.add('b2');
        await op.handle.signal(resumeSignal, { by: 'bob' });
        const done = await op.result();
        assert.equal(done.state, 'completed');
        assert.deepEqual(op.stubs.appliedIds(2), ['b1', 'b2', 'b3']);
      },
    );
  });

  test('when maxFailuresTotal is reached and onFailure is abort, then the workflow fails', async () => {
    await env.run(
      {
        waves: [{ clusters: ['a1', 'a2', 'a3'], maxFailures: 5 }],
        maxFailuresTotal: 1,
        onFailure: 'abort',
        stubs: { failApply: ['a1'] },
      },
      async (op) => {
        await assert.rejects(op.result(), (err) => {
          assert.ok(err instanceof WorkflowFailedError);
          assert.match(String(err.cause?.message), /total_failure_budget_exceeded \(1 failed in total\)/);
          return true;
        });
        assert.deepEqual(op.stubs.appliedIds(), ['a1']);
        assert.equal((await op.status()).state, 'failed');
      },
    );
  });
});

describe('rollback', SIDE_BY_SIDE, () => {
  test('when rollbackOnFailure is set, then a failed apply or monitor is rolled back to the version select saw', async () => {
    await env.run(
      {
        waves: [{ clusters: ['a', 'b', 'c', 'd'], maxFailures: 3 }],
        rollbackOnFailure: true,
        stubs: { failApply: ['a', 'c'], failMonitor: ['b'], failRollback: ['c'] },
      },
      async (op) => {
        const done = await op.result();
        assert.equal(done.state, 'completed');
        assert.equal(done.failuresTotal, 3);
        const rollbacks = op.stubs.callsOf('rollbackCluster');
        assert.deepEqual(
          rollbacks.map((r) => r.clusterId),
          ['a', 'b', 'c'],
        );
        assert.deepEqual(rollbacks[0], {
          operationId: op.id,
          clusterId: 'a',
          wave: 1,
          attempt: 1,
          action: op.input.action,
          fromVersion: FROM_VERSION,
        });
        const finished = new Map(op.stubs.callsOf('finishCluster').map((f) => [f.clusterId, f]));
        assert.equal(finished.get('a')?.outcome, 'rolled_back');
        assert.match(finished.get('a')?.error ?? '', /ClusterApplyFailed/);
        assert.equal(finished.get('b')?.outcome, 'rolled_back');
        assert.match(finished.get('b')?.error ?? '', /ClusterUnhealthy/);
        assert.equal(finished.get('c')?.outcome, 'failed');
        assert.match(finished.get('c')?.error ?? '', /rollback failed: ClusterApplyFailed: rollback of c failed/);
        assert.equal(op.stubs.outcomes().get('d'), 'succeeded');
      },
    );
  });
});
