// The fleet guard with stub activities (no database): a cluster a full limit or a freeze holds back waits
// in waiting_guard without a slot and is selected again later; a tripped hourly failure limit pauses the
// wave and its operation `guard:<limit>`, and resume is refused while the limit is still exceeded.
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, test } from 'node:test';
import type { Limits } from '../../domain/operation';
import { operatorActionUpdate, resumeSignal, wavePauseSignal } from '../../workflows/messages';
import { eventually, workflowTestEnv, SIDE_BY_SIDE, type RunningOperation } from './harness';
import { recordHistories } from './record-history';

const env = workflowTestEnv();

/** How often a cluster the guard holds looks again, in these tests. */
const guardChecks = (seconds: number): Limits => ({
  applyTimeoutSeconds: 60,
  leaseCheckSeconds: 30,
  guardCheckSeconds: seconds,
});
const selectsOf = (op: RunningOperation, id: string) =>
  op.stubs.callsOf('selectCluster').filter((s) => s.clusterId === id).length;
const resume = (op: RunningOperation, actionId: string) =>
  op.handle.executeUpdate(operatorActionUpdate, {
    args: [{ action: 'resume', by: 'dave', via: 'api', role: 'operator', actionId }],
  });

describe('clusters the fleet guard holds back', SIDE_BY_SIDE, () => {
  test('when a full limit holds a cluster, then it waits without a slot and starts once the limit has room', async () => {
    await env.run(
      {
        waves: [{ clusters: ['a', 'b', 'c'], maxParallel: 1 }],
        limits: guardChecks(0.3),
        stubs: { guardHolds: { a: { guard: 'gcp-customer' } } },
      },
      async (op) => {
        await eventually(() => op.stubs.outcomes().size === 2 || undefined, 'b and c to finish while a waits');
        assert.deepEqual(op.stubs.appliedIds(), ['b', 'c'], 'a cluster held by a limit took the only slot');
        await eventually(() => selectsOf(op, 'a') >= 3 || undefined, 'a to be selected again after the check interval');
        const parked = (await op.status()).state;
        assert.equal(parked, 'running');
        op.stubs.guardHolds.delete('a');
        const done = await op.result();
        assert.equal(done.state, 'completed');
        assert.deepEqual(op.stubs.appliedIds(), ['b', 'c', 'a']);
        assert.equal(op.stubs.outcomes().get('a'), 'succeeded');
        await recordHistories(op.client, op.id, [1], 'guard-wait');
      },
    );
  });

  test('when a freeze holds a cluster, then it is selected again when the freeze ends, not before', async () => {
    await env.run(
      {
        waves: [{ clusters: ['a', 'b'], maxParallel: 2 }],
        limits: guardChecks(60),
        stubs: { guardHolds: { a: { guard: 'freeze:release-week', forMs: 1500 } } },
      },
      async (op) => {
        const done = await op.result();
        assert.equal(done.state, 'completed');
        assert.deepEqual(op.stubs.appliedIds(), ['b', 'a']);
        const applyOfA = op.stubs.calls.find((c) => c.name === 'applyToCluster' && (c.input as any).clusterId === 'a');
        assert.ok(applyOfA!.at >= op.stubs.guardHolds.get('a')!.untilMs!, 'a started before its freeze ended');
        // Looked at again once, at the freeze's end: the 60 s check interval never came.
        assert.equal(selectsOf(op, 'a'), 2);
        await recordHistories(op.client, op.id, [1], 'freeze-wait');
      },
    );
  });

  test('when the deadline passes while the guard holds a cluster, then the cluster ends skipped guarded_by:<guard>', async () => {
    await env.run(
      {
        waves: [{ clusters: ['a'] }],
        // Looked at again only at the deadline, which ends the wait.
        limits: guardChecks(60),
        deadline: new Date(Date.now() + 8000).toISOString(),
        stubs: { guardHolds: { a: { guard: 'gcp-customer' } } },
      },
      async (op) => {
        const done = await op.result();
        assert.equal(done.state, 'completed');
        const finish = op.stubs.callsOf('finishCluster').find((f) => f.clusterId === 'a');
        assert.deepEqual([finish?.outcome, finish?.reason], ['skipped', 'guarded_by:gcp-customer']);
        assert.deepEqual(op.stubs.appliedIds(), []);
      },
    );
  });
});

describe('a tripped fleet failure limit', SIDE_BY_SIDE, () => {
  test('when a failure trips a limit, then the wave and the operation pause guard:<limit> and resume waits for the limit', async () => {
    await env.run(
      {
        waves: [{ clusters: ['a', 'b', 'c'], maxParallel: 1, maxFailures: 5 }],
        stubs: { failApply: ['a'], tripLimit: 'gcp-customer' },
      },
      async (op) => {
        const paused = await op.waitForStatus((s) => s.state === 'paused', 'the failure to pause the operation');
        assert.equal(paused.pauseReason, 'guard:gcp-customer');
        assert.equal(paused.waves[0]!.state, 'paused');
        await sleep(300);
        assert.deepEqual(op.stubs.appliedIds(), ['a'], 'a cluster started after the limit tripped');

        const refused = await resume(op, 'r1');
        assert.equal(refused.outcome, 'rejected');
        assert.equal(refused.reason, 'guard_exceeded');
        assert.match(refused.message, /fleet limit 'gcp-customer' is exceeded/);
        assert.equal((await op.status()).state, 'paused');

        // The hour rolled on (or the limit was raised): the operator resumes, nothing did by itself.
        op.stubs.limitsExceeded.clear();
        assert.equal((await resume(op, 'r2')).outcome, 'applied');
        const done = await op.result();
        assert.equal(done.state, 'completed');
        assert.deepEqual(op.stubs.appliedIds(), ['a', 'b', 'c']);
        await recordHistories(op.client, op.id, [1], 'guard-pause');
      },
    );
  });

  test('when select finds a limit tripped, then the cluster waits, the operation pauses, and it runs after resume', async () => {
    await env.run(
      {
        waves: [{ clusters: ['a', 'b', 'c'], maxParallel: 1 }],
        limits: guardChecks(0.2),
        stubs: { guardHolds: { b: { guard: 'gcp-customer', tripped: true } } },
      },
      async (op) => {
        const paused = await op.waitForStatus((s) => s.state === 'paused', 'select to pause the operation');
        assert.equal(paused.pauseReason, 'guard:gcp-customer');
        await op.waitForRelay(wavePauseSignal);
        await sleep(500);
        assert.deepEqual(op.stubs.appliedIds(), ['a'], 'a cluster started while the limit was tripped');
        assert.equal(selectsOf(op, 'b'), 1, 'a held cluster was looked at again while paused');

        op.stubs.guardHolds.delete('b');
        // A signal goes through the same rules as the update.
        await op.handle.signal(resumeSignal, { by: 'dave' });
        const done = await op.result();
        assert.equal(done.state, 'completed');
        assert.deepEqual(op.stubs.appliedIds(), ['a', 'b', 'c']);
        await recordHistories(op.client, op.id, [1], 'guard-select-pause');
      },
    );
  });
});
